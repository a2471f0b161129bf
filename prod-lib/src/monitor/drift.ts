/**
 * Drift and data-quality reports: how far the data a model sees now ("current") has moved from the
 * data it was trained on (its reference profile, `reference.json` of its artifact), column by column.
 *
 * Numbers: the reference's 10 decile bins (a value v falls in bin i = the number of decile edges ≤ v,
 * numpy's `searchsorted(edges, v, side="right")`) plus one bin for nulls (NaN counts as null).
 * Strings (and booleans): one bin per category the reference kept by name, one "other" bin, and one
 * for nulls. The other bin holds, on the reference side, the values the profile did not keep by name
 * (its `otherCount`: categories beyond the 1,000 most frequent) and, on the current side, every value
 * not among the kept categories — values new to the model and values the reference saw too rarely
 * to keep alike, since the profile cannot tell them apart. Those values are listed as "unseen" with
 * their counts and examples; when the reference had an other bucket, some of them may have occurred
 * in the training data (the column detail says so with `referenceOtherShare` > 0).
 *
 * Shares are counts over all rows, floored at 1e-4 on both sides; PSI = Σ (cur − ref) · ln(cur / ref)
 * (see ./psi.ts). A column's status is "ok" below the warn threshold (default 0.1), "warn" below the
 * drift threshold (default 0.25), "drift" from there on; "insufficient data" when the current data
 * (or the reference) has fewer than `minRows` rows (default 100), where a PSI would raise false
 * alarms; "missing" when the current data lacks the column; "type mismatch" when it holds numbers
 * where the reference holds strings or the reverse.
 *
 * The current data is read once, batch by batch; only bin counts are kept (and a bounded list of
 * unseen categories), so memory does not grow with the number of rows.
 */
import * as arrow from "apache-arrow";
import {
  InvalidArgumentError,
  escapeHtml,
  formatTable,
  formatValue,
  tableFromRows,
  tableToHtml,
  type Report,
} from "@trellis/shared";
import {
  REFERENCE_FORMAT,
  binIndex,
  buildReferenceProfile,
  categoricalValue,
  numericValue,
  profileKind,
  type CategoricalColumnProfile,
  type ColumnProfile,
  type NumericColumnProfile,
  type ReferenceProfile,
} from "./profile";
import { psiTerm } from "./psi";
import { describeSource, sourceBatches, type DriftSource } from "./source";

/** Format name and version of a drift report's JSON form. */
export const DRIFT_REPORT_FORMAT = "trellis-drift/1";

/** The default PSI thresholds: "warn" from 0.1, "drift" from 0.25. */
export const DEFAULT_DRIFT_THRESHOLDS: Readonly<DriftThresholds> = Object.freeze({ warn: 0.1, drift: 0.25 });

/** The default minimum rows below which a column says "insufficient data". */
export const DEFAULT_MIN_ROWS = 100;

/** Unseen categories tracked by name per column; beyond that they are only counted. */
export const MAX_TRACKED_UNSEEN = 10_000;

/** Unseen categories listed in a column's detail (the most frequent). */
export const UNSEEN_LISTED = 20;

/** PSI thresholds of the column statuses. */
export interface DriftThresholds {
  /** PSI from which a column is "warn" (default 0.1). */
  warn: number;
  /** PSI from which a column is "drift" (default 0.25). */
  drift: number;
}

/** A column's status in a drift report. */
export type DriftStatus = "ok" | "warn" | "drift" | "insufficient data" | "missing" | "type mismatch";

/** The whole report's status: the worst of its checked columns. */
export type DriftOverallStatus = "ok" | "warn" | "drift" | "insufficient data";

/** One bin of a column's comparison. */
export interface DriftBin {
  /** e.g. "[1.5, 3.2)", "gold", "(other)", "(null)". */
  label: string;
  /** Share of the reference rows in this bin (before flooring). */
  reference: number;
  /** Share of the current rows in this bin (before flooring). */
  current: number;
  /** Current rows in this bin. */
  currentCount: number;
  /** This bin's term of the PSI sum. */
  psi: number;
}

/** One category of the current data not among the reference's kept categories. */
export interface UnseenCategory {
  value: string;
  count: number;
}

/** What is common to every column of a report. */
interface ColumnDriftBase {
  column: string;
  status: DriftStatus;
  /** The reference profile's type (e.g. "Float64"). */
  referenceType: string;
  /** The current column's Arrow type, or null when it is missing. */
  currentType: string | null;
  /** PSI over the bins, or null when it could not be computed (missing column, type mismatch). */
  psi: number | null;
  referenceRows: number;
  currentRows: number;
  referenceNullRate: number;
  /** null when the column is missing or mistyped. */
  currentNullRate: number | null;
  /** The bins compared (empty when the column could not be compared). */
  bins: DriftBin[];
  /** Why a column could not be compared, or a remark on it. */
  note: string | null;
}

/** Drift of a numeric column. */
export interface NumericColumnDrift extends ColumnDriftBase {
  kind: "numeric";
  referenceMin: number | null;
  referenceMax: number | null;
  referenceMean: number | null;
  currentMin: number | null;
  currentMax: number | null;
  currentMean: number | null;
  /** Share of the current non-null values below the reference's min or above its max. */
  outOfRangeShare: number | null;
  /** Current non-null values outside the reference's min..max. */
  outOfRangeCount: number;
}

