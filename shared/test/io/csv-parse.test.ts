import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/frame/table";
import { inferCsvSchema, parseCsv, parseIsoTimestampMs, readCsv, readCsvBatches } from "../../src/io/csv";
import { NOT_A_NUMBER, RecordScanner, isoTimestampBytesMs, parseFloatBytes } from "../../src/io/csv-parse";
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

/** Texts of the double whose 64 bits are (hi, lo): shortest, 17 and 16 significant digits, exponent form. */
function textsOfBits(hi: number, lo: number): string[] {
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  u[0] = lo;
  u[1] = hi;
  const v = f[0];
  if (!Number.isFinite(v)) return [];
  return [String(v), v.toPrecision(17), v.toPrecision(16), v.toExponential(16), v.toExponential(19)];
}

describe("parseFloatBytes correctness", () => {
  it("matches Number on a million doubles of every exponent (subnormals included), printed shortest, with 16, 17 and 20 digits", () => {
    const rand = rng(2024);
    const wrong: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      for (const s of textsOfBits((rand() * 4294967296) >>> 0, (rand() * 4294967296) >>> 0)) {
        if (!Object.is(floatOf(s), Number(s))) wrong.push(s);
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it("matches Number on decimals of 15 to 19 digits around the fast paths' limits, halfway cases and extreme exponents", () => {
    const rand = rng(7);
    const texts: string[] = [
      "9007199254740991", "9007199254740992", "9007199254740993", "0.9007199254740993", "1.7976931348623157e308", "1.7976931348623159e308",
      "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "2.2250738585072011e-308", "1e-400", "0.0000000000000000000000001",
      "-0.0", "0e999", "123456789012345678901234567890", "0.10000000000000000555", "0.1000000000000000055511151231257827",
    ];
    for (let i = 0; i < 300_000; i++) {
      const len = 15 + Math.floor(rand() * 5);
      let digits = String(1 + Math.floor(rand() * 9));
      for (let k = 1; k < len; k++) digits += Math.floor(rand() * 10);
      const dot = Math.floor(rand() * (len + 1));
      const body = dot === len ? digits : `${digits.slice(0, dot)}.${digits.slice(dot)}`;
      texts.push(body, `-${body}`, `0.${"0".repeat(Math.floor(rand() * 6))}${digits}`, `${body}e${Math.floor(rand() * 60) - 30}`);
      // A decimal exactly halfway between two doubles: the midpoint printed in full.
      const v = 1 + rand();
      const next = v + 2 ** -52;
      texts.push(((v + next) / 2).toPrecision(17));
    }
    const wrong = texts.filter((s) => !Object.is(floatOf(s), Number(s)));
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it("matches Number on any text fast-check makes of signs, digits, a point and an exponent", () => {
    const text = fc
      .tuple(fc.constantFrom("", "-", "+"), fc.stringMatching(/^[0-9]{0,24}$/), fc.option(fc.stringMatching(/^[0-9]{0,24}$/)), fc.option(fc.integer({ min: -400, max: 400 })))
      .map(([sign, int, frac, exp]) => `${sign}${int}${frac === null ? "" : `.${frac}`}${exp === null ? "" : `e${exp}`}`);
    fc.assert(
      fc.property(text, (s) => {
        const expected = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s) ? Number(s) : NOT_A_NUMBER;
        expect(floatOf(s)).toStrictEqual(expected);
      }),
      { numRuns: 20_000, seed: 11 },
    );
  });
});

/** The scanner's view of the record at `p`: position after it, line, cells, and the values parsed. */
function scanBoth(buf: Uint8Array, p: number, numeric: Uint8Array, expected: number) {
  const plain = new RecordScanner(",", '"', "t", undefined, 8);
  const slow = new RecordScanner(",", '"', "t", undefined, 8);
  plain.nextLine = slow.nextLine = 5;
  const q = plain.nextPlain(buf, p, buf.length, expected, numeric);
  // A record nextPlain takes is one next() reads without error.
  const r = q === -2 ? -2 : slow.next(buf, p, buf.length, true);
  return { q, r, plain, slow };
}

describe("RecordScanner.nextPlain", () => {
  const cell = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => String(v)),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => v.toPrecision(17)),
    fc.integer().map((v) => String(v)),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => String(v)),
    fc.stringMatching(/^-?[0-9]{0,20}(\.[0-9]{0,25})?$/),
    fc.constantFrom("", "x", '"q"', '"a,b"', "1e5", "+3", "-", ".", "NaN", "inf", "1.5x", "0x10", "1 ", " 1", "\r"),
  );
  const record = fc.tuple(fc.array(cell, { minLength: 1, maxLength: 6 }), fc.constantFrom("\n", "\r\n", "\r", "", "\n\n"), fc.boolean());

  it("reads a record exactly as next() does, or declines it, with each parsed value equal to the byte parser's", () => {
    fc.assert(
      fc.property(record, fc.array(fc.constantFrom(0, 1, 2), { minLength: 6, maxLength: 6 }), ([cells, end, lead], kinds) => {
        const text = (lead ? "\n" : "") + cells.join(",") + end + "z";
        const buf = enc.encode(text);
        const numeric = Uint8Array.from(kinds);
        const { q, r, plain, slow } = scanBoth(buf, 0, numeric, cells.length);
        if (q === -2) return;
        expect(q).toBe(r);
        expect(plain.count).toBe(slow.count);
        expect([plain.line, plain.nextLine]).toEqual([slow.line, slow.nextLine]);
        for (let j = 0; j < plain.count; j++) {
          expect([plain.starts[j], plain.ends[j], plain.kinds[j]]).toEqual([slow.starts[j], slow.ends[j], slow.kinds[j]]);
          if (plain.parsed[j] !== 1) continue;
          const t = text.slice(plain.starts[j], plain.ends[j]);
          expect(numeric[j]).not.toBe(0);
          // An integer cell goes into Int64, where -0 is 0.
          if (numeric[j] === 2) expect(plain.values[j] === Number(BigInt(t))).toBe(true);
          else expect(Object.is(plain.values[j], floatOf(t))).toBe(true);
        }
      }),
      { numRuns: 30_000, seed: 5 },
    );
  });

  it("parses the common numeric cells itself and declines quoted, blank, short, long and unterminated records", () => {
    const buf = enc.encode("12,-0.048738504149014296,x,0.9887671452418053\n");
    const numeric = Uint8Array.from([2, 1, 0, 1]);
    const { q, plain } = scanBoth(buf, 0, numeric, 4);
    expect(q).toBe(buf.length);
    expect(Array.from(plain.parsed.subarray(0, 4))).toEqual([1, 1, 0, 1]);
    expect(Array.from(plain.values.subarray(0, 4))).toEqual([12, -0.048738504149014296, 0, 0.9887671452418053]);
    for (const t of ['"a",1\n', "\n1,2\n", "1\n", "1,2,3\n", "1,2", "1,2\r3\n"]) {
      expect(scanBoth(enc.encode(t), 0, numeric, 2).q).toBe(-2);
    }
  });
});

