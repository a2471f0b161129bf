import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { flattenColumn, gatherColumn, gatherOrder, gatherSplits, gatherVector, joinKeyCodes, keyCodes, timestampMicros } from "../../src/features/columns";

const int64 = (xs: (number | null)[]) => arrow.vectorFromArray(xs.map((x) => (x === null ? null : BigInt(x))), new arrow.Int64());
const int32 = (xs: (number | null)[]) => arrow.vectorFromArray(xs, new arrow.Int32());

describe("keyCodes", () => {
  it("gives equal integer keys one code on both sides, whatever the column widths", () => {
    const left = [5, -3, 5, 9, -3];
    const right = [9, 5, 4, -3, null, 2 ** 40, -(2 ** 40), 5];
    const want = { left: [0, 1, 0, 2, 1], right: [2, 0, -1, 1, -1, -1, -1, 0], groups: 3 };
    for (const l of [int64(left), int32(left)]) {
      // An Int32 column cannot hold the keys beyond int32: they are nulls there, also without a match.
      for (const r of [int64(right), int32(right.map((x) => (x !== null && Math.abs(x) > 2 ** 31 ? null : x)))]) {
        const codes = keyCodes([l], [r]);
        expect({ left: Array.from(codes.left), right: Array.from(codes.right), groups: codes.groups }).toEqual(want);
      }
    }
  });

  it("reads sliced integer columns and null keys on the left", () => {
    const left = int64([7, 1, 2, 1, 8]).slice(1, 4); // 1, 2, 1
    const right = int64([0, 2, 1, 7]).slice(1); // 2, 1, 7
    const codes = keyCodes([left], [right]);
    expect([Array.from(codes.left), Array.from(codes.right), codes.groups]).toEqual([[0, 1, 0], [1, 0, -1], 2]);
    const withNull = keyCodes([int64([1, null, 1])], [int64([1, null])]);
    expect([Array.from(withNull.left), Array.from(withNull.right), withNull.groups]).toEqual([[0, -1, 0], [0, -1], 1]);
  });

  it("codes integer keys beyond int32 and composite keys", () => {
    const big = keyCodes([int64([2 ** 40, 3, 2 ** 40])], [int64([3, 2 ** 40, 4])]);
    expect([Array.from(big.left), Array.from(big.right)]).toEqual([[0, 1, 0], [1, 0, -1]]);
    const region = (xs: string[]) => arrow.vectorFromArray(xs, new arrow.Utf8());
    const pair = keyCodes([int32([1, 1, 2]), region(["n", "s", "n"])], [int32([2, 1, 1]), region(["n", "n", "e"])]);
    expect([Array.from(pair.left), Array.from(pair.right), pair.groups]).toEqual([[0, 1, 2], [2, 0, -1], 3]);
  });
});

describe("joinKeyCodes", () => {
  it("codes one integer key column in a compact range by value - min", () => {
    for (const l of [int64([7, 5, 7, 6]), int32([7, 5, 7, 6])]) {
      const codes = joinKeyCodes([l], [int64([5, 9, null, 7, 4, 2 ** 40])]);
      expect([Array.from(codes.left), Array.from(codes.right), codes.groups]).toEqual([[2, 0, 2, 1], [0, -1, -1, 2, -1, -1], 3]);
    }
  });

  it("falls back to keyCodes for null keys on the left, sparse ranges and composite keys", () => {
    const withNull = joinKeyCodes([int64([7, null, 5])], [int64([5])]);
    expect([Array.from(withNull.left), Array.from(withNull.right), withNull.groups]).toEqual([[0, -1, 1], [1], 2]);
    const sparse = joinKeyCodes([int64([0, 10_000_000])], [int64([10_000_000])]);
    expect([Array.from(sparse.left), Array.from(sparse.right), sparse.groups]).toEqual([[0, 1], [1], 2]);
    const pair = joinKeyCodes([int32([1, 2]), int32([3, 3])], [int32([2]), int32([3])]);
    expect([Array.from(pair.left), Array.from(pair.right), pair.groups]).toEqual([[0, 1], [1], 2]);
  });
});