/** Drift of a string (or boolean) column. */
export interface CategoricalColumnDrift extends ColumnDriftBase {
  kind: "categorical";
  /** Current rows whose value is not among the reference's kept categories. */
  unseenCount: number;
  /** unseenCount / current rows. */
  unseenShare: number | null;
  /** Distinct unseen values (exact up to {@link MAX_TRACKED_UNSEEN}, a lower bound beyond). */
  unseenDistinct: number;
  /** The most frequent unseen values (at most {@link UNSEEN_LISTED}). */
  unseen: UnseenCategory[];
  /** The reference's share of values it did not keep by name (its "other" bucket). */
  referenceOtherShare: number;
}

/** Drift of one column. */
export type ColumnDrift = NumericColumnDrift | CategoricalColumnDrift;

/** The report's summary. */
export interface DriftSummary {
  referenceRows: number;
  currentRows: number;
  /** Columns compared with enough data (ok, warn or drift). */
  columnsChecked: number;
  columnsDrifting: number;
  columnsWarning: number;
  columnsInsufficient: number;
  columnsMissing: number;
  columnsMistyped: number;
  /** columnsDrifting / columnsChecked (0 when none was checked). */
  driftShare: number;
  status: DriftOverallStatus;
  thresholds: DriftThresholds;
  minRows: number;
  /** ISO-8601 UTC time the report was computed. */
  computedAt: string;
  /** What the current data was, for people (e.g. "parquet lake/predictions"). */
  source: string;
}

/** The JSON form of a report (`report.toJSON()`). */
export interface DriftReportJSON {
  format: typeof DRIFT_REPORT_FORMAT;
  summary: DriftSummary;
  columns: ColumnDrift[];
}

/** Options of {@link driftReport}. */
export interface DriftReportOptions {
  /** A reference profile (`reference.json` of an artifact) or the reference data itself, profiled on the fly. */
  reference: ReferenceProfile | arrow.Table | readonly Record<string, unknown>[];
  /** The data to check: row objects, an Arrow table, record batches or a `move` source. */
  current: DriftSource;
  /** Reference columns to check (default: all of the reference's columns). */
  columns?: readonly string[];
  /** PSI thresholds (default {@link DEFAULT_DRIFT_THRESHOLDS}). */
  thresholds?: Partial<DriftThresholds>;
  /** Rows needed on each side for a status other than "insufficient data" (default 100). */
  minRows?: number;
  /** Rows per batch when reading a `move` source. */
  batchSize?: number;
  /** Called after each batch with the current rows read so far. */
  onProgress?: (p: { rows: number; seconds: number }) => void;
}

const NUMERIC_FAST = new Set([arrow.Type.Float, arrow.Type.Int]);

/** Counts one numeric column's bins batch after batch. */
class NumericCounter {
  readonly counts: Float64Array;
  nulls = 0;
  rows = 0;
  outOfRange = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private readonly edges: Float64Array;
  private readonly lo: number;
  private readonly hi: number;

  constructor(readonly profile: NumericColumnProfile) {
    this.edges = Float64Array.from(profile.edges);
    // 10 value bins (1 when the reference had no value at all, so current values still have a place).
    this.counts = new Float64Array(Math.max(profile.edges.length + 1, 1));
    this.lo = profile.min ?? Infinity;
    this.hi = profile.max ?? -Infinity;
  }

  add(vector: arrow.Vector): void {
    for (const data of vector.data) this.addData(data as arrow.Data);
  }

  private addData(data: arrow.Data): void {
    const n = data.length;
    this.rows += n;
    const type = data.type as arrow.DataType;
    if (NUMERIC_FAST.has(type.typeId) && this.edges.length === DECILE_EDGES) {
      const raw = data.values as ArrayLike<number> | BigInt64Array | BigUint64Array;
      // 64-bit integers are read as doubles once per batch; Float32 values widen exactly.
      const values: ArrayLike<number> =
        raw instanceof BigInt64Array || raw instanceof BigUint64Array ? Float64Array.from(raw.subarray(0, n), Number) : (raw as ArrayLike<number>);
      this.addValues(values, n, data.nullCount > 0 ? data.nullBitmap : undefined, data.offset);
      return;
    }
    // Dates, timestamps, dictionaries, a reference without values: through Arrow's getters (epoch ms).
    const vector = new arrow.Vector([data]);
    for (let i = 0; i < n; i++) {
      const v = numericValue(vector.get(i));
      if (v === null) this.nulls++;
      else this.value(v);
    }
  }

