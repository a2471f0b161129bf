/**
 * The in-process point-in-time join: for each entity row, the latest feature row of the same key at or
 * before the entity row's time (within a TTL), computed over Arrow columns with typed arrays
 * (an as-of walk over both sides in time order, or a per-key binary search when late-created rows must
 * be skipped), never with per-row objects.
 */
import * as arrow from "apache-arrow";
import { FeatureStoreError, InvalidArgumentError, SchemaMismatchError } from "../errors";
import { gatherOrder, gatherSplits, gatherVector, joinKeyCodes, keyFamily, timestampMicros } from "./columns";
import { type Alloc, FRESH, Scratch } from "../frame/scratch";
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
export function pointInTimeIndices(input: PointInTimeIndexInput, alloc: Alloc = FRESH): Int32Array {
  const ne = input.entityTs.length;
  if (ne === 0 || input.featureTs.length === 0) return alloc.int32(ne).fill(-1);
  const codes = joinKeyCodes(input.featureKeys, input.entityKeys, alloc);
  if (input.filterByCreatedTimestamp && input.featureCreated !== null) return groupedSearch(input, codes, alloc);
  return asofWalk(input, codes, alloc);
}

/** Rows of a time column in ascending time order, with the times in that order. */
export interface TimeOrder {
  /** Row numbers in ascending time order (stable; NaN rows left out), or null when `values` already ascends with no NaN. */
  order: Int32Array | null;
  /** The times in that order (`values` itself when `order` is null). */
  sorted: Float64Array;
}

/** Ranges this short are insertion-sorted; the bucket pass pays off above it. */
const INSERTION_SORT_MAX = 32;
/** Nested bucket passes before a crowded range falls back to a comparator sort. */
const MAX_BUCKET_DEPTH = 4;

/**
 * Sorts times ascending, stably, leaving out NaN. Input already in order (the usual case for feature
 * tables) is detected in one pass and not copied. Otherwise a bucket sort: one counting pass spreads
 * the times over about one bucket per row by value (times are roughly uniform, so buckets are tiny and
 * are finished by insertion sort); a crowded bucket is bucket-sorted again over its own range.
 * @example
 * sortTimes(Float64Array.from([3, NaN, 1, 3])) // { order: Int32Array [2, 0, 3], sorted: Float64Array [1, 3, 3] }
 */
export function sortTimes(values: Float64Array, alloc: Alloc = FRESH): TimeOrder {
  if (isAscending(values)) return { order: null, sorted: values };
  const { count, min, max } = scanTimes(values);
  const order = alloc.int32(count);
  const sorted = alloc.float64(count);
  sortInto(values, null, count, min, max, order, sorted, 0, 0, alloc);
  return { order, sorted };
}

/**
 * Whether the times ascend with no NaN. (A function of its own, like each hot loop here: V8 then
 * optimises the loop together with everything after it, instead of entering an optimised loop that
 * falls back to the interpreter where the rest of the function has not run yet.)
 */
function isAscending(values: Float64Array): boolean {
  const n = values.length;
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!(v >= prev)) return false; // also false for NaN
    prev = v;
  }
  return true;
}

/** Count and range of the non-NaN times. */
function scanTimes(values: Float64Array): { count: number; min: number; max: number } {
  const n = values.length;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) continue;
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { count, min, max };
}

/**
 * Writes the non-NaN entries of `times` (`count` of them, between `min` and `max`) in time order into
 * `order`/`sorted` from position `at`: as row numbers `rows[p]`, or `p` itself when `rows` is null.
 * Entries arrive in row order, and every step below keeps equal times in arrival order (stable).
 */
