/**
 * Sampling that selects the same keys everywhere: in the warehouse (pushed down as SQL), on the lake
 * and on Arrow tables (in process), on every machine.
 *
 * Membership of a key is decided by a portable hash: the first 4 bytes of
 * `md5(seed + ":" + keyText)` read as an unsigned 32-bit integer `h`; with `fraction`, a key is in
 * the sample when `h / 2^32 < fraction`; with `n`, the sample is the n keys with the smallest full md5
 * digests (hex, so ties of `h` are broken the same way on every path). In SQL the same number is
 * `('x' || substr(md5($seed || ':' || key), 1, 8))::bit(32)::bigint`. (PostgreSQL's `hashtext` is
 * not used: it is documented as internal and depends on byte order.)
 *
 * keyText: a key column's value as text (integers in decimal, strings as they are, booleans as
 * `true`/`false`). A composite key joins its parts with `|`, each part escaped first (`\` → `\\`,
 * `|` → `\|`), so `("a|b", "c")` and `("a", "b|c")` never collide. Keys must be integers, strings or
 * booleans (floats and timestamps have no text form common to every engine); rows whose key has a
 * null part are never sampled.
 *
 * With `stratify` (a column constant per key), each stratum gets its own quota — `round(fraction ×
 * keys in the stratum)`, or `n` split in proportion to the strata by largest remainder — filled with
 * the stratum's keys of smallest digest; the strata sizes are reported.
 */
import { createHash } from "node:crypto";
import * as arrow from "apache-arrow";
import {
  InvalidArgumentError,
  Warehouse,
  filterTable,
  filterToSql,
  quoteIdent,
  quoteTableName,
  readParquet,
  takeRows,
  type AnyFeatureView,
  type FeatureStore,
  type Filter,
  type Warehouse as WarehouseType,
} from "@trellis/shared";

/** Where `sample` reads rows. */
export type SampleSource =
  | arrow.Table
  | { warehouse: string | WarehouseType; table: string }
  | { warehouse: string | WarehouseType; query: string; params?: readonly unknown[] }
  | { parquet: string }
  | { store: FeatureStore<AnyFeatureView>; view: AnyFeatureView | string };

/** Options of {@link sample}. */
export interface SampleOptions {
  /** Share of keys to keep, in (0, 1]. Give this or `n`. */
  fraction?: number;
  /** Exact number of keys to keep. Give this or `fraction`. */
  n?: number;
  /** The key column(s) whose values decide membership: a sampled key keeps all its rows. */
  by: string | readonly string[];
  /** The seed (any string or number; the same seed selects the same keys on every path). */
  seed: string | number;
  /** A column constant per key; each stratum is sampled at the same fraction (or gets its share of n). */
  stratify?: string;
  /** Rows to consider (AND of predicates), pushed down where the source allows. */
  filter?: Filter;
}

/** One stratum's sizes. */
export interface StratumSize {
  stratum: string | number | boolean | null;
  /** Keys in the stratum. */
  keys: number;
  /** Keys sampled from it. */
  sampled: number;
}

/** What {@link sample} returns. */
export interface SampleResult {
  /** Every row of the sampled keys. */
  table: arrow.Table;
  /** Keys sampled. */
  keys: number;
  /** Keys in the population (after the filter). */
  population: number;
  /** Per stratum, with `stratify`. */
  strata?: StratumSize[];
  /** Where the sample was computed. */
  engine: "warehouse" | "in-process";
}

/** Escapes one key part for the composite-key text (see the module docs). */
export function escapeKeyPart(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|");
}

/**
 * The md5 hex digest deciding a key's membership, and its first 4 bytes as an unsigned integer.
 * @example keyDigest(42, "1001").u32 // the same number PostgreSQL computes for md5('42:1001')
 */
export function keyDigest(seed: string | number, keyText: string): { hex: string; u32: number } {
  const digest = createHash("md5").update(`${String(seed)}:${keyText}`, "utf8").digest();
  return { hex: digest.toString("hex"), u32: digest.readUInt32BE(0) };
}