  /**
   * The hot loop: a value's bin is the number of the 9 edges ≤ it, summed without branches (a binary
   * search mispredicts on every other comparison for data spread over the bins); NaN is null.
   */
  private addValues(values: ArrayLike<number>, n: number, bitmap: Uint8Array | undefined, offset: number): void {
    const e = this.edges;
    const e0 = e[0]!, e1 = e[1]!, e2 = e[2]!, e3 = e[3]!, e4 = e[4]!, e5 = e[5]!, e6 = e[6]!, e7 = e[7]!, e8 = e[8]!;
    const counts = this.counts;
    const lo = this.lo;
    const hi = this.hi;
    let nulls = 0, out = 0, sum = 0, min = this.min, max = this.max;
    for (let i = 0; i < n; i++) {
      if (bitmap !== undefined) {
        const bit = offset + i;
        if (((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 0) {
          nulls++;
          continue;
        }
      }
      const v = values[i]!;
      if (v !== v) {
        nulls++;
        continue;
      }
      counts[+(e0 <= v) + +(e1 <= v) + +(e2 <= v) + +(e3 <= v) + +(e4 <= v) + +(e5 <= v) + +(e6 <= v) + +(e7 <= v) + +(e8 <= v)]!++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
      if (v < lo || v > hi) out++;
    }
    this.nulls += nulls;
    this.outOfRange += out;
    this.sum += sum;
    this.min = min;
    this.max = max;
  }

  private value(v: number): void {
    this.counts[binIndex(this.profile.edges, v)]!++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (v < this.lo || v > this.hi) this.outOfRange++;
  }
}

const DECILE_EDGES = 9;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Distinct UTF-8 byte strings → small integer ids, without decoding them: an open-addressing hash
 * table (FNV-1a) over a byte pool. The reference's categories take ids 0…k−1; values met later
 * are added (up to a limit) so each distinct unseen value is decoded once, at the end.
 */
class ByteIds {
  private pool = new Uint8Array(1 << 12);
  private used = 0;
  private starts: number[] = [];
  private lengths: number[] = [];
  private hashes: number[] = [];
  private slots = new Int32Array(1 << 8).fill(-1);

  get size(): number {
    return this.starts.length;
  }

  static hash(bytes: Uint8Array, a: number, b: number): number {
    let h = 0x811c9dc5;
    for (let k = a; k < b; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
    return h >>> 0;
  }

  /** The id of bytes[a..b), or −1. */
  find(bytes: Uint8Array, a: number, b: number, h: number): number {
    const mask = this.slots.length - 1;
    const len = b - a;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const id = this.slots[s]!;
      if (id < 0) return -1;
      if (this.hashes[id] === h && this.lengths[id] === len) {
        const start = this.starts[id]!;
        const pool = this.pool;
        let k = 0;
        while (k < len && pool[start + k] === bytes[a + k]) k++;
        if (k === len) return id;
      }
    }
  }

  /** Adds bytes[a..b) (known to be absent) and returns its id. */
  add(bytes: Uint8Array, a: number, b: number, h: number): number {
    const len = b - a;
    if (this.used + len > this.pool.length) {
      const grown = new Uint8Array(Math.max(this.pool.length * 2, this.used + len));
      grown.set(this.pool.subarray(0, this.used));
      this.pool = grown;
    }
    this.pool.set(bytes.subarray(a, b), this.used);
    const id = this.starts.length;
    this.starts.push(this.used);
    this.lengths.push(len);
    this.hashes.push(h);
    this.used += len;
    if ((id + 1) * 2 > this.slots.length) this.rehash();
    else this.place(id);
    return id;
  }

  text(id: number): string {
    const start = this.starts[id]!;
    return decoder.decode(this.pool.subarray(start, start + this.lengths[id]!));
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let s = this.hashes[id]! & mask;
    while (this.slots[s]! >= 0) s = (s + 1) & mask;
    this.slots[s] = id;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 4).fill(-1);
    for (let id = 0; id < this.starts.length; id++) this.place(id);
  }
}

/** Counts one categorical column's bins batch after batch. */
class CategoricalCounter {
  rows = 0;
  nulls = 0;
  /** Rows whose value was not tracked by name (beyond MAX_TRACKED_UNSEEN distinct unseen values). */
  untracked = 0;
  private readonly ids = new ByteIds();
  /** Rows per id: ids < k are the reference's categories, the others unseen values. */
  private idCounts = new Float64Array(64);
  private readonly k: number;
  /** Strings met through the generic paths (booleans, dictionaries), to skip re-encoding them. */
  private readonly stringIds = new Map<string, number>();

  constructor(readonly profile: CategoricalColumnProfile) {
    for (const c of profile.categories) {
      const bytes = encoder.encode(c.value);
      const h = ByteIds.hash(bytes, 0, bytes.length);
      if (this.ids.find(bytes, 0, bytes.length, h) < 0) this.ids.add(bytes, 0, bytes.length, h);
    }
    this.k = this.ids.size;
    this.grow(this.k + 64);
  }

  /** Rows per reference category, then the other bin. */
  get counts(): Float64Array {
    const out = new Float64Array(this.k + 1);
    out.set(this.idCounts.subarray(0, this.k));
    out[this.k] = this.unseenCount;
    return out;
  }

  get unseenCount(): number {
    let total = this.untracked;
    for (let id = this.k; id < this.ids.size; id++) total += this.idCounts[id]!;
    return total;
  }

