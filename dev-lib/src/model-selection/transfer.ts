/**
 * Prepared inputs and splits as messages for worker threads: every numeric buffer is copied once
 * into a SharedArrayBuffer that all workers read (no per-row objects, no structured clone of
 * rows); only category levels and string labels travel as arrays.
 */
import { Frame, Matrix, SparseMatrix, type FrameColumn, type Label } from "@trellis/prod";
import type { PreparedX, PreparedY } from "./cv-core";
import type { SplitIndices } from "./splitters";

type NumArray = Float64Array | Int32Array;

/** A typed array over shared memory. */
export interface SharedArray {
  kind: "f64" | "i32";
  buffer: SharedArrayBuffer;
  length: number;
}

/** Features as sent to workers. */
export type XMessage =
  | { type: "matrix"; data: SharedArray; rows: number; cols: number; columns: string[] }
  | { type: "sparse"; indptr: SharedArray; indices: SharedArray; values: SharedArray; rows: number; cols: number; columns: string[] }
  | { type: "frame"; names: string[]; rows: number; columns: ({ kind: "number"; values: SharedArray } | { kind: "category"; codes: SharedArray; levels: (string | null)[] })[] };

/** Targets as sent to workers. */
export type YMessage = { type: "numbers"; values: SharedArray } | { type: "labels"; values: Label[] } | null;

/** Copies a typed array into shared memory. */
export function share(a: NumArray): SharedArray {
  const buffer = new SharedArrayBuffer(a.byteLength);
  const kind = a instanceof Float64Array ? "f64" : "i32";
  (kind === "f64" ? new Float64Array(buffer) : new Int32Array(buffer)).set(a);
  return { kind, buffer, length: a.length };
}

/** A view of shared memory. */
export function view(s: SharedArray): NumArray {
  return s.kind === "f64" ? new Float64Array(s.buffer, 0, s.length) : new Int32Array(s.buffer, 0, s.length);
}

/** Prepared features → message. */
export function xToMessage(X: PreparedX): XMessage {
  if (X instanceof Matrix) return { type: "matrix", data: share(X.data), rows: X.rows, cols: X.cols, columns: X.columns };
  if (X instanceof SparseMatrix) {
    return { type: "sparse", indptr: share(X.indptr), indices: share(X.indices), values: share(X.values), rows: X.rows, cols: X.cols, columns: X.columns };
  }
  return {
    type: "frame",
    names: X.names,
    rows: X.rows,
    columns: X.columns.map((c) => (c.kind === "number" ? { kind: "number" as const, values: share(c.values) } : { kind: "category" as const, codes: share(c.codes), levels: c.levels as (string | null)[] })),
  };
}

/** Message → prepared features (views of the shared memory). */
export function xFromMessage(m: XMessage): PreparedX {
  if (m.type === "matrix") return new Matrix(view(m.data) as Float64Array, m.rows, m.cols, m.columns);
  if (m.type === "sparse") return new SparseMatrix(view(m.indptr) as Int32Array, view(m.indices) as Int32Array, view(m.values) as Float64Array, m.rows, m.cols, m.columns);
  const cols = m.columns.map((c): FrameColumn =>
    c.kind === "number" ? { kind: "number", values: view(c.values) as Float64Array } : ({ kind: "category", codes: view(c.codes) as Int32Array, levels: c.levels } as FrameColumn),
  );
  return new Frame(m.names, cols, m.rows);
}

/** Prepared targets → message. */
export function yToMessage(y: PreparedY | undefined): YMessage {
  if (y === undefined) return null;
  return y instanceof Float64Array ? { type: "numbers", values: share(y) } : { type: "labels", values: y };
}

/** Message → prepared targets. */
export function yFromMessage(m: YMessage): PreparedY | undefined {
  if (m === null) return undefined;
  return m.type === "numbers" ? (view(m.values) as Float64Array) : m.values;
}

/** Splits → shared index arrays. */
export function splitsToMessage(splits: SplitIndices[]): [SharedArray, SharedArray][] {
  return splits.map(([tr, te]) => [share(tr), share(te)]);
}

/** Shared index arrays → splits. */
export function splitsFromMessage(m: [SharedArray, SharedArray][]): SplitIndices[] {
  return m.map(([tr, te]) => [view(tr) as Int32Array, view(te) as Int32Array]);
}
