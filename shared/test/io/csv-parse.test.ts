import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/frame/table";
import { inferCsvSchema, parseCsv, readCsv, readCsvBatches } from "../../src/io/csv";
import { NOT_A_NUMBER, RecordScanner, parseFloatBytes } from "../../src/io/csv-parse";
import { rng } from "../helpers/random";

const dir = mkdtempSync(join(tmpdir(), "trellis-csv-parse-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = new TextEncoder();
const CHUNK = 1 << 20;

function floatOf(s: string): number | typeof NOT_A_NUMBER {
  const b = enc.encode(s);
  return parseFloatBytes(b, 0, b.length);
}

async function streamed(path: string, options = {}): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const b of readCsvBatches(path, options)) out.push(...rowsOf(new arrow.Table([b])));
  return out;
}

describe("parseFloatBytes", () => {
  it("gives exactly what Number gives, for short, 16- and 17-digit decimals and exponents", () => {
    const rand = rng(99);
    const texts: string[] = ["0.1", "-0", "00.1000", "1.", ".5", "+.5e-3", "1e400", "5e-324", "2.2250738585072014e-308", "9007199254740993", "123456789012345678", "0.30000000000000004"];
    for (let i = 0; i < 20_000; i++) {
      const v = (rand() - 0.5) * 10 ** (Math.floor(rand() * 14) - 7);
      texts.push(String(v), v.toPrecision(17), v.toPrecision(16), v.toExponential(12));
      let digits = "";
      for (let k = 0; k < 17; k++) digits += Math.floor(rand() * 10);
      const dot = 1 + Math.floor(rand() * 16);
      texts.push(`${digits.slice(0, dot)}.${digits.slice(dot)}`, `-0.${digits}`);
    }
    const wrong = texts.filter((s) => !Object.is(floatOf(s), Number(s)));
    expect(wrong).toEqual([]);
  });

  it("reads the special spellings and rejects what is not a number", () => {
    expect(floatOf("NaN")).toBeNaN();
    expect(floatOf("-inf")).toBe(-Infinity);
    expect(floatOf("+Infinity")).toBe(Infinity);
    for (const s of ["", ".", "1e", "e5", " 1", "1 ", "1,5", "0x10", "1.2.3", "--1", "１"]) expect(floatOf(s)).toBe(NOT_A_NUMBER);
  });
});

describe("RecordScanner", () => {
  it("waits for more bytes inside a quoted cell or a record, and finishes it when told the input ended", () => {
    const sc = new RecordScanner(",", '"', "t", undefined);
    const buf = enc.encode('a,"b\nc');
    expect(sc.next(buf, 0, buf.length, false)).toBe(-1);
    const whole = enc.encode('a,"b\nc""d",e\r\nx');
    const end = sc.next(whole, 0, whole.length, false);
    expect(end).toBe(14);
    expect(sc.count).toBe(3);
    expect([sc.kinds[0], sc.kinds[1], sc.kinds[2]]).toEqual([0, 2, 0]);
    expect(sc.nextLine).toBe(3);
    expect(sc.next(whole, end, whole.length, false)).toBe(-1);
    expect(sc.next(whole, end, whole.length, true)).toBe(whole.length);
    expect(sc.count).toBe(1);
  });
});