  /** Unseen values by name with their counts (tracked ones). */
  unseen(): Map<string, number> {
    const out = new Map<string, number>();
    for (let id = this.k; id < this.ids.size; id++) out.set(this.ids.text(id), this.idCounts[id]!);
    return out;
  }

  add(vector: arrow.Vector): void {
    for (const data of vector.data) this.addData(data as arrow.Data);
  }

  private grow(size: number): void {
    if (size <= this.idCounts.length) return;
    const next = new Float64Array(Math.max(size, this.idCounts.length * 2));
    next.set(this.idCounts);
    this.idCounts = next;
  }

  /** The id of bytes[a..b), adding it when there is room; −1 when untracked. */
  private idOf(bytes: Uint8Array, a: number, b: number): number {
    const h = ByteIds.hash(bytes, a, b);
    const id = this.ids.find(bytes, a, b, h);
    if (id >= 0) return id;
    if (this.ids.size - this.k >= MAX_TRACKED_UNSEEN) return -1;
    const added = this.ids.add(bytes, a, b, h);
    this.grow(added + 1);
    return added;
  }

  private value(v: string, count: number): void {
    let id = this.stringIds.get(v);
    if (id === undefined) {
      const bytes = encoder.encode(v);
      id = this.idOf(bytes, 0, bytes.length);
      if (id >= 0) this.stringIds.set(v, id);
    }
    if (id >= 0) this.idCounts[id]! += count;
    else this.untracked += count;
  }

  private addData(data: arrow.Data): void {
    const n = data.length;
    this.rows += n;
    const type = data.type as arrow.DataType;
    const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
    const offset = data.offset;
    if (arrow.DataType.isDictionary(type) && data.dictionary) {
      // Count the codes, then name each code once.
      const codes = data.values as ArrayLike<number | bigint>;
      const dict = data.dictionary;
      const perCode = new Float64Array(dict.length);
      for (let i = 0; i < n; i++) {
        const bit = offset + i;
        if (bitmap !== undefined && ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 0) this.nulls++;
        else perCode[Number(codes[i])]!++;
      }
      for (let code = 0; code < perCode.length; code++) {
        if (perCode[code] === 0) continue;
        const v = categoricalValue(dict.get(code));
        if (v === null) this.nulls += perCode[code]!;
        else this.value(v, perCode[code]!);
      }
      return;
    }
    if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) {
      // Straight from the UTF-8 bytes: no string is built for a value already met.
      const offsets = data.valueOffsets as ArrayLike<number | bigint>;
      const bytes = data.values as Uint8Array;
      const big = offsets instanceof BigInt64Array;
      let nulls = 0;
      for (let i = 0; i < n; i++) {
        const bit = offset + i;
        if (bitmap !== undefined && ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 0) {
          nulls++;
          continue;
        }
        const a = big ? Number(offsets[i]) : (offsets[i] as number);
        const b = big ? Number(offsets[i + 1]) : (offsets[i + 1] as number);
        const id = this.idOf(bytes, a, b);
        if (id >= 0) this.idCounts[id]!++;
        else this.untracked++;
      }
      this.nulls += nulls;
      return;
    }
    const vector = new arrow.Vector([data]);
    for (let i = 0; i < n; i++) {
      const v = categoricalValue(vector.get(i));
      if (v === null) this.nulls++;
      else this.value(v, 1);
    }
  }
}

/** A finite number in a label, short. */
function edgeLabel(v: number): string {
  return formatValue(v, 4);
}

function numericBinLabels(edges: readonly number[]): string[] {
  if (edges.length === 0) return ["(values)"];
  const labels = [`< ${edgeLabel(edges[0]!)}`];
  for (let i = 1; i < edges.length; i++) labels.push(`[${edgeLabel(edges[i - 1]!)}, ${edgeLabel(edges[i]!)})`);
  labels.push(`≥ ${edgeLabel(edges[edges.length - 1]!)}`);
  return labels;
}

function checkThresholds(t: Partial<DriftThresholds> | undefined): DriftThresholds {
  if (t === undefined) return { ...DEFAULT_DRIFT_THRESHOLDS };
  if (t === null || typeof t !== "object") {
    throw new InvalidArgumentError(`driftReport: thresholds must be an object such as { warn: 0.1, drift: 0.25 }, got ${String(t)}.`);
  }
  for (const k of Object.keys(t)) {
    if (k !== "warn" && k !== "drift") {
      throw new InvalidArgumentError(`driftReport: unknown threshold ${JSON.stringify(k)}; thresholds are warn and drift.`);
    }
  }
  const warn = t.warn ?? DEFAULT_DRIFT_THRESHOLDS.warn;
  const drift = t.drift ?? DEFAULT_DRIFT_THRESHOLDS.drift;
  for (const [name, v] of [["warn", warn], ["drift", drift]] as const) {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new InvalidArgumentError(`driftReport: threshold ${name} must be a finite number > 0, got ${String(v)}.`);
    }
  }
  if (warn > drift) {
    throw new InvalidArgumentError(
      `driftReport: threshold warn (${warn}) must not exceed threshold drift (${drift}); e.g. { warn: 0.1, drift: 0.25 }.`,
    );
  }
  return { warn, drift };
}