/** Whether a key is in a `fraction` sample: `u32 / 2^32 < fraction`. */
export function inFraction(u32: number, fraction: number): boolean {
  return u32 / 4294967296 < fraction;
}

type KeyValue = string | number | bigint | boolean;

function keyPartText(v: unknown, column: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  throw new InvalidArgumentError(
    `sample: key column ${JSON.stringify(column)} holds ${typeof v === "number" ? `the non-integer ${v}` : `a ${Object.prototype.toString.call(v)}`}; sample by integer, string or boolean keys.`,
  );
}

/** The key text of one row (null when a part is null). */
export function keyText(values: readonly unknown[], columns: readonly string[]): string | null {
  const parts: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const t = keyPartText(values[i], columns[i]!);
    if (t === null) return null;
    parts.push(values.length === 1 ? t : escapeKeyPart(t));
  }
  return parts.join("|");
}

function checkOptions(o: SampleOptions): { by: string[]; fraction?: number; n?: number } {
  if (!o || typeof o !== "object") throw new InvalidArgumentError("sample: options must be an object with by, seed and fraction or n.");
  const by = typeof o.by === "string" ? [o.by] : Array.isArray(o.by) ? [...o.by] : [];
  if (!by.length || by.some((c) => typeof c !== "string" || !c)) {
    throw new InvalidArgumentError(`sample: option by must name the key column(s), got ${JSON.stringify(o.by)}.`);
  }
  if (typeof o.seed !== "string" && typeof o.seed !== "number") {
    throw new InvalidArgumentError(`sample: option seed must be a string or a number, got ${JSON.stringify(o.seed)}.`);
  }
  if ((o.fraction === undefined) === (o.n === undefined)) {
    throw new InvalidArgumentError("sample: give exactly one of fraction (a share of keys) or n (a number of keys).");
  }
  if (o.fraction !== undefined && !(typeof o.fraction === "number" && o.fraction > 0 && o.fraction <= 1)) {
    throw new InvalidArgumentError(`sample: option fraction must be a number in (0, 1], got ${String(o.fraction)}.`);
  }
  if (o.n !== undefined && !(Number.isInteger(o.n) && o.n >= 0)) {
    throw new InvalidArgumentError(`sample: option n must be a whole number ≥ 0, got ${String(o.n)}.`);
  }
  if (o.stratify !== undefined && (typeof o.stratify !== "string" || by.includes(o.stratify))) {
    throw new InvalidArgumentError(`sample: option stratify must name a column other than the key, got ${JSON.stringify(o.stratify)}.`);
  }
  return { by, fraction: o.fraction, n: o.n };
}

/** Keys are integers, strings or booleans on every path (floats and times have no common text form). */
function checkKeyType(column: string, type: arrow.DataType): void {
  const t = arrow.DataType.isDictionary(type) ? type.dictionary : type;
  if (!(arrow.DataType.isInt(t) || arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t) || arrow.DataType.isBool(t))) {
    throw new InvalidArgumentError(`sample: key column ${JSON.stringify(column)} has type ${String(type)}; sample by integer, string or boolean keys.`);
  }
}

/** Round half up, the same in every path (quotas are computed here, never in SQL). */
const roundHalfUp = (x: number) => Math.floor(x + 0.5);

/**
 * Quotas per stratum: `round(fraction × keys)`, or `n` split in proportion to the strata sizes by
 * largest remainder (ties: the larger stratum, then the stratum's text in code-unit order).
 */
