/**
 * Time-ordered splits of entity data: train on the past, test on a later window, no entity on
 * both sides, an optional gap between the two.
 */
import { InvalidArgumentError } from "@trellis/shared";
import { Frame, Matrix, isArrowTable } from "@trellis/prod";
import type { Table } from "apache-arrow";
import { RandomState } from "../random/mt19937";
import { numSamples, readLabels, type LabelInput, type SplitIndices, type SplitInput, type Splitter } from "./splitters";

/** Options of {@link GroupTimeSplit}. Sizes count periods: distinct values of the time column. */
export interface GroupTimeSplitOptions {
  /** The column of X holding each row's time (numbers, Dates or bigint timestamps). */
  timeColumn: string;
  /** Number of splits (default 5). */
  nSplits?: number;
  /** Periods in each test window (default `floor(periods / (nSplits + 1))`). */
  testSize?: number;
  /** Periods left out between the end of training and the start of the test window (default 0). */
  gap?: number;
  /** Keep at most this many of the latest periods for training (default: all earlier periods). */
  maxTrainSize?: number;
  /**
   * Fraction of all entities held out for testing in each split (default 1: every entity seen in
   * the test window). Below 1, a seeded random subset of entities is tested and only the others
   * train — the setting for panels where every entity appears in every period.
   */
  testEntityFraction?: number;
  /** Seed of the entity draw when `testEntityFraction` < 1 (default 0). */
  randomState?: number;
}

function readTimes(X: SplitInput, column: string, n: number): Float64Array {
  const out = new Float64Array(n);
  const put = (i: number, v: unknown) => {
    const t = v instanceof Date ? v.getTime() : typeof v === "bigint" ? Number(v) : v;
    if (typeof t !== "number" || Number.isNaN(t)) {
      throw new InvalidArgumentError(`GroupTimeSplit: time column ${JSON.stringify(column)} row ${i} is ${String(v)}; every row needs a time (number, Date or bigint).`);
    }
    out[i] = t;
  };
  if (X instanceof Matrix) {
    const j = X.columns.indexOf(column);
    if (j < 0) throw new InvalidArgumentError(`GroupTimeSplit: X has no column ${JSON.stringify(column)}; columns: ${X.columns.join(", ")}.`);
    for (let i = 0; i < n; i++) put(i, X.get(i, j));
    return out;
  }
  if (X instanceof Frame) {
    const c = X.column(column);
    if (!c || c.kind !== "number") throw new InvalidArgumentError(`GroupTimeSplit: X has no numeric column ${JSON.stringify(column)}; columns: ${X.names.join(", ")}.`);
    for (let i = 0; i < n; i++) put(i, c.values[i]);
    return out;
  }
  if (isArrowTable(X)) {
    const vec = (X as Table).getChild(column);
    if (!vec) throw new InvalidArgumentError(`GroupTimeSplit: X has no column ${JSON.stringify(column)}; columns: ${(X as Table).schema.fields.map((f) => f.name).join(", ")}.`);
    for (let i = 0; i < n; i++) put(i, vec.get(i));
    return out;
  }
  if (Array.isArray(X)) {
    for (let i = 0; i < n; i++) {
      const row = X[i] as Record<string, unknown> | null;
      if (row === null || typeof row !== "object" || !(column in row)) {
        throw new InvalidArgumentError(`GroupTimeSplit: row ${i} has no ${JSON.stringify(column)}; pass row objects holding the time column.`);
      }
      put(i, row[column]);
    }
    return out;
  }
  throw new InvalidArgumentError(`GroupTimeSplit: X must be an Arrow table, a Matrix, a Frame or row objects holding ${JSON.stringify(column)}.`);
}

/**
 * Splits entity data by time and by entity. The distinct times ("periods") are cut as
 * `TimeSeriesSplit` cuts rows: test windows of `testSize` periods at the end, each preceded by a
 * `gap` and by its training periods. Then entities are kept apart: a test entity's rows never
 * train. With `testEntityFraction` 1 (default) every entity seen in the test window is a test
 * entity; below 1 a seeded random share of all entities is tested. `groups` holds the entity ids.
 *
 * @example
 * const cv = new GroupTimeSplit({ timeColumn: "week", nSplits: 3, testSize: 4, gap: 1, testEntityFraction: 0.2, randomState: 7 });
 * for (const [train, test] of cv.split(table, y, table.getChild("customer_id")!)) { ... }
 */
export class GroupTimeSplit implements Splitter {
  readonly timeColumn: string;
  readonly nSplits: number;
  readonly testSize: number | undefined;
  readonly gap: number;
  readonly maxTrainSize: number | undefined;
  readonly testEntityFraction: number;
  readonly randomState: number;