function checkReference(reference: unknown): ReferenceProfile {
  if (reference instanceof arrow.Table || Array.isArray(reference)) {
    return buildReferenceProfile(reference as arrow.Table | Record<string, unknown>[]);
  }
  const r = reference as Partial<ReferenceProfile> | null;
  if (r === null || typeof r !== "object" || r.format !== REFERENCE_FORMAT || typeof r.columns !== "object" || r.columns === null) {
    const got = r !== null && typeof r === "object" && "format" in r ? `format ${JSON.stringify(r.format)}` : String(reference);
    throw new InvalidArgumentError(
      `driftReport: reference must be a reference profile (format "${REFERENCE_FORMAT}", as reference.json of a model artifact) or the reference data as an Arrow table or rows, got ${got}.`,
    );
  }
  return r as ReferenceProfile;
}

function statusOf(value: number, t: DriftThresholds): "ok" | "warn" | "drift" {
  return value >= t.drift ? "drift" : value >= t.warn ? "warn" : "ok";
}

/**
 * Compares current data with a reference profile column by column (PSI over the reference's bins,
 * null rates, values out of the reference's range, unseen categories) and returns a {@link DriftReport}.
 * The current data is streamed once, batch by batch; see the module documentation for the bins.
 * @example
 * const report = await driftReport({ reference: model.reference, current: "lake/predictions/day=2025-06-01" });
 * report.summary.status;  // "ok" | "warn" | "drift" | "insufficient data"
 * console.log(report.toString());
 */
export async function driftReport(options: DriftReportOptions): Promise<DriftReport> {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError("driftReport: pass an options object { reference, current }.");
  }
  const known = new Set(["reference", "current", "columns", "thresholds", "minRows", "batchSize", "onProgress"]);
  for (const k of Object.keys(options)) {
    if (!known.has(k)) throw new InvalidArgumentError(`driftReport: unknown option ${JSON.stringify(k)}; known options: ${[...known].join(", ")}.`);
  }
  const reference = checkReference(options.reference);
  const thresholds = checkThresholds(options.thresholds);
  const minRows = options.minRows ?? DEFAULT_MIN_ROWS;
  if (!Number.isInteger(minRows) || minRows < 0) {
    throw new InvalidArgumentError(`driftReport: minRows must be a whole number ≥ 0, got ${String(minRows)}.`);
  }
  const available = Object.keys(reference.columns);
  const columns = options.columns ? [...options.columns] : available;
  if (columns.length === 0) throw new InvalidArgumentError("driftReport: no column to check; the reference profile has none, or columns is empty.");
  const unknown = columns.filter((c) => !(c in reference.columns));
  if (unknown.length) {
    throw new InvalidArgumentError(
      `driftReport: column(s) ${unknown.map((c) => JSON.stringify(c)).join(", ")} are not in the reference profile; its columns: ${available.join(", ")}.`,
    );
  }

  const started = performance.now();
  const source = describeSource(options.current);
  const counters = new Map<string, NumericCounter | CategoricalCounter>();
  const currentTypes = new Map<string, string>();
  const mistyped = new Set<string>();
  let schemaSeen = false;
  let rows = 0;
  for await (const batch of sourceBatches(options.current, { columns, batchSize: options.batchSize })) {
    if (!schemaSeen) {
      schemaSeen = true;
      for (const name of columns) {
        const field = batch.schema.fields.find((f) => f.name === name);
        if (!field) continue;
        currentTypes.set(name, String(field.type));
        const profile = reference.columns[name]!;
        const kind = profileKind(field.type);
        // A column of nulls only (e.g. inferred from an all-empty CSV column) fits either kind.
        if (kind !== profile.kind && !arrow.DataType.isNull(field.type)) {
          mistyped.add(name);
          continue;
        }
        counters.set(name, profile.kind === "numeric" ? new NumericCounter(profile) : new CategoricalCounter(profile));
      }
    }
    for (const [name, counter] of counters) {
      const child = batch.getChild(name);
      if (!child) {
        throw new InvalidArgumentError(`driftReport: column ${JSON.stringify(name)} is missing from a later batch of ${source}; every batch must have the same columns.`);
      }
      if (arrow.DataType.isNull(child.type)) {
        counter.rows += child.length;
        counter.nulls += child.length;
      } else counter.add(child);
    }
    rows += batch.numRows;
    options.onProgress?.({ rows, seconds: (performance.now() - started) / 1000 });
  }

  if (!schemaSeen) {
    // No batch at all (e.g. an empty list of rows): every column has zero rows, not a missing column.
    for (const name of columns) {
      const profile = reference.columns[name]!;
      currentTypes.set(name, profile.type);
      counters.set(name, profile.kind === "numeric" ? new NumericCounter(profile) : new CategoricalCounter(profile));
    }
  }
  const details: ColumnDrift[] = columns.map((name) => {
    const profile = reference.columns[name]!;
    const counter = counters.get(name);
    if (counter) return compare(name, profile, counter, rows, thresholds, minRows, currentTypes.get(name)!);
    const note = !currentTypes.has(name)
      ? `the current data (${source}) has no column ${JSON.stringify(name)}`
      : `the reference holds ${profile.kind === "numeric" ? "numbers" : "strings"} (${profile.type}) but the current data holds ${currentTypes.get(name)}`;
    return uncompared(name, profile, rows, mistyped.has(name) ? "type mismatch" : "missing", currentTypes.get(name) ?? null, note);
  });
  return new DriftReport({ format: DRIFT_REPORT_FORMAT, summary: summarise(details, reference.rows, rows, thresholds, minRows, source), columns: details });
}

