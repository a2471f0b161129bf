import { describe, expect, it } from "vitest";
import { tableFromArrays, Table, vectorFromArray, Float64 } from "apache-arrow";
import { Matrix, SparseMatrix } from "@trellis/prod";

describe("Matrix", () => {
  it("stores rows row-major and reads values with get", () => {
    const m = Matrix.fromArray([[1, 2, 3], [4, 5, 6]], ["a", "b", "c"]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.get(1, 2)).toBe(6);
    expect(m.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(m.column(1))).toEqual([2, 5]);
  });

  it("names unnamed columns x0, x1, … and turns null into NaN", () => {
    const m = Matrix.fromArray([[1, null]]);
    expect(m.columns).toEqual(["x0", "x1"]);
    expect(Number.isNaN(m.get(0, 1))).toBe(true);
  });

  it("refuses ragged rows, wrong buffer sizes and duplicate names, naming the problem", () => {
    expect(() => Matrix.fromArray([[1, 2], [3]])).toThrow(/row 1 has 1 values, expected 2/);
    expect(() => new Matrix(new Float64Array(3), 2, 2)).toThrow(/data has 3 values but rows \* cols = 2 \* 2 = 4/);
    expect(() => Matrix.fromArray([[1, 2]], ["a", "a"])).toThrow(/duplicate column name "a"/);
    expect(() => Matrix.fromArray([[1, "2" as unknown as number]])).toThrow(/row 0, column 1 is "2"/);
  });

  it("converts to and from Arrow, keeping nulls as NaN", () => {
    const t = new Table({ a: vectorFromArray([1, null, 3], new Float64()), b: tableFromArrays({ b: Int32Array.of(7, 8, 9) }).getChild("b")! });
    const m = Matrix.fromArrow(t);
    expect(m.columns).toEqual(["a", "b"]);
    expect(m.toArray()).toEqual([[1, 7], [NaN, 8], [3, 9]]);
    const back = m.toArrow();
    expect(Array.from(back.getChild("b")!.toArray() as Float64Array)).toEqual([7, 8, 9]);
    expect(Matrix.fromArrow(t, ["b"]).toArray()).toEqual([[7], [8], [9]]);
    expect(() => Matrix.fromArrow(t, ["zz"])).toThrow(/column "zz" is not in the table/);
  });

  it("slices rows without copying", () => {
    const m = Matrix.fromArray([[1], [2], [3]]);
    const s = m.sliceRows(1, 3);
    expect(s.toArray()).toEqual([[2], [3]]);
    expect(s.data.buffer).toBe(m.data.buffer);
  });
});

describe("SparseMatrix", () => {
  const dense = Matrix.fromArray([[0, 2, 0], [1, 0, 0], [0, 0, 0], [0, 3, 4]], ["a", "b", "c"]);

  it("round-trips through dense form, storing only non-zeros", () => {
    const s = SparseMatrix.fromDense(dense);
    expect(s.nnz).toBe(4);
    expect(Array.from(s.indptr)).toEqual([0, 1, 2, 2, 4]);
    expect(Array.from(s.indices)).toEqual([1, 0, 1, 2]);
    expect(s.get(3, 2)).toBe(4);
    expect(s.get(2, 1)).toBe(0);
    expect(s.toDense().toArray()).toEqual(dense.toArray());
    expect(s.columns).toEqual(["a", "b", "c"]);
  });

  it("slices rows with a rebased indptr", () => {
    const s = SparseMatrix.fromDense(dense).sliceRows(1, 4);
    expect(Array.from(s.indptr)).toEqual([0, 1, 1, 3]);
    expect(s.toDense().toArray()).toEqual([[1, 0, 0], [0, 0, 0], [0, 3, 4]]);
  });

  it("refuses an indptr of the wrong length", () => {
    expect(() => new SparseMatrix(Int32Array.of(0), new Int32Array(0), new Float64Array(0), 2, 2)).toThrow(/indptr has length 1, expected rows \+ 1 = 3/);
  });
});
