import * as arrow from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { pointInTimeIndices, pointInTimeJoin } from "../../src/features/point-in-time";
import { Scratch, dropScratch, scratchByteCount } from "../../src/frame/scratch";
import { timestampMicros } from "../../src/features/columns";
import { rng } from "../helpers/random";

afterEach(() => dropScratch());

describe("Scratch", () => {
  it("hands out zero-filled arrays, and after release the same memory again, zero-filled", () => {
    const a = new Scratch();
    const x = a.int32(100_000).fill(7);
    const y = a.float64(50_000).fill(1.5);
    expect(scratchByteCount()).toBe(0);
    a.release();
    expect(scratchByteCount()).toBe(800_000);
    const b = new Scratch();
    const x2 = b.int32(90_000);
    const y2 = b.float64(50_000);
    // Best fit: each request gets the smallest kept buffer large enough (and at most twice its size).
    expect([x2.buffer === x.buffer, y2.buffer === y.buffer]).toEqual([true, true]);
    expect([x2.length, y2.length]).toEqual([90_000, 50_000]);
    expect([x2.every((v) => v === 0), y2.every((v) => v === 0)]).toEqual([true, true]);
    expect(scratchByteCount()).toBe(0);
    b.release();
  });

  it("hands out bytes without zero-filling them: a kept buffer comes back as its last user left it", () => {
    const a = new Scratch();
    const x = a.bytes(200_000).fill(9);
    a.release();
    const b = new Scratch();
    const y = b.bytes(150_000);
    expect(y.buffer === x.buffer).toBe(true);
    expect(y.length).toBe(150_000);
    expect([y[0], y[149_999]]).toEqual([9, 9]);
    b.release();
    expect(new Scratch().bytes(100).every((v) => v === 0)).toBe(true); // small: allocated as usual
  });

  it("allocates small arrays and arrays far smaller than any kept buffer as usual", () => {
    const a = new Scratch();
    const big = a.uint8(1_000_000);
    const small = a.int32(100);
    a.release();
    expect(scratchByteCount()).toBe(1_000_000);
    expect(small.buffer.byteLength).toBe(400);
    const b = new Scratch();
    expect(b.uint8(100_000).buffer === big.buffer).toBe(false);
    expect(b.uint8(600_000).buffer === big.buffer).toBe(true);
    b.release();
    dropScratch();
    expect(scratchByteCount()).toBe(0);
  });
});

describe("the join's temporary arrays from scratch memory", () => {
  /** Random entity and feature rows: `nf` feature rows over 500 keys, in random time order. */
  function tables(seed: number, ne: number, nf: number): { entity: arrow.Table; feature: arrow.Table } {
    const r = rng(seed);
    const col = (n: number, f: () => number) => Float64Array.from({ length: n }, f);
    const ts = (xs: Float64Array) => arrow.makeVector(arrow.makeData({ type: new arrow.TimestampMicrosecond("UTC"), length: xs.length, nullCount: 0, data: BigInt64Array.from(xs, (x) => BigInt(Math.floor(x))) }));
    const ids = (n: number) => arrow.makeVector(Int32Array.from({ length: n }, () => Math.floor(r() * 500)));
    return {
      entity: new arrow.Table({ id: ids(ne), event_ts: ts(col(ne, () => r() * 1e9)) }),
      feature: new arrow.Table({ id: ids(nf), event_ts: ts(col(nf, () => r() * 1e9)), v: arrow.makeVector(col(nf, () => r())) }),
    };
  }

  it("gives the indices of fresh arrays, call after call, whatever the sizes", () => {
    for (const [seed, ne, nf] of [[1, 40_000, 90_000], [2, 20_000, 120_000], [3, 40_000, 90_000]] as const) {
      const { entity, feature } = tables(seed, ne, nf);
      const input = {
        entityKeys: [entity.getChild("id")!],
        featureKeys: [feature.getChild("id")!],
        entityTs: timestampMicros(entity.getChild("event_ts")!, "entity"),
        featureTs: timestampMicros(feature.getChild("event_ts")!, "feature"),
        featureCreated: null,
        ttlMicros: 5e7,
        filterByCreatedTimestamp: false,
      };
      const want = Array.from(pointInTimeIndices(input));
      expect(want.filter((i) => i >= 0).length).toBeGreaterThan(ne / 4);
      const scratch = new Scratch();
      expect(Array.from(pointInTimeIndices(input, scratch))).toEqual(want);
      scratch.release();
      expect(scratchByteCount()).toBeGreaterThan(0);
      // pointInTimeJoin takes its temporaries from scratch memory too, and gives every row's value.
      const out = pointInTimeJoin(entity, feature, { keys: "id", ttl: { days: 0.5787 } }).getChild("v")!;
      const values = feature.getChild("v")!.toArray() as Float64Array;
      const ttlJoin = Array.from(pointInTimeIndices({ ...input, ttlMicros: 0.5787 * 86_400_000_000 }));
      expect(Array.from({ length: ne }, (_, i) => out.get(i))).toEqual(ttlJoin.map((j) => (j < 0 ? null : values[j])));
    }
  });
});
