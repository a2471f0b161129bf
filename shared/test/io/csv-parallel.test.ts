import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { rowsOf } from "../../src/frame/table";
import { readCsv } from "../../src/io/csv";
import { setParallelMinBytes } from "../../src/io/csv-parallel";
import { mergeGuess } from "../../src/io/csv-parse";

const dir = mkdtempSync(join(tmpdir(), "trellis-csv-parallel-"));
let before = 0;
// Small files go parallel here, so that many shapes of file can be compared with the one-pass read.
beforeAll(() => {
  before = setParallelMinBytes(0);
});
afterAll(() => {
  setParallelMinBytes(before);
  rmSync(dir, { recursive: true, force: true });
});

let fileNo = 0;
function fileOf(text: string): string {
  const path = join(dir, `f${fileNo++}.csv`);
  writeFileSync(path, text);
  return path;
}

/** Everything a read gives, threads aside, with Int64 as bigint and NaN / -0 kept apart by Object.is. */
function viewOf(r: { table: arrow.Table; inferred: { summary: string; rowsSampled: number } | null }) {
  return {
    schema: r.table.schema.fields.map((f) => `${f.name}: ${f.type} ${f.nullable}`),
    inferred: r.inferred && { summary: r.inferred.summary, rowsSampled: r.inferred.rowsSampled },
    rows: rowsOf(r.table, { int64: "bigint" }).map((row) =>
      Object.fromEntries(Object.entries(row as Record<string, unknown>).map(([k, v]) => [k, typeof v === "number" ? (Object.is(v, -0) ? "-0" : Number.isNaN(v) ? "NaN" : v) : v])),
    ),
  };
}

async function bothWays(path: string, options: Parameters<typeof readCsv>[1] = {}) {
  const one = await readCsv(path, { ...options, threads: 1 });
  const many = await readCsv(path, { ...options, threads: 3 });
  return { one, many };
}

describe("mergeGuess", () => {
  it("gives what one pass would widen to: nulls take the other, Int64 with Float64 is Float64, other pairs Utf8", () => {
    // Codes: 0 nulls only, 1 Bool, 2 Int64, 3 Float64, 4 Date, 5 Timestamp, 6 Utf8.
    expect(mergeGuess(0, 4)).toBe(4);
    expect(mergeGuess(5, 0)).toBe(5);
    expect(mergeGuess(2, 3)).toBe(3);
    expect(mergeGuess(3, 2)).toBe(3);
    expect(mergeGuess(2, 2)).toBe(2);
    expect(mergeGuess(1, 2)).toBe(6);
    expect(mergeGuess(4, 5)).toBe(6);
    expect(mergeGuess(6, 0)).toBe(6);
  });
});