function uncompared(name: string, profile: ColumnProfile, rows: number, status: "missing" | "type mismatch", currentType: string | null, note: string): ColumnDrift {
  const base = {
    column: name,
    status,
    referenceType: profile.type,
    currentType,
    psi: null,
    referenceRows: profile.count,
    currentRows: rows,
    referenceNullRate: profile.nullRate,
    currentNullRate: null,
    bins: [],
    note,
  };
  if (profile.kind === "numeric") {
    return {
      ...base,
      kind: "numeric",
      referenceMin: profile.min,
      referenceMax: profile.max,
      referenceMean: profile.mean,
      currentMin: null,
      currentMax: null,
      currentMean: null,
      outOfRangeShare: null,
      outOfRangeCount: 0,
    };
  }
  return { ...base, kind: "categorical", unseenCount: 0, unseenShare: null, unseenDistinct: 0, unseen: [], referenceOtherShare: profile.otherShare };
}

function compare(
  name: string,
  profile: ColumnProfile,
  counter: NumericCounter | CategoricalCounter,
  rows: number,
  thresholds: DriftThresholds,
  minRows: number,
  currentType: string,
): ColumnDrift {
  const refCount = profile.count;
  let labels: string[];
  let refShares: number[];
  if (profile.kind === "numeric") {
    labels = numericBinLabels(profile.edges);
    refShares = profile.edges.length ? profile.binShares.slice() : [0];
  } else {
    labels = [...profile.categories.map((c) => c.value), "(other)"];
    refShares = [...profile.categories.map((c) => c.share), profile.otherShare];
  }
  labels.push("(null)");
  refShares.push(profile.nullRate);
  const curCounts = [...counter.counts, counter.nulls];
  const bins: DriftBin[] = labels.map((label, i) => {
    const current = rows === 0 ? 0 : curCounts[i]! / rows;
    return { label, reference: refShares[i]!, current, currentCount: curCounts[i]!, psi: psiTerm(refShares[i]!, current) };
  });
  const value = rows === 0 || refCount === 0 ? null : bins.reduce((s, b) => s + b.psi, 0);
  const enough = rows >= minRows && refCount >= minRows && value !== null;
  const status: DriftStatus = enough ? statusOf(value, thresholds) : "insufficient data";
  const plural = (n: number) => `${n} row${n === 1 ? "" : "s"}`;
  const note = enough
    ? null
    : rows < minRows
      ? `current has ${plural(rows)}, fewer than minRows (${minRows})`
      : refCount < minRows
        ? `the reference has ${plural(refCount)}, fewer than minRows (${minRows})`
        : rows === 0
          ? "current has no rows"
          : "the reference has no rows";
  const base = {
    column: name,
    status,
    referenceType: profile.type,
    currentType,
    psi: value,
    referenceRows: refCount,
    currentRows: rows,
    referenceNullRate: profile.nullRate,
    currentNullRate: rows === 0 ? null : counter.nulls / rows,
    bins,
    note,
  };
  if (profile.kind === "numeric") {
    const c = counter as NumericCounter;
    const values = rows - c.nulls;
    return {
      ...base,
      kind: "numeric",
      referenceMin: profile.min,
      referenceMax: profile.max,
      referenceMean: profile.mean,
      currentMin: values ? c.min : null,
      currentMax: values ? c.max : null,
      currentMean: values ? c.sum / values : null,
      outOfRangeShare: values ? c.outOfRange / values : null,
      outOfRangeCount: c.outOfRange,
    };
  }
  const c = counter as CategoricalCounter;
  const named = c.unseen();
  const unseen = [...named]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, UNSEEN_LISTED)
    .map(([v, n]) => ({ value: v, count: n }));
  return {
    ...base,
    kind: "categorical",
    unseenCount: c.unseenCount,
    unseenShare: rows === 0 ? null : c.unseenCount / rows,
    unseenDistinct: named.size,
    unseen,
    referenceOtherShare: profile.otherShare,
  };
}

function summarise(
  columns: ColumnDrift[],
  referenceRows: number,
  currentRows: number,
  thresholds: DriftThresholds,
  minRows: number,
  source: string,
): DriftSummary {
  const count = (s: DriftStatus) => columns.filter((c) => c.status === s).length;
  const drifting = count("drift");
  const warning = count("warn");
  const checked = drifting + warning + count("ok");
  const insufficient = count("insufficient data");
  const status: DriftOverallStatus = drifting ? "drift" : warning ? "warn" : checked ? "ok" : insufficient ? "insufficient data" : "ok";
  return {
    referenceRows,
    currentRows,
    columnsChecked: checked,
    columnsDrifting: drifting,
    columnsWarning: warning,
    columnsInsufficient: insufficient,
    columnsMissing: count("missing"),
    columnsMistyped: count("type mismatch"),
    driftShare: checked ? drifting / checked : 0,
    status,
    thresholds,
    minRows,
    computedAt: new Date().toISOString(),
    source,
  };
}

