/**
 * The in-process point-in-time join: for each entity row, the latest feature row of the same key at or
 * before the entity row's time (within a TTL), computed over Arrow columns with typed arrays
 * (counting sort by key, sort by time within a key, binary search), never with per-row objects.
 */
import * as arrow from "apache-arrow";
import { FeatureStoreError, InvalidArgumentError, SchemaMismatchError } from "../errors";
import { flattenColumn, gatherColumn, keyCodes, keyFamily, timestampMicros } from "./columns";
import { type Ttl, ttlMicros } from "./ttl";

/** The feature-side rows of one view, prepared for point-in-time lookups. */
export interface PointInTimeIndexInput {
  /** Key columns of the feature rows (one or more, composite keys in order). */
  featureKeys: arrow.Vector[];
  /** Event time of each feature row, epoch microseconds (NaN = null, such rows never match). */
  featureTs: Float64Array;
  /** Creation time of each feature row, epoch microseconds (NaN = unknown), or null. */
  featureCreated: Float64Array | null;
  /** Key columns of the entity rows, same order as `featureKeys`. */
  entityKeys: arrow.Vector[];
  /** Event time of each entity row, epoch microseconds. */
  entityTs: Float64Array;
  /** Lower bound width in microseconds, or null for no lower bound. */
  ttlMicros: number | null;
  /** Ignore feature rows created after the entity row's time. */
  filterByCreatedTimestamp: boolean;
}

/**
 * For each entity row, the index of the matching feature row, or -1.
 *
 * Semantics: same key; `feature.ts <= entity.ts` and `feature.ts >= entity.ts - ttl` (both inclusive);
 * the latest by `ts`, ties broken by the latest created timestamp (a row with a known created time wins
 * over one without); with `filterByCreatedTimestamp`, rows created after `entity.ts` are ignored.
 * @example
 * const idx = pointInTimeIndices({ featureKeys, featureTs, featureCreated: null, entityKeys, entityTs,
 *   ttlMicros: null, filterByCreatedTimestamp: false });
 */
export function pointInTimeIndices(input: PointInTimeIndexInput): Int32Array {
  const ne = input.entityTs.length;
  if (ne === 0 || input.featureTs.length === 0) return new Int32Array(ne).fill(-1);
  const codes = keyCodes(input.featureKeys, input.entityKeys);
  if (input.filterByCreatedTimestamp && input.featureCreated !== null) return groupedSearch(input, codes);
  return asofWalk(input, codes);
}

/**
 * Ascending order of `values` (NaN left out), stable: an LSD radix sort on integer values (16-bit
 * digits, passes over constant digits skipped), or a comparator sort when values are not integers.
 */
export function argsortTimes(values: Float64Array): Int32Array {
  const n = values.length;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  let integral = true;
  let sorted = true;
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) continue;
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
    if (integral && !Number.isInteger(v)) integral = false;
    if (v < prev) sorted = false;
    prev = v;
  }
  let order = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < n; i++) if (values[i] === values[i]) order[k++] = i;
  if (sorted) return order;
  if (!integral || max - min > Number.MAX_SAFE_INTEGER) {
    return order.sort((a, b) => values[a] - values[b] || a - b);
  }
  // Keys relative to the minimum as two 32-bit words, four 16-bit digits.
  const lo = new Uint32Array(count);
  const hi = new Uint32Array(count);
  for (let p = 0; p < count; p++) {
    const d = values[order[p]] - min;
    const h = Math.floor(d / 4294967296);
    hi[p] = h;
    lo[p] = d - h * 4294967296;
  }
  let keyLo = lo;
  let keyHi = hi;
  let tmpOrder = new Int32Array(count);
  let tmpLo = new Uint32Array(count);
  let tmpHi = new Uint32Array(count);
  const buckets = new Int32Array(65537);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass < 2 ? keyLo : keyHi;
    const shift = pass % 2 === 0 ? 0 : 16;
    buckets.fill(0);
    for (let p = 0; p < count; p++) buckets[((word[p] >>> shift) & 0xffff) + 1]++;
    if (buckets[(((word[0] >>> shift) & 0xffff) + 1)] === count) continue; // constant digit
    for (let b = 0; b < 65536; b++) buckets[b + 1] += buckets[b];
    for (let p = 0; p < count; p++) {
      const q = buckets[(word[p] >>> shift) & 0xffff]++;
      tmpOrder[q] = order[p];
      tmpLo[q] = keyLo[p];
      tmpHi[q] = keyHi[p];
    }
    [order, tmpOrder] = [tmpOrder, order];
    [keyLo, tmpLo] = [tmpLo, keyLo];
    [keyHi, tmpHi] = [tmpHi, keyHi];
  }
  return order;
}