describe("gatherOrder", () => {
  it("lists the rows that take a source row, by block of 64 source rows, output order within a block", () => {
    expect(Array.from(gatherOrder(Int32Array.from([5000, -1, 3, 70, 64, 10]), 6000))).toEqual([2, 5, 3, 4, 0]);
    expect(Array.from(gatherOrder(Int32Array.from([-1, -1]), 10))).toEqual([]);
  });

  it("uses larger blocks when the source is much larger than the gather", () => {
    // 2 rows from 10M: blocks of 2^14 rows keep the count table small; 100 and 16000 share a block.
    expect(Array.from(gatherOrder(Int32Array.from([16000, 9_000_000, 100]), 10_000_000))).toEqual([0, 2, 1]);
  });
});

describe("gatherVector", () => {
  const idx = Int32Array.from([4, -1, 0, 2, 4, 1]);
  const cases: [string, arrow.Vector, unknown[]][] = [
    ["Float64 with nulls", arrow.vectorFromArray([1.5, null, 2.5, 3.5, null], new arrow.Float64()), [null, null, 1.5, 2.5, null, null]],
    ["Int32", arrow.vectorFromArray([1, 2, 3, 4, 5], new arrow.Int32()), [5, null, 1, 3, 5, 2]],
    ["Int64", arrow.vectorFromArray([1n, 2n, 3n, 4n, -5n], new arrow.Int64()), [-5n, null, 1n, 3n, -5n, 2n]],
    ["Int16", arrow.vectorFromArray([1, 2, 3, 4, 5], new arrow.Int16()), [5, null, 1, 3, 5, 2]],
    ["Int8", arrow.vectorFromArray([1, 2, 3, 4, 5], new arrow.Int8()), [5, null, 1, 3, 5, 2]],
    ["Utf8 with nulls and empty strings", arrow.vectorFromArray(["a", "", null, "dé", "xyz"], new arrow.Utf8()), ["xyz", null, "a", null, "xyz", ""]],
    ["Bool", arrow.vectorFromArray([true, false, null, true, false], new arrow.Bool()), [false, null, true, null, false, false]],
    [
      "sliced Float64 (bitmap read from an offset)",
      arrow.vectorFromArray([9, null, 1.5, null, 2.5, 3.5, null], new arrow.Float64()).slice(2),
      [null, null, 1.5, 2.5, null, null],
    ],
    ["sliced Utf8", arrow.vectorFromArray(["q", null, "a", "", null, "dé", "xyz"], new arrow.Utf8()).slice(2), ["xyz", null, "a", null, "xyz", ""]],
    [
      "Float64 in two chunks",
      (() => {
        const t = new arrow.Table({ v: arrow.vectorFromArray([1.5, null], new arrow.Float64()) });
        return t.concat(new arrow.Table({ v: arrow.vectorFromArray([2.5, 3.5, null], new arrow.Float64()) })).getChild("v")!;
      })(),
      [null, null, 1.5, 2.5, null, null],
    ],
    [
      "Int64 in three chunks, one sliced, with nulls",
      new arrow.Vector([
        arrow.vectorFromArray([7n, -5n], new arrow.Int64()).data[0],
        arrow.vectorFromArray([8n, 1n, null, 9n], new arrow.Int64()).slice(2).data[0],
        arrow.vectorFromArray([3n], new arrow.Int64()).data[0],
      ]).slice(0) as arrow.Vector,
      [3n, null, 7n, null, 3n, -5n],
    ],
    [
      "Int32 in chunks without nulls",
      new arrow.Vector([arrow.vectorFromArray([1, 2], new arrow.Int32()).data[0], arrow.vectorFromArray([3, 4, 5], new arrow.Int32()).data[0]]),
      [5, null, 1, 3, 5, 2],
    ],
  ];
  for (const [name, vector, want] of cases) {
    it(`gathers ${name}, the same as gatherColumn over the flattened column`, () => {
      const got = gatherVector(vector, idx);
      expect(got.length).toBe(idx.length);
      expect(got.nullCount).toBe(want.filter((v) => v === null).length);
      expect(Array.from({ length: got.length }, (_, i) => got.get(i))).toEqual(want);
      const viaFlat = gatherColumn(flattenColumn(vector), idx, gatherOrder(idx, vector.length));
      expect(Array.from({ length: viaFlat.length }, (_, i) => viaFlat.get(i))).toEqual(want);
    });
  }
});