export function stratumQuotas(sizes: readonly { stratum: string; keys: number }[], spec: { fraction?: number; n?: number }): Map<string, number> {
  const out = new Map<string, number>();
  if (spec.fraction !== undefined) {
    for (const s of sizes) out.set(s.stratum, roundHalfUp(spec.fraction * s.keys));
    return out;
  }
  const total = sizes.reduce((a, s) => a + s.keys, 0);
  const n = Math.min(spec.n!, total);
  if (total === 0) return out;
  const exact = sizes.map((s) => ({ ...s, share: (n * s.keys) / total }));
  let given = 0;
  for (const e of exact) {
    const q = Math.floor(e.share);
    out.set(e.stratum, q);
    given += q;
  }
  const order = [...exact].sort(
    (a, b) => b.share - Math.floor(b.share) - (a.share - Math.floor(a.share)) || b.keys - a.keys || (a.stratum < b.stratum ? -1 : a.stratum > b.stratum ? 1 : 0),
  );
  for (let i = 0; given < n; i++, given++) {
    const e = order[i % order.length]!;
    out.set(e.stratum, out.get(e.stratum)! + 1);
  }
  return out;
}

/** Text form of a stratum value, for quota keys (null as a marker no real value produces). */
const NULL_STRATUM = "\u0000null";
const stratumKey = (v: unknown): string => (v === null || v === undefined ? NULL_STRATUM : typeof v === "bigint" ? v.toString() : String(v));
const stratumValue = (k: string, sample: unknown): StratumSize["stratum"] =>
  k === NULL_STRATUM ? null : typeof sample === "number" || typeof sample === "bigint" ? Number(k) : typeof sample === "boolean" ? k === "true" : k;

// ------------------------------------------------------------------------------------------------
// In process (Arrow tables and the lake)

function sampleTable(table: arrow.Table, options: SampleOptions, spec: { by: string[]; fraction?: number; n?: number }): SampleResult {
  const names = table.schema.fields.map((f) => f.name);
  const missing = [...spec.by, ...(options.stratify ? [options.stratify] : [])].filter((c) => !names.includes(c));
  if (missing.length) {
    throw new InvalidArgumentError(`sample: column(s) ${missing.map((c) => JSON.stringify(c)).join(", ")} not in the data (columns: ${names.join(", ")}).`);
  }
  for (const c of spec.by) checkKeyType(c, table.schema.fields.find((f) => f.name === c)!.type);
  const data = options.filter?.length ? filterTable(table, options.filter) : table;
  const keyCols = spec.by.map((c) => data.getChild(c)!);
  const strat = options.stratify ? data.getChild(options.stratify)! : null;
  const rowKeys = new Array<string | null>(data.numRows);
  const keys = new Map<string, { hex: string; u32: number; stratum: string; sample: unknown }>();
  for (let i = 0; i < data.numRows; i++) {
    const text = keyText(keyCols.map((c) => c.get(i) as KeyValue | null), spec.by);
    rowKeys[i] = text;
    if (text === null) continue;
    const s = strat ? (strat.get(i) as unknown) : null;
    const known = keys.get(text);
    if (known) {
      if (strat && known.stratum !== stratumKey(s)) {
        throw new InvalidArgumentError(
          `sample: key ${JSON.stringify(text)} has more than one ${JSON.stringify(options.stratify)} (${JSON.stringify(known.sample)} and ${JSON.stringify(s)}); stratify by a column constant per key.`,
        );
      }
      continue;
    }
    keys.set(text, { ...keyDigest(options.seed, text), stratum: stratumKey(s), sample: s });
  }
  const chosen = new Set<string>();
  let strata: StratumSize[] | undefined;
  if (options.stratify) {
    const byStratum = new Map<string, [string, { hex: string; sample: unknown }][]>();
    for (const entry of keys) {
      const list = byStratum.get(entry[1].stratum) ?? [];
      list.push(entry);
      byStratum.set(entry[1].stratum, list);
    }
    const quotas = stratumQuotas([...byStratum].map(([stratum, list]) => ({ stratum, keys: list.length })), spec);
    strata = [];
    for (const [stratum, list] of byStratum) {
      list.sort((a, b) => (a[1].hex < b[1].hex ? -1 : a[1].hex > b[1].hex ? 1 : 0));
      const q = quotas.get(stratum) ?? 0;
      for (const [k] of list.slice(0, q)) chosen.add(k);
      strata.push({ stratum: stratumValue(stratum, list[0]![1].sample), keys: list.length, sampled: Math.min(q, list.length) });
    }
    strata.sort(compareStrata);
  } else if (spec.fraction !== undefined) {
    for (const [k, d] of keys) if (inFraction(d.u32, spec.fraction)) chosen.add(k);
  } else {
    const sorted = [...keys].sort((a, b) => (a[1].hex < b[1].hex ? -1 : a[1].hex > b[1].hex ? 1 : 0));
    for (const [k] of sorted.slice(0, spec.n)) chosen.add(k);
  }
  const keep: number[] = [];
  for (let i = 0; i < rowKeys.length; i++) if (rowKeys[i] !== null && chosen.has(rowKeys[i]!)) keep.push(i);
  return { table: takeRows(data, keep), keys: chosen.size, population: keys.size, strata, engine: "in-process" };
}