/**
 * The as-of walk (like pandas merge_asof with `by`): entity rows and feature rows in time order,
 * remembering per key the latest feature row seen so far. Sequential over the feature rows (which
 * are usually stored in time order already); no per-key sorting.
 */
function asofWalk(input: PointInTimeIndexInput, codes: { left: Int32Array; right: Int32Array; groups: number }): Int32Array {
  const { featureTs, featureCreated, entityTs } = input;
  const ne = entityTs.length;
  const result = new Int32Array(ne).fill(-1);
  const fCode = codes.left;
  const eCode = codes.right;
  const fOrder = argsortTimes(featureTs);
  const eOrder = argsortTimes(entityTs);
  // Per key: the latest row so far and its time (kept beside it to avoid a random read of featureTs).
  const last = new Int32Array(codes.groups).fill(-1);
  const lastTs = new Float64Array(codes.groups);
  const ttl = input.ttlMicros;
  const m = fOrder.length;
  let fp = 0;
  for (let q = 0; q < eOrder.length; q++) {
    const r = eOrder[q];
    const ts = entityTs[r];
    while (fp < m) {
      const i = fOrder[fp];
      const t = featureTs[i];
      if (t > ts) break;
      fp++;
      const g = fCode[i];
      if (g < 0) continue;
      const l = last[g];
      if (l < 0 || t > lastTs[g] || featureCreated === null) {
        // Later time, or equal time without created times: the later row wins.
        last[g] = i;
        lastTs[g] = t;
      } else {
        // Equal time: the later created time wins (unknown = oldest); equal created: the later row.
        const c = featureCreated[i];
        const cl = featureCreated[l];
        if ((c === c ? c : -Infinity) >= (cl === cl ? cl : -Infinity)) last[g] = i;
      }
    }
    const g = eCode[r];
    if (g < 0) continue;
    const l = last[g];
    if (l >= 0 && (ttl === null || lastTs[g] >= ts - ttl)) result[r] = l;
  }
  return result;
}

/**
 * Per-key sorted search, used when rows created after the entity time must be skipped: feature rows
 * grouped by key (counting sort) and sorted by (time, created), then a binary search per entity row
 * walking back past rows created too late.
 */
