import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { keyCodes } from "../../src/features/columns";

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