describe("isoTimestampBytesMs", () => {
  const two = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((v) => String(v).padStart(2, "0"));
  const stamp = fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }).map((v) => String(v).padStart(4, "0")),
      two(0, 13),
      two(0, 32),
      fc.constantFrom("T", " ", "t", "_"),
      two(0, 24),
      two(0, 60),
      two(0, 61),
      fc.option(fc.stringMatching(/^[.,][0-9]{0,12}$/)),
      fc.constantFrom("", "Z", "z", "+01:30", "-0545", "+05", "-23:59", "+24:00", "+1:30", " Z", "Zx"),
    )
    .map(([y, mo, d, sep, h, mi, s, frac, tz]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${frac ?? ""}${tz}`);

  it("gives exactly the text parser's value wherever it parses, and NaN (left to the text parser) otherwise", () => {
    let parsed = 0;
    fc.assert(
      fc.property(stamp, (text) => {
        const b = enc.encode(text);
        const fast = isoTimestampBytesMs(b, 0, b.length);
        if (Number.isNaN(fast)) return;
        parsed++;
        expect(Object.is(fast, parseIsoTimestampMs(text))).toBe(true);
      }),
      { numRuns: 50_000, seed: 17 },
    );
    expect(parsed).toBeGreaterThan(5_000);
  });

  it("reads the common forms and declines the rest", () => {
    const at = (t: string) => {
      const b = enc.encode(`xx${t}yy`);
      return isoTimestampBytesMs(b, 2, b.length - 2);
    };
    expect(at("2024-01-01T00:00:28.352046Z")).toBe(Date.UTC(2024, 0, 1, 0, 0, 28) + 352.046);
    expect(at("2024-02-29 10:11:12+01:30")).toBe(Date.UTC(2024, 1, 29, 8, 41, 12));
    expect(at("1969-12-31T23:59:59.999999999-00:00")).toBe(parseIsoTimestampMs("1969-12-31T23:59:59.999999999-00:00"));
    for (const t of ["2024-01-02", "2024-01-02T03:04", "2024-13-01T00:00:00Z", "2024-01-02T03:04:05.Z", "2024/01/02T03:04:05Z"]) expect(at(t)).toBeNaN();
  });
});

describe("readCsv floats", () => {
  it("reads every float text of a large file exactly as Number does, typed and inferred", async () => {
    const rand = rng(31);
    const texts: string[] = [];
    for (let i = 0; i < 60_000; i++) {
      const [s] = textsOfBits((rand() * 4294967296) >>> 0, (rand() * 4294967296) >>> 0).slice(Math.floor(rand() * 4));
      const v = (rand() - 0.5) * 10 ** (Math.floor(rand() * 12) - 4);
      texts.push(s ?? "0", String(v), v.toPrecision(17));
    }
    const path = join(dir, "floats.csv");
    writeFileSync(path, "i,x\n" + texts.map((t, i) => `${i},${t}`).join("\n") + "\n");
    for (const options of [{}, { schema: new arrow.Schema([new arrow.Field("i", new arrow.Int64()), new arrow.Field("x", new arrow.Float64())]) }]) {
      const { table } = await readCsv(path, options);
      const x = table.getChild("x")!.toArray() as Float64Array;
      const wrong = texts.filter((t, i) => !Object.is(x[i], Number(t)));
      expect(wrong.slice(0, 10)).toEqual([]);
    }
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