function compareStrata(a: StratumSize, b: StratumSize): number {
  const ka = a.stratum === null ? "" : String(a.stratum);
  const kb = b.stratum === null ? "" : String(b.stratum);
  return a.stratum === null ? 1 : b.stratum === null ? -1 : ka < kb ? -1 : ka > kb ? 1 : 0;
}

// ------------------------------------------------------------------------------------------------
// In the warehouse

/** SQL text of a key (see the module docs), for quoted column names. */
function keySql(columns: readonly string[]): string {
  if (columns.length === 1) return `(${quoteIdent(columns[0]!)})::text`;
  return columns.map((c) => `replace(replace((${quoteIdent(c)})::text, '\\', '\\\\'), '|', '\\|')`).join(" || '|' || ");
}

async function sampleWarehouse(
  wh: WarehouseType,
  from: { sql: string; params: unknown[] },
  options: SampleOptions,
  spec: { by: string[]; fraction?: number; n?: number },
): Promise<SampleResult> {
  const schema = (await wh.query(`SELECT * FROM (${from.sql}) AS s LIMIT 0`, from.params)).schema;
  const names = schema.fields.map((f) => f.name);
  const missing = [...spec.by, ...(options.stratify ? [options.stratify] : [])].filter((c) => !names.includes(c));
  if (missing.length) {
    throw new InvalidArgumentError(`sample: column(s) ${missing.map((c) => JSON.stringify(c)).join(", ")} not in the data (columns: ${names.join(", ")}).`);
  }
  for (const c of spec.by) checkKeyType(c, schema.fields.find((f) => f.name === c)!.type);
  const params = [...from.params];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  let where = spec.by.map((c) => `${quoteIdent(c)} IS NOT NULL`).join(" AND ");
  if (options.filter?.length) {
    const f = filterToSql(options.filter, quoteIdent, params.length + 1);
    params.push(...f.params);
    where += ` AND (${f.sql})`;
  }
  const seed = p(String(options.seed));
  const md5 = `md5(${seed} || ':' || ${keySql(spec.by)})`;
  const base = `SELECT *, ${md5} AS trellis_md5 FROM (${from.sql}) AS s WHERE ${where}`;
  const stratCol = options.stratify ? quoteIdent(options.stratify) : null;
  const keysSql = `SELECT trellis_md5${stratCol ? `, min(${stratCol}::text) AS trellis_stratum, count(DISTINCT ${stratCol}::text) + max(CASE WHEN ${stratCol} IS NULL THEN 1 ELSE 0 END) AS trellis_nstrata` : ""} FROM (${base}) AS b GROUP BY trellis_md5`;
  const cols = names.map((c) => `b.${quoteIdent(c)}`).join(", ");
  let chosenSql: string;
  let strata: StratumSize[] | undefined;
  const count = await wh.query(`SELECT count(*)::bigint AS n FROM (${keysSql}) AS k`, params);
  const population = Number(count.getChild("n")!.get(0));
  if (stratCol) {
    const bad = await wh.query(`SELECT trellis_md5 FROM (${keysSql}) AS k WHERE trellis_nstrata > 1 LIMIT 1`, params);
    if (bad.numRows) {
      throw new InvalidArgumentError(`sample: a key has more than one ${JSON.stringify(options.stratify)}; stratify by a column constant per key.`);
    }
    const sizes = await wh.query(`SELECT trellis_stratum, count(*)::bigint AS n FROM (${keysSql}) AS k GROUP BY trellis_stratum`, params);
    const list: { stratum: string; keys: number; raw: unknown }[] = [];
    for (let i = 0; i < sizes.numRows; i++) {
      const raw: unknown = sizes.getChild("trellis_stratum")!.get(i);
      list.push({ stratum: raw === null ? NULL_STRATUM : String(raw), keys: Number(sizes.getChild("n")!.get(i)), raw });
    }
    const quotas = stratumQuotas(list, spec);
    const stratType = schema.fields.find((f) => f.name === options.stratify)!.type;
    const typed = (k: string): StratumSize["stratum"] =>
      k === NULL_STRATUM ? null : arrow.DataType.isInt(stratType) || arrow.DataType.isFloat(stratType) ? Number(k) : arrow.DataType.isBool(stratType) ? k === "true" : k;
    strata = list.map((s) => ({ stratum: typed(s.stratum), keys: s.keys, sampled: Math.min(quotas.get(s.stratum) ?? 0, s.keys) })).sort(compareStrata);
    const qStrata = p(list.map((s) => (s.stratum === NULL_STRATUM ? null : s.stratum)));
    const qQuotas = p(list.map((s) => quotas.get(s.stratum) ?? 0));
    chosenSql = `SELECT k.trellis_md5 FROM (SELECT trellis_md5, trellis_stratum, row_number() OVER (PARTITION BY trellis_stratum ORDER BY trellis_md5 COLLATE "C") AS r FROM (${keysSql}) AS k0) AS k
      JOIN unnest(${qStrata}::text[], ${qQuotas}::int[]) AS q(stratum, quota) ON q.stratum IS NOT DISTINCT FROM k.trellis_stratum WHERE k.r <= q.quota`;
  } else if (spec.fraction !== undefined) {
    chosenSql = `SELECT trellis_md5 FROM (${keysSql}) AS k WHERE ('x' || substr(trellis_md5, 1, 8))::bit(32)::bigint / 4294967296.0::double precision < ${p(spec.fraction)}::double precision`;
  } else {
    chosenSql = `SELECT trellis_md5 FROM (${keysSql}) AS k ORDER BY trellis_md5 COLLATE "C" LIMIT ${p(spec.n)}::bigint`;
  }
  const sql = `SELECT ${cols} FROM (${base}) AS b WHERE b.trellis_md5 IN (${chosenSql})`;
  const table = await wh.query(sql, params);
  const chosen = await wh.query(`SELECT count(*)::bigint AS n FROM (${chosenSql}) AS c`, params);
  return { table, keys: Number(chosen.getChild("n")!.get(0)), population, strata, engine: "warehouse" };
}

