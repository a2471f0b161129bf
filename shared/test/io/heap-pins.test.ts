/**
 * Heap pins (see `heap-pins.ts`): each decoded row group leaves one small allocation behind, at
 * most 48 are kept per thread, and all are let go after 10 idle seconds. What they are for — warm
 * memory for the next read — is a benchmark figure (`npm run bench -- lake`), not a test.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { pinCount, pinHeapTop, releasePins } from "../../src/io/parquet/heap-pins";
import { readParquet } from "../../src/io/parquet";
import { FIXTURES } from "./parquet-helpers";
import { join } from "node:path";

afterEach(() => {
  vi.useRealTimers();
  releasePins();
});

describe("heap pins", () => {
  it("leaves one pin per decoded row group on the decoding thread", async () => {
    releasePins();
    const t = await readParquet(join(FIXTURES, "small_row_groups.parquet"), { threads: 1 });
    expect(t.numRows).toBe(300);
    expect(pinCount()).toBe(3); // the fixture's three row groups
  });

  it("keeps at most 48 pins, the newest", () => {
    releasePins();
    for (let i = 0; i < 100; i++) pinHeapTop();
    expect(pinCount()).toBe(48);
  });

  it("lets every pin go after 10 idle seconds, and a new read restarts the wait", () => {
    vi.useFakeTimers();
    releasePins();
    pinHeapTop();
    vi.advanceTimersByTime(9_000);
    pinHeapTop();
    vi.advanceTimersByTime(9_000);
    expect(pinCount()).toBe(2);
    vi.advanceTimersByTime(1_001);
    expect(pinCount()).toBe(0);
  });
});