function sortInto(
  times: Float64Array,
  rows: Int32Array | null,
  count: number,
  min: number,
  max: number,
  order: Int32Array,
  sorted: Float64Array,
  at: number,
  depth: number,
  alloc: Alloc,
): void {
  const n = times.length;
  let buckets = 1;
  while (buckets < count) buckets *= 2;
  const scale = buckets / (max - min);
  if (count <= INSERTION_SORT_MAX || min === max || depth >= MAX_BUCKET_DEPTH || !Number.isFinite(scale) || !Number.isFinite(max - min)) {
    let q = at;
    for (let p = 0; p < n; p++) {
      const t = times[p];
      if (t !== t) continue;
      order[q] = rows === null ? p : rows[p];
      sorted[q++] = t;
    }
    if (min === max) return; // all equal: row order is the stable order
    if (count <= INSERTION_SORT_MAX) insertionSort(order, sorted, at, at + count);
    else comparatorSort(order, sorted, at, at + count);
    return;
  }
  // Bucket of a time: floor((t - min) * scale), monotone in t, so buckets are in time order.
  const last = buckets - 1;
  const ends = alloc.int32(buckets);
  for (let p = 0; p < n; p++) {
    const t = times[p];
    if (t !== t) continue;
    const b = Math.floor((t - min) * scale);
    ends[b < last ? b : last]++;
  }
  let sum = 0;
  for (let b = 0; b < buckets; b++) {
    const c = ends[b];
    ends[b] = sum;
    sum += c;
  }
  // Scatter; each bucket's cursor ends where the bucket ends.
  for (let p = 0; p < n; p++) {
    const t = times[p];
    if (t !== t) continue;
    const b = Math.floor((t - min) * scale);
    const q = at + ends[b < last ? b : last]++;
    order[q] = rows === null ? p : rows[p];
    sorted[q] = t;
  }
  let lo = at;
  for (let b = 0; b < buckets; b++) {
    const hi = at + ends[b];
    if (hi - lo > INSERTION_SORT_MAX) {
      // A crowded bucket: bucket-sort it again over its own range.
      let bMin = Infinity;
      let bMax = -Infinity;
      for (let p = lo; p < hi; p++) {
        const t = sorted[p];
        if (t < bMin) bMin = t;
        if (t > bMax) bMax = t;
      }
      sortInto(sorted.slice(lo, hi), order.slice(lo, hi), hi - lo, bMin, bMax, order, sorted, lo, depth + 1, alloc);
    } else if (hi - lo > 1) insertionSort(order, sorted, lo, hi);
    lo = hi;
  }
}

/** Stable insertion sort of a short range (rows arrive in row order, only strictly later times move past). */
function insertionSort(order: Int32Array, sorted: Float64Array, lo: number, hi: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const v = sorted[i];
    const o = order[i];
    let j = i - 1;
    while (j >= lo && sorted[j] > v) {
      sorted[j + 1] = sorted[j];
      order[j + 1] = order[j];
      j--;
    }
    sorted[j + 1] = v;
    order[j + 1] = o;
  }
}

/** Fallback for ranges the bucket pass cannot spread (infinite times, very crowded values): by (time, row). */
function comparatorSort(order: Int32Array, sorted: Float64Array, lo: number, hi: number): void {
  const pos = Array.from({ length: hi - lo }, (_, k) => lo + k);
  pos.sort((a, b) => sorted[a] - sorted[b] || order[a] - order[b]);
  const o = pos.map((p) => order[p]);
  const t = pos.map((p) => sorted[p]);
  order.set(o, lo);
  sorted.set(t, lo);
}

/**
 * The as-of walk (like pandas merge_asof with `by`): entity rows and feature rows in time order,
 * remembering per key the latest feature row seen so far. Sequential over the feature rows (which
 * are usually stored in time order already, and then not sorted or copied); no per-key sorting.
 */
function asofWalk(input: PointInTimeIndexInput, codes: { left: Int32Array; right: Int32Array; groups: number }, alloc: Alloc): Int32Array {
  const result = alloc.int32(input.entityTs.length).fill(-1);
  const features = sortTimes(input.featureTs, alloc);
  const entities = sortTimes(input.entityTs, alloc);
  // Entity key codes in time order, so the walk reads them sequentially.
  const eCode = permute(codes.right, entities.order, entities.sorted.length, alloc);
  // Per key: the position (in time order) of its latest feature row so far, or -1. Four bytes per key
  // keep the state small enough to stay in cache while the walk updates it at random.
  const latest = alloc.int32(codes.groups).fill(-1);
  walk(features.sorted, features.order, codes.left, input.featureCreated, entities.sorted, entities.order, eCode, latest, input.ttlMicros, result);
  return result;
}

/** `values[order[q]]` for q < n (`values[q]` when `order` is null). */
function permute(values: Int32Array, order: Int32Array | null, n: number, alloc: Alloc): Int32Array {
  const out = alloc.int32(n);
  if (order === null) out.set(values.subarray(0, n));
  else for (let q = 0; q < n; q++) out[q] = values[order[q]];
  return out;
}