const TABLE_SCHEMA = new arrow.Schema([
  new arrow.Field("column", new arrow.Utf8(), false),
  new arrow.Field("kind", new arrow.Utf8(), false),
  new arrow.Field("status", new arrow.Utf8(), false),
  new arrow.Field("psi", new arrow.Float64(), true),
  new arrow.Field("reference_null_rate", new arrow.Float64(), false),
  new arrow.Field("current_null_rate", new arrow.Float64(), true),
  new arrow.Field("out_of_range_share", new arrow.Float64(), true),
  new arrow.Field("unseen_count", new arrow.Float64(), true),
  new arrow.Field("unseen_share", new arrow.Float64(), true),
  new arrow.Field("current_type", new arrow.Utf8(), true),
  new arrow.Field("note", new arrow.Utf8(), true),
]);

const percent = (v: unknown) => (typeof v === "number" ? `${formatValue(v * 100, 3)}%` : "");

/**
 * A drift report: its data as an Arrow table (one row per column: column, kind, status, psi,
 * reference_null_rate, current_null_rate, out_of_range_share, unseen_count, unseen_share,
 * current_type, note), a {@link DriftSummary}, the per-column detail (bins with both sides' shares,
 * unseen categories, ranges), an aligned text form and a self-contained HTML form.
 * @example
 * const report = await driftReport({ reference, current: rows });
 * report.table.getChild("psi");            // PSI per column
 * report.summary.driftShare;               // columns drifting / columns checked
 * writeFileSync("drift.html", report.toHTML());
 */
export class DriftReport implements Report {
  readonly summary: DriftSummary;
  readonly columns: readonly ColumnDrift[];
  readonly table: arrow.Table;

  constructor(json: DriftReportJSON) {
    if (json === null || typeof json !== "object" || json.format !== DRIFT_REPORT_FORMAT || !Array.isArray(json.columns)) {
      throw new InvalidArgumentError(`DriftReport: expected a report of format "${DRIFT_REPORT_FORMAT}" (as toJSON() gives).`);
    }
    this.summary = json.summary;
    this.columns = json.columns;
    this.table = tableFromRows(
      json.columns.map((c) => ({
        column: c.column,
        kind: c.kind,
        status: c.status,
        psi: c.psi,
        reference_null_rate: c.referenceNullRate,
        current_null_rate: c.currentNullRate,
        out_of_range_share: c.kind === "numeric" ? c.outOfRangeShare : null,
        unseen_count: c.kind === "categorical" && c.status !== "missing" && c.status !== "type mismatch" ? c.unseenCount : null,
        unseen_share: c.kind === "categorical" ? c.unseenShare : null,
        current_type: c.currentType,
        note: c.note,
      })),
      TABLE_SCHEMA,
    );
  }

  /**
   * Rebuilds a report from its JSON form (as stored by {@link monitor} or written by `toJSON`).
   * @example DriftReport.fromJSON(JSON.parse(text)).summary.status
   */
  static fromJSON(json: DriftReportJSON): DriftReport {
    return new DriftReport(json);
  }

  /** Whether any column drifts (status "drift"). */
  get drifting(): boolean {
    return this.summary.columnsDrifting > 0;
  }

  /** The detail of one column. */
  column(name: string): ColumnDrift {
    const c = this.columns.find((x) => x.column === name);
    if (!c) throw new InvalidArgumentError(`DriftReport: no column ${JSON.stringify(name)}; columns: ${this.columns.map((x) => x.column).join(", ")}.`);
    return c;
  }

  /** The report as plain JSON data (format "trellis-drift/1"). */
  toJSON(): DriftReportJSON {
    return { format: DRIFT_REPORT_FORMAT, summary: this.summary, columns: [...this.columns] };
  }

  private headline(): string {
    const s = this.summary;
    return (
      `Drift report: ${s.status} — ${s.columnsDrifting} of ${s.columnsChecked} checked column${s.columnsChecked === 1 ? "" : "s"} drifting ` +
      `(drift share ${formatValue(s.driftShare, 3)}); reference ${s.referenceRows} rows, current ${s.currentRows} rows (${s.source}); ` +
      `PSI warn ≥ ${s.thresholds.warn}, drift ≥ ${s.thresholds.drift}; computed ${s.computedAt}`
    );
  }

  private extras(): string[] {
    const s = this.summary;
    const out: string[] = [];
    if (s.columnsInsufficient) out.push(`${s.columnsInsufficient} column(s) with insufficient data (fewer than ${s.minRows} rows)`);
    if (s.columnsMissing) out.push(`${s.columnsMissing} column(s) missing from the current data`);
    if (s.columnsMistyped) out.push(`${s.columnsMistyped} column(s) of another type than the reference`);
    return out;
  }