describe("type guessing in one pass", () => {
  it("widens Int64 to Float64 to Utf8 and keeps every earlier cell's text, across batches", () => {
    const lines = ["n,m,later"];
    for (let i = 0; i < 10; i++) lines.push(`${i === 3 ? "007" : i},${i},`);
    lines.push("4.5,2.25,true", "x,3,", '"12",-1e3,FALSE');
    const { table, inferred } = parseCsv(lines.join("\n") + "\n", { batchSize: 4 });
    expect(inferred?.summary).toBe("n: Utf8, m: Float64, later: Bool");
    expect(inferred?.rowsSampled).toBe(13);
    expect(table.batches.map((b) => b.numRows)).toEqual([4, 4, 4, 1]);
    const rows = rowsOf<{ n: string; m: number; later: boolean | null }>(table);
    expect(rows.map((r) => r.n)).toEqual(["0", "1", "2", "007", "4", "5", "6", "7", "8", "9", "4.5", "x", "12"]);
    expect(rows.map((r) => r.m)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 2.25, 3, -1000]);
    expect(rows.map((r) => r.later)).toEqual([...new Array(10).fill(null), true, null, false]);
  });

  it("widens Int64 to Float64 only (not to Utf8) for NaN, inf and integers beyond the 64-bit range", () => {
    const { table, inferred } = parseCsv("a,b\n1,1\nNaN,99999999999999999999\n");
    expect(inferred?.summary).toBe("a: Float64, b: Float64");
    expect(rowsOf(table)).toEqual([
      { a: 1, b: 1 },
      { a: NaN, b: 1e20 },
    ]);
  });

  it("keeps nulls null through a widening, with custom null texts, and leaves an all-null column Utf8", () => {
    const { table, inferred } = parseCsv("a,b,c\nNA,1,\n2,NA,\n,2024-01-02,\nx,2024-01-03,\n", { nullValues: ["NA", ""] });
    expect(inferred?.summary).toBe("a: Utf8, b: Utf8, c: Utf8");
    expect(rowsOf(table)).toEqual([
      { a: null, b: "1", c: null },
      { a: "2", b: null, c: null },
      { a: null, b: "2024-01-02", c: null },
      { a: "x", b: "2024-01-03", c: null },
    ]);
  });

  it("guesses dates and timestamps from the first value and falls back to Utf8 when they mix", () => {
    const { inferred } = parseCsv("d,t,mixed\n2024-01-02,2024-01-02T03:04:05Z,2024-01-02\n2024-02-29,2024-01-02 03:04,2024-01-02T00:00:00Z\n");
    expect(inferred?.summary).toBe("d: Date32<DAY>, t: Timestamp<MICROSECOND, UTC>, mixed: Utf8");
  });

  it("gives readCsv, readCsvBatches and inferCsvSchema the same guess when the first rows decide it", async () => {
    const path = join(dir, "guess.csv");
    writeFileSync(path, "a,b,c\n1,x,\n2,,1.5\n3,y,2\n");
    const whole = await readCsv(path);
    expect(whole.inferred?.summary).toBe("a: Int64, b: Utf8, c: Float64");
    expect((await inferCsvSchema(path)).summary).toBe("a: Int64, b: Utf8, c: Float64");
    expect(await streamed(path)).toEqual(rowsOf(whole.table));
  });

  it("widens in readCsvBatches within the first inferRows rows and rejects a misfit after them", async () => {
    const path = join(dir, "late.csv");
    writeFileSync(path, "n\n1\n2.5\n3\nx\n");
    await expect(streamed(path, { inferRows: 3, batchSize: 1 })).rejects.toThrow(/late\.csv line 5: column "n" holds "x", which is not a valid Float64/);
    expect(await streamed(path, { inferRows: 4, batchSize: 1 })).toEqual([{ n: "1" }, { n: "2.5" }, { n: "3" }, { n: "x" }]);
  });
});

describe("chunk boundaries", () => {
  /** A file whose byte number CHUNK (the reader's chunk size) falls `at` bytes into `cell`, the text of record 1. */
  function fileSplitting(cell: string, at: number): { path: string; text: string } {
    const head = "id,text\n";
    const pad = CHUNK - at - head.length - "0,".length - 1 - "1,".length;
    const text = `${head}0,${"p".repeat(pad)}\n1,${cell}\n2,after\n`;
    const path = join(dir, `split-${at}-${Buffer.byteLength(cell)}.csv`);
    writeFileSync(path, text);
    expect(Buffer.from(text).indexOf(Buffer.from(`\n1,${cell}`)) + 3 + at).toBe(CHUNK);
    return { path, text };
  }

  it("reads a quoted cell with an inner newline and doubled quotes split by a chunk boundary", async () => {
    const cell = '"one ""two""\r\nthree, four"';
    for (const at of [1, 5, 6, 13, cell.length - 1]) {
      const { path, text } = fileSplitting(cell, at);
      const rows = await streamed(path, { batchSize: 50_000 });
      const last = rows.slice(-2);
      expect(last.map((r) => (r as { text: string }).text)).toEqual(['one "two"\r\nthree, four', "after"]);
      expect(rows).toEqual(rowsOf(parseCsv(text).table));
    }
  });

  it("reads multi-byte UTF-8 characters split by a chunk boundary, quoted or not", async () => {
    for (const cell of ["€uro", "😀 smile", '"ü, 😀"', "日本語"]) {
      const bytes = Buffer.byteLength(cell);
      for (let at = 1; at < Math.min(bytes, 6); at++) {
        const { path, text } = fileSplitting(cell, at);
        const rows = await streamed(path);
        expect((rows[rows.length - 2] as { text: string }).text).toBe(cell.replace(/^"|"$/g, ""));
        expect(rows.length).toBe(rowsOf(parseCsv(text).table).length);
        expect((await readCsv(path)).table.getChild("text")!.get(rows.length - 2)).toBe(cell.replace(/^"|"$/g, ""));
      }
    }
  });
});