/**
 * The walk itself; see {@link asofWalk}. Rows are in time order: `fOrder`/`eOrder` give their row
 * numbers (null: as they are); `latest` holds positions in `fTs`.
 */
function walk(
  fTs: Float64Array,
  fOrder: Int32Array | null,
  fCode: Int32Array,
  created: Float64Array | null,
  eTs: Float64Array,
  eOrder: Int32Array | null,
  eCode: Int32Array,
  latest: Int32Array,
  ttl: number | null,
  result: Int32Array,
): void {
  const ne = eTs.length;
  const m = fTs.length;
  let fp = 0;
  for (let q = 0; q < ne; q++) {
    const ts = eTs[q];
    for (; fp < m; fp++) {
      const t = fTs[fp];
      if (t > ts) break;
      const g = fCode[fOrder === null ? fp : fOrder[fp]];
      if (g < 0) continue;
      // Without created times the later row always wins: a plain store, no read of the state.
      const l = created === null ? -1 : latest[g];
      if (created !== null && l >= 0 && fTs[l] === t) {
        // Equal time: the later created time wins (unknown = oldest); equal created: the later row.
        const c = created[fOrder === null ? fp : fOrder[fp]];
        const cl = created[fOrder === null ? l : fOrder[l]];
        if ((c === c ? c : -Infinity) >= (cl === cl ? cl : -Infinity)) latest[g] = fp;
      } else latest[g] = fp;
    }
    const g = eCode[q];
    if (g < 0) continue;
    const l = latest[g];
    if (l >= 0 && (ttl === null || fTs[l] >= ts - ttl)) result[eOrder === null ? q : eOrder[q]] = fOrder === null ? l : fOrder[l];
  }
}

/**
 * Per-key sorted search, used when rows created after the entity time must be skipped: feature rows
 * grouped by key (counting sort) and sorted by (time, created), then a binary search per entity row
 * walking back past rows created too late.
 */
function groupedSearch(input: PointInTimeIndexInput, codes: { left: Int32Array; right: Int32Array; groups: number }, alloc: Alloc): Int32Array {
  const { featureTs, featureCreated, entityTs } = input;
  const nf = featureTs.length;
  const ne = entityTs.length;
  const result = alloc.int32(ne).fill(-1);
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
  const order = alloc.int32(m);
  // Times are scattered into group order in the same pass (sequential reads, one random write
  // each), so the per-group sort and the searches below touch contiguous memory.
  const sortedTs = alloc.float64(m);
  const sortedCr = alloc.float64(m);
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
  // The temporary arrays (times, key codes, orders) come from scratch memory kept between calls.
  const scratch = new Scratch();
  try {
    const idx = pointInTimeIndices(
      {
        entityKeys,
        featureKeys,
        entityTs: timestampMicros(requireColumn(entityRows, ets, "entity rows"), `entity rows column "${ets}"`, scratch),
        featureTs: timestampMicros(requireColumn(featureRows, fts, "feature rows"), `feature rows column "${fts}"`, scratch),
        featureCreated: cts ? timestampMicros(requireColumn(featureRows, cts, "feature rows"), `feature rows column "${cts}"`, scratch) : null,
        ttlMicros: ttlMicros(options.ttl ?? null),
        filterByCreatedTimestamp: options.filterByCreatedTimestamp ?? false,
      },
      scratch,
    );
    const columns: Record<string, arrow.Vector> = {};
    for (const f of entityRows.schema.fields) columns[f.name] = entityRows.getChild(f.name) as arrow.Vector;
    const order = gatherOrder(idx, featureRows.numRows, scratch);
    const splits = gatherSplits(scratch);
    features.forEach((f, i) => {
      if (outNames[i] in columns) {
        throw new FeatureStoreError(
          `pointInTimeJoin: output column "${outNames[i]}" already exists in the entity rows; rename the feature with outputNames.`,
        );
      }
      columns[outNames[i]] = gatherVector(requireColumn(featureRows, f, "feature rows"), idx, order, splits);
    });
    return new arrow.Table(columns);
  } finally {
    scratch.release();
  }
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