  /** An aligned text table with a headline, for a terminal. */
  toString(): string {
    const lines = [this.headline(), ...this.extras()];
    lines.push(
      formatTable(this.table, {
        digits: 4,
        maxRows: 1000,
        nullText: "",
        formatters: { reference_null_rate: percent, current_null_rate: percent, out_of_range_share: percent, unseen_share: percent },
      }),
    );
    for (const c of this.columns) {
      if (c.kind === "categorical" && c.unseen.length) {
        lines.push(
          `${c.column}: unseen ${c.unseen.map((u) => `${JSON.stringify(u.value)} (${u.count})`).join(", ")}${c.unseenDistinct > c.unseen.length ? ` … ${c.unseenDistinct - c.unseen.length} more` : ""}`,
        );
      }
    }
    return lines.join("\n");
  }

  /**
   * A self-contained HTML fragment (inline styles, no script, no external assets): the summary,
   * the table with rows coloured by status, and per column a bar comparison of the reference and
   * current shares of each bin drawn with CSS-only bars.
   */
  toHTML(): string {
    const s = this.summary;
    const colour = STATUS_TEXT_COLOURS[s.status] ?? "#333";
    const out: string[] = [`<div style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:13px;color:#222">`];
    out.push(
      `<h3 style="margin:4px 0">Drift report: <span style="color:${colour}">${escapeHtml(s.status)}</span></h3>`,
      `<p style="margin:4px 0">${escapeHtml(
        `${s.columnsDrifting} of ${s.columnsChecked} checked columns drifting (drift share ${formatValue(s.driftShare, 3)}); reference ${s.referenceRows} rows, current ${s.currentRows} rows (${s.source}); PSI warn ≥ ${s.thresholds.warn}, drift ≥ ${s.thresholds.drift}; computed ${s.computedAt}.`,
      )}</p>`,
    );
    for (const e of this.extras()) out.push(`<p style="margin:4px 0;color:#8a5a00">${escapeHtml(e)}.</p>`);
    out.push(
      tableToHtml(this.table, {
        digits: 4,
        maxRows: 1000,
        formatters: { reference_null_rate: percent, current_null_rate: percent, out_of_range_share: percent, unseen_share: percent },
        rowStatus: (r) => {
          const st = this.columns[r]!.status;
          return st === "insufficient data" ? undefined : st === "missing" || st === "type mismatch" ? "error" : st;
        },
      }),
    );
    out.push(
      `<p style="margin:8px 0 4px 0;font-size:12px"><span style="display:inline-block;width:10px;height:10px;background:${REF_BAR}"></span> reference ` +
        `<span style="display:inline-block;width:10px;height:10px;background:${CUR_BAR};margin-left:8px"></span> current</p>`,
    );
    out.push(`<div style="display:flex;flex-wrap:wrap;gap:12px">`);
    for (const c of this.columns) if (c.bins.length) out.push(binsHtml(c));
    out.push("</div></div>");
    return out.join("");
  }
}

const REF_BAR = "#9aa5b1";
const CUR_BAR = "#2b6cb0";
const STATUS_TEXT_COLOURS: Record<string, string> = { ok: "#1f7a1f", warn: "#8a5a00", drift: "#b42318", "insufficient data": "#666" };

function binsHtml(c: ColumnDrift): string {
  const max = Math.max(...c.bins.map((b) => Math.max(b.reference, b.current)), 1e-12);
  const bar = (share: number, colourHex: string) =>
    `<div style="height:6px;margin:1px 0;background:${colourHex};width:${((share / max) * 100).toFixed(2)}%"></div>`;
  const rows = c.bins
    .map(
      (b) =>
        `<tr><td style="padding:1px 6px 1px 0;white-space:nowrap;text-align:right;color:#555">${escapeHtml(b.label)}</td>` +
        `<td style="padding:1px 0;width:160px">${bar(b.reference, REF_BAR)}${bar(b.current, CUR_BAR)}</td>` +
        `<td style="padding:1px 0 1px 6px;white-space:nowrap;color:#555">${escapeHtml(percent(b.reference))} → ${escapeHtml(percent(b.current))}</td></tr>`,
    )
    .join("");
  const colour = STATUS_TEXT_COLOURS[c.status] ?? "#333";
  const title = `${c.column} — ${c.status}${c.psi === null ? "" : `, PSI ${formatValue(c.psi, 4)}`}`;
  return (
    `<div style="border:1px solid #ddd;border-radius:4px;padding:6px;min-width:280px">` +
    `<div style="font-weight:600;margin-bottom:4px;color:${colour}">${escapeHtml(title)}</div>` +
    `<table style="border-collapse:collapse;font-size:11px">${rows}</table>${unseenHtml(c)}</div>`
  );
}

function unseenHtml(c: ColumnDrift): string {
  if (c.kind !== "categorical" || c.unseen.length === 0) return "";
  const listed = c.unseen.map((u) => `${escapeHtml(JSON.stringify(u.value))} (${u.count})`).join(", ");
  const more = c.unseenDistinct > c.unseen.length ? ` … ${c.unseenDistinct - c.unseen.length} more` : "";
  return `<div style="font-size:11px;margin-top:4px;max-width:420px;color:#555">unseen: ${listed}${more}</div>`;
}