// ------------------------------------------------------------------------------------------------

/**
 * Samples whole keys from a warehouse table or query, a Parquet file or folder, a feature view's
 * source, or an Arrow table; the same seed selects the same keys on every path (see the module docs).
 * @example
 * const { table, keys } = await sample({ warehouse: "embedded:.trellis/warehouse", table: "orders" },
 *   { by: "customer_id", fraction: 0.1, seed: 42 });
 */
export async function sample(source: SampleSource, options: SampleOptions): Promise<SampleResult> {
  const spec = checkOptions(options);
  if (source instanceof arrow.Table) return sampleTable(source, options, spec);
  if (!source || typeof source !== "object") {
    throw new InvalidArgumentError("sample: source must be an Arrow table, { warehouse, table }, { warehouse, query }, { parquet } or { store, view }.");
  }
  if ("parquet" in source) return sampleTable(await readParquet(source.parquet, { filter: options.filter?.length ? options.filter : undefined }), options, spec);
  if ("store" in source) {
    const view = typeof source.view === "string" ? source.store.views.find((v) => v.name === source.view) : source.view;
    if (!view) throw new InvalidArgumentError(`sample: the store has no feature view ${JSON.stringify(source.view)}.`);
    const s = view.source;
    if (s.kind === "warehouseTable") return sample({ warehouse: source.store.warehouse, table: s.table }, options);
    if (s.kind === "sqlQuery") return sample({ warehouse: source.store.warehouse, query: s.sql }, options);
    if (!source.store.lake) throw new InvalidArgumentError(`sample: feature view ${JSON.stringify(view.name)} reads the lake, but the store was opened without one.`);
    const { join } = await import("node:path");
    return sample({ parquet: join(source.store.lake, s.path) }, options);
  }
  if ("warehouse" in source) {
    const owned = typeof source.warehouse === "string";
    const wh = owned ? await Warehouse.open(source.warehouse as string) : (source.warehouse as WarehouseType);
    try {
      const from =
        "table" in source
          ? { sql: `SELECT * FROM ${quoteTableName(source.table)}`, params: [] as unknown[] }
          : { sql: source.query.trim().replace(/;\s*$/, ""), params: [...(source.params ?? [])] };
      return await sampleWarehouse(wh, from, options, spec);
    } finally {
      if (owned) await wh.close();
    }
  }
  throw new InvalidArgumentError("sample: source must be an Arrow table, { warehouse, table }, { warehouse, query }, { parquet } or { store, view }.");
}