function groupedSearch(input: PointInTimeIndexInput, codes: { left: Int32Array; right: Int32Array; groups: number }): Int32Array {
  const { featureTs, featureCreated, entityTs } = input;
  const nf = featureTs.length;
  const ne = entityTs.length;
  const result = new Int32Array(ne).fill(-1);
  const fCode = codes.left;
  const groups = codes.groups;

  // Counting sort of feature rows by key code (rows with a null key or time are left out).
  const start = new Int32Array(groups + 1);
  for (let i = 0; i < nf; i++) {
    const g = fCode[i];
    if (g >= 0 && featureTs[i] === featureTs[i]) start[g + 1]++;
  }
  for (let g = 0; g < groups; g++) start[g + 1] += start[g];
  const fill = start.slice(0, groups);
  const m = start[groups];
  const order = new Int32Array(m);
  // Times are scattered into group order in the same pass (sequential reads, one random write
  // each), so the per-group sort and the searches below touch contiguous memory.
  const sortedTs = new Float64Array(m);
  const sortedCr = new Float64Array(m);
  const created = featureCreated;
  for (let i = 0; i < nf; i++) {
    const g = fCode[i];
    const t = featureTs[i];
    if (g >= 0 && t === t) {
      const p = fill[g]++;
      order[p] = i;
      sortedTs[p] = t;
      if (created) {
        const c = created[i];
        sortedCr[p] = c === c ? c : -Infinity;
      }
    }
  }

  // Sort each key group by (ts, created, row) ascending; an unknown created time sorts first (oldest).
  // Insertion sort in place over the contiguous group, comparisons inlined (groups are small);
  // large groups fall back to a comparator sort.
  for (let g = 0; g < groups; g++) {
    const lo = start[g];
    const hi = start[g + 1];
    if (hi - lo <= 64) {
      for (let i = lo + 1; i < hi; i++) {
        const v = order[i];
        const tv = sortedTs[i];
        const cv = sortedCr[i];
        let j = i - 1;
        while (j >= lo) {
          const tu = sortedTs[j];
          const cu = sortedCr[j];
          if (tu < tv || (tu === tv && (cu < cv || (cu === cv && order[j] < v)))) break;
          order[j + 1] = order[j];
          sortedTs[j + 1] = tu;
          sortedCr[j + 1] = cu;
          j--;
        }
        order[j + 1] = v;
        sortedTs[j + 1] = tv;
        sortedCr[j + 1] = cv;
      }
    } else {
      const idx = Array.from({ length: hi - lo }, (_, k) => lo + k);
      idx.sort((a, b) => sortedTs[a] - sortedTs[b] || sortedCr[a] - sortedCr[b] || order[a] - order[b]);
      const o = idx.map((k) => order[k]);
      const t = idx.map((k) => sortedTs[k]);
      const c = idx.map((k) => sortedCr[k]);
      order.set(o, lo);
      sortedTs.set(t, lo);
      sortedCr.set(c, lo);
    }
  }

  const ttl = input.ttlMicros;
  const eCode = codes.right;
  const byCreated = input.filterByCreatedTimestamp && created !== null;
  // Visit entity rows grouped by key (a counting sort of their codes) so the searches walk the
  // sorted feature times in order instead of jumping around.
  const eStart = new Int32Array(groups + 1);
  for (let r = 0; r < ne; r++) {
    const g = eCode[r];
    if (g >= 0) eStart[g + 1]++;
  }
  for (let g = 0; g < groups; g++) eStart[g + 1] += eStart[g];
  const eOrder = new Int32Array(eStart[groups]);
  for (let r = 0; r < ne; r++) {
    const g = eCode[r];
    if (g >= 0) eOrder[eStart[g]++] = r;
  }
  let q = 0;
  for (let g = 0; g < groups; g++) {
    const first = start[g];
    const end = start[g + 1];
    const qEnd = eStart[g];
    for (; q < qEnd; q++) {
      const r = eOrder[q];
      const ts = entityTs[r];
      if (ts !== ts) continue;
      let lo = first;
      let hi = end;
      // Upper bound: first position with sortedTs > ts.
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (sortedTs[mid] <= ts) lo = mid + 1;
        else hi = mid;
      }
      let p = lo - 1;
      const lower = ttl === null ? -Infinity : ts - ttl;
      if (byCreated) {
        while (p >= first && sortedTs[p] >= lower) {
          if (!(sortedCr[p] > ts)) break;
          p--;
        }
      }
      if (p >= first && sortedTs[p] >= lower) result[r] = order[p];
    }
  }
  return result;
}

/** Options of {@link pointInTimeJoin}. */
export interface PointInTimeJoinOptions {
  /** Join key column(s), present under the same names in both tables. */
  keys: string | readonly string[];
  /** Timestamp column of the entity rows. Default `"event_ts"`. */
  entityTimestamp?: string;
  /** Timestamp column of the feature rows. Default `"event_ts"`. */
  featureTimestamp?: string;
  /** Creation-time column of the feature rows (tie-breaker and late-data filter). */
  createdTimestamp?: string;
  /** How old a feature row may be; `null`/absent = no limit. */
  ttl?: Ttl | null;
  /** Ignore feature rows created after the entity row's time. Default false. */
  filterByCreatedTimestamp?: boolean;
  /** Feature columns to bring over. Default: every column that is not a key or timestamp. */
  features?: readonly string[];
  /** Output column names for `features`, same order. Default: the feature names. */
  outputNames?: readonly string[];
}