  constructor(options: GroupTimeSplitOptions) {
    if (!options || typeof options.timeColumn !== "string" || options.timeColumn === "") {
      throw new InvalidArgumentError('GroupTimeSplit: timeColumn is required, e.g. new GroupTimeSplit({ timeColumn: "event_date" }).');
    }
    const n = options.nSplits ?? 5;
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`GroupTimeSplit: nSplits must be an integer ≥ 1, got ${String(n)}.`);
    for (const key of ["testSize", "gap", "maxTrainSize"] as const) {
      const v = options[key];
      if (v !== undefined && (!Number.isInteger(v) || v < (key === "gap" ? 0 : 1))) {
        throw new InvalidArgumentError(`GroupTimeSplit: ${key} must be a whole number of periods ${key === "gap" ? "≥ 0" : "≥ 1"}, got ${String(v)}.`);
      }
    }
    const f = options.testEntityFraction ?? 1;
    if (!(f > 0 && f <= 1)) throw new InvalidArgumentError(`GroupTimeSplit: testEntityFraction must be in (0, 1], got ${String(f)}.`);
    this.timeColumn = options.timeColumn;
    this.nSplits = n;
    this.testSize = options.testSize;
    this.gap = options.gap ?? 0;
    this.maxTrainSize = options.maxTrainSize;
    this.testEntityFraction = f;
    this.randomState = options.randomState ?? 0;
    new RandomState(this.randomState);
  }

  /**
   * Yields `[train, test]` for each window, rows ascending; `groups` (entity ids) is required.
   * @example [...new GroupTimeSplit({ timeColumn: "t", nSplits: 1 }).split(rows, undefined, ids)]
   */
  *split(X: SplitInput, _y?: LabelInput, groups?: LabelInput): Generator<SplitIndices> {
    const owner = "GroupTimeSplit";
    const n = numSamples(X, owner);
    const entities = readLabels(groups, "groups", n, owner);
    const times = readTimes(X, this.timeColumn, n);
    const periods = Float64Array.from(new Set(times)).sort();
    const periodOf = new Map<number, number>();
    periods.forEach((p, k) => periodOf.set(p, k));
    const rowPeriod = Int32Array.from(times, (t) => periodOf.get(t) as number);
    const P = periods.length;
    const testSize = this.testSize ?? Math.floor(P / (this.nSplits + 1));
    if (testSize < 1 || P - this.gap - testSize * this.nSplits <= 0) {
      throw new InvalidArgumentError(
        `${owner}: ${P} distinct times cannot hold ${this.nSplits} test windows of ${testSize} period(s) after a gap of ${this.gap} and at least one training period; lower nSplits, testSize or gap.`,
      );
    }
    const entityIds = [...new Set(entities)].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
    const rng = new RandomState(this.randomState);
    for (let k = 0; k < this.nSplits; k++) {
      const testStart = P - (this.nSplits - k) * testSize;
      const trainEnd = testStart - this.gap;
      const trainStart = this.maxTrainSize && this.maxTrainSize < trainEnd ? trainEnd - this.maxTrainSize : 0;
      let eligible: Set<unknown> | null = null;
      if (this.testEntityFraction < 1) {
        const perm = rng.permutation(entityIds.length);
        const take = Math.max(1, Math.round(this.testEntityFraction * entityIds.length));
        eligible = new Set(Array.from(perm.subarray(0, take), (j) => entityIds[j]));
      }
      const testEntities = new Set<unknown>();
      const test: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = rowPeriod[i];
        if (p >= testStart && p < testStart + testSize && (eligible === null || eligible.has(entities[i]))) {
          test.push(i);
          testEntities.add(entities[i]);
        }
      }
      const train: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = rowPeriod[i];
        if (p >= trainStart && p < trainEnd && !testEntities.has(entities[i])) train.push(i);
      }
      if (test.length === 0 || train.length === 0) {
        throw new InvalidArgumentError(
          `${owner}: split ${k} has ${train.length} training and ${test.length} test rows; every entity of the test window also appears in the training periods. Set testEntityFraction below 1 (e.g. 0.2) to hold out a share of entities.`,
        );
      }
      yield [Int32Array.from(train), Int32Array.from(test)];
    }
  }

  /**
   * The number of splits.
   * @example new GroupTimeSplit({ timeColumn: "t", nSplits: 3 }).getNSplits() // 3
   */
  getNSplits(): number {
    return this.nSplits;
  }
}