describe("readCsv on several threads", () => {
  it("reads a file in parts with the same table and guess as one thread, widening across parts", async () => {
    const lines = ["id,x,flag,day,at,note,empty"];
    for (let i = 0; i < 3000; i++) {
      // x: integers in the first third, then decimals; note: numbers first, then text; flag is null in the middle part only.
      const x = i < 1000 ? String(i) : (i / 7).toPrecision(17);
      const flag = i >= 1000 && i < 2000 ? "" : i % 2 ? "true" : "false";
      const note = i < 2500 ? String(i % 13) : `n${i}`;
      lines.push(`${i},${x},${flag},2024-01-${String(1 + (i % 28)).padStart(2, "0")},2024-02-03T04:05:${String(i % 60).padStart(2, "0")}.25Z,${note},`);
    }
    const path = fileOf(lines.join("\n") + "\n");
    const { one, many } = await bothWays(path, { batchSize: 700 });
    expect(one.threads).toBe(1);
    expect(many.threads).toBe(3);
    expect(many.inferred?.summary).toBe("id: Int64, x: Float64, flag: Bool, day: Date32<DAY>, at: Timestamp<MICROSECOND, UTC>, note: Utf8, empty: Utf8");
    expect(viewOf(many)).toEqual(viewOf(one));
    expect(many.table.batches.every((b) => b.numRows <= 700)).toBe(true);
  });

  it("reads by a schema, with selected columns, a filter and custom null texts, as one thread does", async () => {
    const lines = ["a,b,c,d"];
    for (let i = 0; i < 2000; i++) lines.push(`${i},${i % 5 === 0 ? "NA" : (i * 0.1).toFixed(3)},c${i % 3},${-i}`);
    const path = fileOf(lines.join("\n"));
    const options = {
      schema: z.object({ a: z.int64(), b: z.number().nullable(), c: z.string(), d: z.int32() }),
      columns: ["d", "b"],
      filter: [["c", "=", "c1"]] as [string, "=", string][],
      nullValues: ["NA"],
    };
    const { one, many } = await bothWays(path, options);
    expect(many.threads).toBe(3);
    expect(many.table.numRows).toBe(667);
    expect(viewOf(many)).toEqual(viewOf(one));
  });

  it("gives the one-pass error, with its line, when a later part holds a bad record", async () => {
    const lines = ["a,b"];
    for (let i = 0; i < 3000; i++) lines.push(i === 2400 ? `${i}` : `${i},${i}`);
    const path = fileOf(lines.join("\n") + "\n");
    await expect(readCsv(path, { threads: 3 })).rejects.toThrow(`${path} line 2402: expected 2 field(s) like the header, found 1; quote cells that contain the delimiter.`);
    const typed = fileOf("n\n" + Array.from({ length: 3000 }, (_, i) => (i === 2999 ? "x" : String(i))).join("\n"));
    await expect(readCsv(typed, { threads: 3, schema: z.object({ n: z.int() }) })).rejects.toThrow(
      `${typed} line 3001: column "n" holds "x", which is not a valid Int64; fix the cell or declare the column with another type.`,
    );
  });

  it("reads files with a quote on one thread, and guesses from limited rows on one thread", async () => {
    const quoted = fileOf('a,b\n1,"x"\n'.repeat(1) + "2,y\n".repeat(500));
    expect((await readCsv(quoted, { threads: 3 })).threads).toBe(1);
    const plain = fileOf("a\n" + "1\n".repeat(500));
    expect((await readCsv(plain, { threads: 3, inferRows: 10 })).threads).toBe(1);
    expect((await readCsv(plain, { threads: 3 })).threads).toBe(3);
  });

  it("cuts files with CRLF or CR line ends like LF ones, with the same table as one thread", async () => {
    for (const eol of ["\r\n", "\r"]) {
      const lines = ["id,x,note"];
      for (let i = 0; i < 2000; i++) lines.push(`${i},${i < 1500 ? i : i / 4},${i % 3 ? `n${i}` : ""}`);
      const path = fileOf(lines.join(eol) + eol);
      const { one, many } = await bothWays(path);
      expect(many.threads).toBe(eol === "\r\n" ? 3 : 1); // a CR-only file has no LF to cut at
      expect(many.inferred?.summary).toBe("id: Int64, x: Float64, note: Utf8");
      expect(viewOf(many)).toEqual(viewOf(one));
    }
  });

  it("falls back to one pass when a quote shows up after the first MiB, with the one-pass table and errors", async () => {
    const lines = ["id,text"];
    let i = 0;
    while (lines.length * 12 < 1_600_000) lines.push(`${i++},plain${i % 10}`);
    lines.push(`${i++},"quoted, with a comma"`);
    for (let k = 0; k < 1000; k++) lines.push(`${i++},tail`);
    const path = fileOf(lines.join("\n") + "\n");
    const { one, many } = await bothWays(path);
    expect(many.threads).toBe(1);
    expect(many.table.numRows).toBe(lines.length - 1);
    expect(many.table.getChild("text")!.get(lines.length - 1002)).toBe("quoted, with a comma");
    expect(viewOf(many)).toEqual(viewOf(one));
  });

  it("matches the one-thread read on generated files of mixed cells, nulls and blank lines", async () => {
    const cell = fc.oneof(
      fc.integer({ min: -1000, max: 1000 }).map(String),
      fc.double({ noDefaultInfinity: true, noNaN: true }).map((v) => String(v)),
      fc.constantFrom("", "true", "FALSE", "2024-02-29", "2024-02-29T10:11:12Z", "2024-02-29 10:11", "abc", "NaN", "-inf", "1e5", "00", "-0"),
    );
    const file = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.array(fc.array(cell, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 60 }), fc.boolean());
    await fc.assert(
      fc.asyncProperty(file, async ([width, rows, blank]) => {
        const body = rows.map((r, i) => (blank && i % 7 === 3 ? "\n" : "") + r.slice(0, width).join(",")).join("\n");
        const path = fileOf(Array.from({ length: width }, (_, k) => `c${k}`).join(",") + "\n" + body + "\n");
        let one: unknown;
        try {
          one = viewOf(await readCsv(path, { threads: 1 }));
        } catch (e) {
          one = String(e);
        }
        let many: unknown;
        try {
          many = viewOf(await readCsv(path, { threads: 3 }));
        } catch (e) {
          many = String(e);
        }
        expect(many).toEqual(one);
      }),
      { numRuns: 80, seed: 3 },
    );
  });

  it("rejects a thread count that is not a positive integer", async () => {
    await expect(readCsv(fileOf("a\n1\n"), { threads: 0 })).rejects.toThrow("readCsv: option threads must be a positive integer, got 0.");
  });
});