function requireColumn(table: arrow.Table, name: string, side: string): arrow.Vector {
  const col = table.getChild(name);
  if (!col) {
    throw new SchemaMismatchError(`${side}`, { missing: [name] }, `Available columns: ${table.schema.fields.map((f) => f.name).join(", ")}.`);
  }
  return col as arrow.Vector;
}

/**
 * Point-in-time join of two Arrow tables (like pandas `merge_asof(by=keys, direction="backward")` with a
 * tolerance, but with created-time tie-breaking and one output row per entity row in input order).
 * Timestamps may be Arrow timestamps or dates, epoch-millisecond numbers or ISO strings
 * (timezone-less strings are read as UTC).
 * @example
 * const out = pointInTimeJoin(entityRows, featureRows, {
 *   keys: "customer_id", featureTimestamp: "event_ts", createdTimestamp: "created_ts", ttl: { days: 30 },
 * });
 */
export function pointInTimeJoin(entityRows: arrow.Table, featureRows: arrow.Table, options: PointInTimeJoinOptions): arrow.Table {
  const keys = typeof options.keys === "string" ? [options.keys] : [...options.keys];
  if (keys.length === 0) throw new InvalidArgumentError("pointInTimeJoin: keys must name at least one column.");
  const ets = options.entityTimestamp ?? "event_ts";
  const fts = options.featureTimestamp ?? "event_ts";
  const cts = options.createdTimestamp;
  const roles = new Set([...keys, fts, ...(cts ? [cts] : [])]);
  const features = options.features ?? featureRows.schema.fields.map((f) => f.name).filter((n) => !roles.has(n));
  const outNames = options.outputNames ?? features;
  if (outNames.length !== features.length) {
    throw new InvalidArgumentError(`pointInTimeJoin: outputNames has ${outNames.length} names for ${features.length} features.`);
  }
  const entityKeys = keys.map((k) => requireColumn(entityRows, k, "entity rows"));
  const featureKeys = keys.map((k) => requireColumn(featureRows, k, "feature rows"));
  checkKeyTypes(keys, entityKeys, featureKeys, "feature rows");
  const idx = pointInTimeIndices({
    entityKeys,
    featureKeys,
    entityTs: timestampMicros(requireColumn(entityRows, ets, "entity rows"), `entity rows column "${ets}"`),
    featureTs: timestampMicros(requireColumn(featureRows, fts, "feature rows"), `feature rows column "${fts}"`),
    featureCreated: cts ? timestampMicros(requireColumn(featureRows, cts, "feature rows"), `feature rows column "${cts}"`) : null,
    ttlMicros: ttlMicros(options.ttl ?? null),
    filterByCreatedTimestamp: options.filterByCreatedTimestamp ?? false,
  });
  const columns: Record<string, arrow.Vector> = {};
  for (const f of entityRows.schema.fields) columns[f.name] = entityRows.getChild(f.name) as arrow.Vector;
  features.forEach((f, i) => {
    if (outNames[i] in columns) {
      throw new FeatureStoreError(
        `pointInTimeJoin: output column "${outNames[i]}" already exists in the entity rows; rename the feature with outputNames.`,
      );
    }
    columns[outNames[i]] = gatherColumn(flattenColumn(requireColumn(featureRows, f, "feature rows")), idx);
  });
  return new arrow.Table(columns);
}

/**
 * Throws a FeatureStoreError when a key column holds numbers on one side and strings on the other.
 * @example checkKeyTypes(["customer_id"], [entityCol], [featureCol], "view customer_stats")
 */
export function checkKeyTypes(keys: readonly string[], entity: arrow.Vector[], feature: arrow.Vector[], featureSide: string): void {
  keys.forEach((k, i) => {
    const a = keyFamily(entity[i].type as arrow.DataType);
    const b = keyFamily(feature[i].type as arrow.DataType);
    if (a !== b) {
      throw new FeatureStoreError(
        `key type mismatch on "${k}": the entity rows hold ${a} values (${String(entity[i].type)}) but ${featureSide} holds ${b} values (${String(feature[i].type)}); convert the entity rows' "${k}" to ${b}.`,
      );
    }
  });
}