/** Options of {@link sampleEntities}. */
export interface SampleEntitiesOptions extends Omit<SampleOptions, "by" | "stratify"> {
  /** The entity times: one Date (every key at that time) or several (every key at each). */
  at: Date | readonly Date[];
  /** Name of the timestamp column of the entity rows (default `event_ts`). */
  timestampColumn?: string;
}

/**
 * A sample of entity rows to feed `getHistoricalFeatures`: the view's entity keys (sampled from its
 * source with the portable hash), each at the given time(s).
 * @example
 * const entities = await sampleEntities(store, customerStats, { fraction: 0.2, seed: 7, at: new Date("2025-06-01Z") });
 * const training = await store.getHistoricalFeatures({ entityRows: entities, features: customerStats.select("orders_30d") });
 */
export async function sampleEntities(
  store: FeatureStore<AnyFeatureView>,
  view: AnyFeatureView | string,
  options: SampleEntitiesOptions,
): Promise<arrow.Table> {
  const v = typeof view === "string" ? store.views.find((x) => x.name === view) : view;
  if (!v) throw new InvalidArgumentError(`sampleEntities: the store has no feature view ${JSON.stringify(view)}.`);
  const times = options.at instanceof Date ? [options.at] : [...options.at];
  if (!times.length || times.some((t) => !(t instanceof Date) || Number.isNaN(t.getTime()))) {
    throw new InvalidArgumentError("sampleEntities: option at must be a valid Date or a non-empty list of them.");
  }
  const keys = [...v.entity.joinKeys];
  const got = await sample({ store, view: v }, { ...options, by: keys });
  const seen = new Set<string>();
  const keyRows: unknown[][] = [];
  const cols = keys.map((k) => got.table.getChild(k)!);
  for (let i = 0; i < got.table.numRows; i++) {
    const values = cols.map((c) => c.get(i) as unknown);
    const text = keyText(values, keys)!;
    if (seen.has(text)) continue;
    seen.add(text);
    keyRows.push(values);
  }
  keyRows.sort((a, b) => {
    const ka = keyText(a, keys)!;
    const kb = keyText(b, keys)!;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const tsName = options.timestampColumn ?? "event_ts";
  const out: Record<string, arrow.Vector> = {};
  keys.forEach((k, j) => {
    const type = got.table.schema.fields.find((f) => f.name === k)!.type;
    out[k] = arrow.vectorFromArray(times.flatMap(() => keyRows.map((r) => r[j])), type);
  });
  out[tsName] = arrow.vectorFromArray(times.flatMap((t) => keyRows.map(() => t)), new arrow.TimestampMicrosecond("UTC"));
  return new arrow.Table(out);
}