describe("gatherVector over many chunks", () => {
  it("gives the flattened column's gather for every fixed-width type, with nulls and sliced chunks", () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const types: [arrow.DataType, (i: number) => unknown][] = [
      [new arrow.Float64(), (i) => i * 0.5 - 3],
      [new arrow.Int64(), (i) => BigInt(i) * 9_007_199_254_741n],
      [new arrow.Int32(), (i) => i - 2_000],
      [new arrow.Float32(), (i) => i / 4],
      [new arrow.Uint8(), (i) => i % 256],
      [new arrow.TimestampMicrosecond("UTC"), (i) => 1_704_067_200_000 + i],
    ];
    for (const [type, value] of types) {
      const chunks: arrow.Data[] = [];
      let total = 0;
      for (let c = 0; c < 7; c++) {
        const len = 50 + Math.floor(rand() * 700);
        const values = Array.from({ length: len + 3 }, (_, i) => (rand() < 0.1 ? null : value(total + i)));
        chunks.push(arrow.vectorFromArray(values as never[], type as never).slice(3).data[0] as arrow.Data);
        total += len;
      }
      const vector = new arrow.Vector(chunks);
      const idx = Int32Array.from({ length: 3_000 }, () => (rand() < 0.2 ? -1 : Math.floor(rand() * total)));
      const order = gatherOrder(idx, total);
      const got = gatherVector(vector, idx, order);
      const want = gatherColumn(flattenColumn(vector), idx, order);
      expect(got.nullCount).toBe(want.nullCount);
      expect(Array.from({ length: idx.length }, (_, i) => got.get(i))).toEqual(Array.from({ length: idx.length }, (_, i) => want.get(i)));
      expect(String(got.type)).toBe(String(type));
    }
  });
});

describe("columns of several chunks (a table read row group by row group)", () => {
  const chunked = (type: arrow.DataType, parts: unknown[][], sliceFirst = 0) =>
    new arrow.Vector(parts.map((p, i) => arrow.vectorFromArray(p as never[], type as never).slice(i === 0 ? sliceFirst : 0).data[0] as arrow.Data));

  it("codes integer keys in place, the same as over one chunk", () => {
    for (const type of [new arrow.Int64(), new arrow.Int32()]) {
      const big = type.bitWidth === 64;
      const v = (xs: (number | null)[]) => xs.map((x) => (x === null ? null : big ? BigInt(x) : x));
      const left = chunked(type, [v([99, 7, 5]), v([7, 6]), v([9])], 1); // 7, 5, 7, 6, 9
      const right = chunked(type, [v([5, null]), v([9, 4, 7])]);
      const flatLeft = arrow.vectorFromArray(v([7, 5, 7, 6, 9]) as never[], type as never);
      const flatRight = arrow.vectorFromArray(v([5, null, 9, 4, 7]) as never[], type as never);
      for (const f of [joinKeyCodes, keyCodes]) {
        const got = f([left], [right]);
        const want = f([flatLeft], [flatRight]);
        expect([Array.from(got.left), Array.from(got.right), got.groups]).toEqual([Array.from(want.left), Array.from(want.right), want.groups]);
      }
      const codes = joinKeyCodes([left], [right]);
      expect([Array.from(codes.left), Array.from(codes.right), codes.groups]).toEqual([[2, 0, 2, 1, 4], [0, -1, 4, -1, 2], 5]);
    }
  });

  it("falls back when a chunk holds a key beyond int32 or the left side has a null", () => {
    const left = chunked(new arrow.Int64(), [[1n, 2n], [2n ** 40n, 1n]]);
    const codes = joinKeyCodes([left], [int64([2 ** 40, 1, 3])]);
    expect([Array.from(codes.left), Array.from(codes.right), codes.groups]).toEqual([[0, 1, 2, 0], [2, 0, -1], 3]);
    const withNull = joinKeyCodes([chunked(new arrow.Int64(), [[1n], [null, 3n]])], [int64([3])]);
    expect([Array.from(withNull.left), Array.from(withNull.right), withNull.groups]).toEqual([[0, -1, 1], [1], 2]);
  });

  it("reads timestamps chunk by chunk, nulls as NaN, whatever the unit", () => {
    // Chunks built from raw int64 values and null bitmaps, the first one sliced.
    const data = (type: arrow.DataType, xs: (bigint | null)[]) => {
      const bits = new Uint8Array(8);
      xs.forEach((x, i) => (bits[i >> 3] |= x === null ? 0 : 1 << (i & 7)));
      const nullCount = xs.filter((x) => x === null).length;
      return arrow.makeData({ type: type as arrow.Timestamp, length: xs.length, nullCount, nullBitmap: bits, data: BigInt64Array.from(xs, (x) => x ?? 0n) });
    };
    const values = [5n, null, 7n, 8n, null, 1_000_000_000_000n, -3n];
    for (const [type, scale] of [
      [new arrow.TimestampMicrosecond("UTC"), 1],
      [new arrow.TimestampMillisecond(), 1000],
      [new arrow.TimestampSecond("UTC"), 1e6],
      [new arrow.TimestampNanosecond("UTC"), 1e-3],
    ] as const) {
      const vector = new arrow.Vector([data(type, values.slice(0, 4)).slice(1, 3), data(type, values.slice(4, 6)), data(type, values.slice(6))]);
      const got = Array.from(timestampMicros(vector, "ts"));
      const want = [null, 7, 8, null, 1e12, -3].map((x) => (x === null ? Number.NaN : scale < 1 ? Math.floor(x * scale) : x * scale));
      expect(got).toEqual(want);
      expect(got).toEqual(Array.from(timestampMicros(arrow.makeVector(data(type, values.slice(1))), "ts")));
    }
  });

  it("gathers UTF-8 strings in place, with nulls and sliced chunks, the same as over the flattened column", () => {
    const vector = chunked(new arrow.Utf8(), [["skip", "a", null, "dé"], ["", "xyz"], [null, "q", "long string here"]], 1);
    const idx = Int32Array.from([7, -1, 0, 1, 2, 3, 4, 5, 6, 2, -1]);
    const order = gatherOrder(idx, vector.length);
    const got = gatherVector(vector, idx, order);
    const want = gatherColumn(flattenColumn(vector), idx, order);
    expect(got.data.length).toBe(1);
    expect(got.nullCount).toBe(want.nullCount);
    expect(Array.from({ length: idx.length }, (_, i) => got.get(i))).toEqual(["long string here", null, "a", null, "dé", "", "xyz", null, "q", "dé", null]);
    expect(Array.from({ length: idx.length }, (_, i) => got.get(i))).toEqual(Array.from({ length: idx.length }, (_, i) => want.get(i)));
  });

  it("shares one split by chunk between the gathers of a table's columns", () => {
    const t = new arrow.Table({ a: arrow.vectorFromArray([1.5, 2.5], new arrow.Float64()), s: arrow.vectorFromArray(["x", "y"], new arrow.Utf8()) });
    const table = t.concat(new arrow.Table({ a: arrow.vectorFromArray([3.5], new arrow.Float64()), s: arrow.vectorFromArray(["z"], new arrow.Utf8()) }));
    const idx = Int32Array.from([2, 0, -1]);
    const order = gatherOrder(idx, table.numRows);
    const splits = gatherSplits();
    const a = gatherVector(table.getChild("a")!, idx, order, splits);
    expect(splits.byLayout.size).toBe(1);
    const s = gatherVector(table.getChild("s")!, idx, order, splits);
    expect(splits.byLayout.size).toBe(1);
    expect([a.toArray().slice(0, 2), [s.get(0), s.get(1), s.get(2)]]).toEqual([Float64Array.from([3.5, 1.5]), ["z", "x", null]]);
  });
});
