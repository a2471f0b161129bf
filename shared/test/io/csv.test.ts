import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as arrow from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { DataIoError, InvalidArgumentError, SchemaMismatchError } from "../../src/errors";
import { formatTimestamp, inferCsvSchema, parseCsv, parseIsoTimestampMs, readCsv, readCsvBatches, writeCsv } from "../../src/io/csv";
import { rowsOf, tableFromRows } from "../../src/frame/table";
import { findPython, pythonOf } from "../../../test/helpers/python";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/reference/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "trellis-csv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const py = findPython(["pyarrow", "pandas"]);
const hasPyarrow = py.missing === undefined;

describe("parseCsv", () => {
  it("handles RFC 4180 quoting, CRLF line ends and a byte-order mark", () => {
    const text = '\uFEFFid,note,x\r\n1,"a,b ""quoted""\r\nsecond line",1.5\r\n2,plain,-2e3\r\n';
    const { table, inferred } = parseCsv(text);
    expect(inferred?.summary).toBe("id: Int64, note: Utf8, x: Float64");
    expect(rowsOf(table)).toEqual([
      { id: 1, note: 'a,b "quoted"\r\nsecond line', x: 1.5 },
      { id: 2, note: "plain", x: -2000 },
    ]);
  });

  it("reads an empty cell as null and a quoted empty cell as the empty string", () => {
    const { table } = parseCsv('a,b\n,""\n"",\n');
    expect(rowsOf(table)).toEqual([
      { a: null, b: "" },
      { a: "", b: null },
    ]);
  });

  it("guesses booleans, integers, floats, dates and timestamps, all nullable", () => {
    const { table, inferred } = parseCsv(
      "flag,n,f,day,ts,s\ntrue,1,1,2024-01-31,2024-01-31T10:00:00.123456Z,x\nFALSE,,2.5,,2024-02-01 00:00:00,\n",
    );
    expect(inferred?.summary).toBe(
      "flag: Bool, n: Int64, f: Float64, day: Date32<DAY>, ts: Timestamp<MICROSECOND, UTC>, s: Utf8",
    );
    expect(inferred?.rowsSampled).toBe(2);
    expect(table.schema.fields.every((f) => f.nullable)).toBe(true);
    const ts = table.getChild("ts")!;
    expect((ts.data[0].values as BigInt64Array)[0]).toBe(1706695200123456n);
    expect(ts.get(1)).toBe(Date.UTC(2024, 1, 1));
    expect(table.getChild("day")!.get(0)).toBe(Date.UTC(2024, 0, 31));
    expect(inferred?.zod.safeParse({ flag: true, n: 1, f: 1, day: new Date(), ts: null, s: null }).success).toBe(true);
  });

  it("keeps Int64 values beyond 2^53 exact", () => {
    const { table } = parseCsv("big\n9007199254740993\n-9223372036854775808\n");
    expect(rowsOf(table, { int64: "bigint" })).toEqual([{ big: 9007199254740993n }, { big: -9223372036854775808n }]);
  });

  it("types the columns by a zod schema, drops undeclared columns and orders by the schema", () => {
    const Schema = z.object({ score: z.float32(), id: z.int32(), ok: z.boolean().nullable() });
    const { table, inferred } = parseCsv("id,extra,score,ok\n7,zzz,0.5,yes\n8,,1.25,\n", { schema: Schema });
    expect(inferred).toBeNull();
    expect(table.schema.fields.map(String)).toEqual(["score: Float32", "id: Int32", "ok: Bool"]);
    expect(rowsOf(table)).toEqual([
      { score: 0.5, id: 7, ok: true },
      { score: 1.25, id: 8, ok: null },
    ]);
  });

  it("names the line and column of a cell that does not fit the schema", () => {
    const Schema = z.object({ id: z.int32(), score: z.number() });
    expect(() => parseCsv("id,score\n1,0.5\n2,abc\n", { schema: Schema })).toThrow(
      'CSV text line 3: column "score" holds "abc", which is not a valid Float64',
    );
    expect(() => parseCsv("id,score\n1,0.5\n2,\n", { schema: Schema })).toThrow(/line 3: column "score" is empty but the schema does not allow nulls/);
    expect(() => parseCsv("id,score\n3000000000,1\n", { schema: Schema })).toThrow(/line 2: column "id" holds "3000000000"/);
  });

  it("reports a declared column missing from the file", () => {
    expect(() => parseCsv("a\n1\n", { schema: z.object({ a: z.number(), b: z.string() }) })).toThrow(SchemaMismatchError);
    expect(() => parseCsv("a\n1\n", { schema: z.object({ a: z.number(), b: z.string() }) })).toThrow(/missing column\(s\) "b"/);
  });

  it("reports a wrong field count, an unclosed quote and junk after a quote by line", () => {
    expect(() => parseCsv("a,b\n1,2\n3\n")).toThrow("CSV text line 3: expected 2 field(s) like the header, found 1");
    expect(() => parseCsv('a,b\n1,"never closed\n')).toThrow(/line 2: a quoted cell in column 2 is never closed/);
    expect(() => parseCsv('a,b\n1,"x"y\n')).toThrow(/line 2: unexpected character "y" after the closing quote/);
    const lines = 'a,b\n1,"multi\nline"\n2,3,4\n';
    expect(() => parseCsv(lines)).toThrow(/line 4: expected 2 field/);
  });

  it("supports another delimiter, quote, null texts, no header with names, and column selection", () => {
    const { table } = parseCsv("1;'x;y';NA\n2;z;3\n", {
      delimiter: ";",
      quote: "'",
      header: false,
      names: ["id", "s", "v"],
      nullValues: ["NA", ""],
      columns: ["v", "id"],
    });
    expect(rowsOf(table)).toEqual([
      { v: null, id: 1 },
      { v: 3, id: 2 },
    ]);
    const noNames = parseCsv("1,2\n", { header: false });
    expect(noNames.table.schema.fields.map((f) => f.name)).toEqual(["f0", "f1"]);
  });

  it("applies a filter, also on a column that is not selected", () => {
    const { table } = parseCsv("id,region\n1,emea\n2,apac\n3,emea\n", { columns: ["id"], filter: [["region", "=", "emea"]] });
    expect(rowsOf(table)).toEqual([{ id: 1 }, { id: 3 }]);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["id"]);
  });

  it("rejects bad options with the option's name", () => {
    expect(() => parseCsv("a\n", { delimiter: ",," })).toThrow(/option delimiter must be one character/);
    expect(() => parseCsv("a\n", { batchSize: 0 })).toThrow(/option batchSize must be a positive integer/);
    expect(() => parseCsv("a\n1\n", { columns: ["b"] })).toThrow(InvalidArgumentError);
  });

  it("gives an empty table with the header's columns for a header-only file", () => {
    const { table } = parseCsv("a,b\n");
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["a", "b"]);
  });
});

describe("readCsv", () => {
  it("reads the iris fixture with guessed types", async () => {
    const { table, inferred } = await readCsv(join(FIXTURES, "sklearn/iris.csv"));
    const lines = readFileSync(join(FIXTURES, "sklearn/iris.csv"), "utf8").trim().split(/\r?\n/);
    expect(table.numRows).toBe(lines.length - 1);
    const header = lines[0].split(",");
    expect(table.schema.fields.map((f) => f.name)).toEqual(header);
    const speciesIndex = header.indexOf("species");
    expect(inferred?.schema.fields[speciesIndex].type.toString()).toBe("Utf8");
    const rows = rowsOf<Record<string, number | string>>(table);
    const last = lines[lines.length - 1].split(",");
    header.forEach((h, i) => {
      expect(String(rows[rows.length - 1][h])).toBe(String(i === speciesIndex ? last[i] : Number(last[i])));
    });
  });

  it("reads the point-in-time fixture's UTC timestamps", async () => {
    const { table, inferred } = await readCsv(join(FIXTURES, "pit/customer_features.csv"));
    expect(inferred?.summary).toBe(
      "customer_id: Int64, event_ts: Timestamp<MICROSECOND, UTC>, created_ts: Timestamp<MICROSECOND, UTC>, orders_30d: Int64, avg_basket: Float64, segment: Utf8",
    );
    const first = readFileSync(join(FIXTURES, "pit/customer_features.csv"), "utf8").split("\n")[1].split(",");
    expect(new Date(table.getChild("event_ts")!.get(0) as number).toISOString().replace(".000", "")).toBe(first[1]);
  });

  it("widens columns late in a file of many blocks by re-reading the earlier rows from the file", async () => {
    // 3 MB: the reader holds one 2 MiB block at a time, so rows of earlier blocks are re-read from the file.
    const lines = ["id,x,late,tag"];
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const x = i === n - 10 ? "2.5" : String(i); // Int64 until near the end, then Float64
      const late = i < n - 5 ? "" : "2024-03-01"; // only nulls until the last rows, then dates
      const tag = i === 70_000 ? "t" : String(i % 9); // numbers, then text in the middle
      lines.push(`${i},${x},${late},${tag}`);
    }
    const text = lines.join("\n") + "\n";
    const path = join(dir, "late-widen.csv");
    writeFileSync(path, text);
    const fromFile = await readCsv(path, { threads: 1, batchSize: 10_000 });
    const inMemory = parseCsv(text, { batchSize: 10_000 });
    expect(fromFile.inferred?.summary).toBe("id: Int64, x: Float64, late: Date32<DAY>, tag: Utf8");
    expect(rowsOf(fromFile.table, { int64: "bigint" })).toEqual(rowsOf(inMemory.table, { int64: "bigint" }));
    const row = rowsOf<Record<string, unknown>>(fromFile.table.slice(n - 10, n - 9))[0];
    expect(row).toEqual({ id: n - 10, x: 2.5, late: null, tag: String((n - 10) % 9) });
    expect(fromFile.table.getChild("tag")!.get(70_000)).toBe("t");
    const streamed: unknown[] = [];
    for await (const b of readCsvBatches(path, { inferRows: Infinity, batchSize: 10_000 })) streamed.push(...rowsOf(new arrow.Table([b]), { int64: "bigint" }));
    expect(streamed).toEqual(rowsOf(inMemory.table, { int64: "bigint" }));
  });

  it.skipIf(process.platform === "win32")("reads a named pipe to its end, widening from the blocks it kept", async () => {
    // 3 MB through a pipe (more than one block): x is Int64 until its last row, so every earlier block is read again.
    const lines = ["id,x"];
    for (let i = 0; i < 200_000; i++) lines.push(`${i},${i === 199_999 ? "0.5" : i * 3}`);
    const text = lines.join("\n") + "\n";
    const expected = rowsOf(parseCsv(text).table);
    for (const read of ["readCsv", "readCsvBatches"] as const) {
      const fifo = join(dir, `pipe-${read}.csv`);
      execFileSync("mkfifo", [fifo]);
      const writer = writeFile(fifo, text);
      let got: unknown[];
      if (read === "readCsv") {
        const r = await readCsv(fifo);
        expect(r.inferred?.summary).toBe("id: Int64, x: Float64");
        expect(r.threads).toBe(1);
        got = rowsOf(r.table);
      } else {
        got = [];
        for await (const b of readCsvBatches(fifo, { inferRows: Infinity })) got.push(...rowsOf(new arrow.Table([b])));
      }
      await writer;
      expect(got.length).toBe(200_000);
      expect(got).toEqual(expected);
    }
  });

  it("names a missing file", async () => {
    await expect(readCsv(join(dir, "nope.csv"))).rejects.toThrow(DataIoError);
    await expect(readCsv(join(dir, "nope.csv"))).rejects.toThrow(/cannot read .*nope\.csv: no such file/);
  });
});

describe("readCsvBatches", () => {
  it("streams batches that equal a whole-file read, across 1 MiB chunk boundaries", async () => {
    const path = join(dir, "big.csv");
    const rows: string[] = ["id,text,v"];
    for (let i = 0; i < 30_000; i++) rows.push(`${i},"line ${i}, with ""quotes""\nand a newline ${"é".repeat(i % 7)}",${i % 5 === 0 ? "" : i / 4}`);
    writeFileSync(path, rows.join("\r\n") + "\r\n");
    const sizes: number[] = [];
    const seen: unknown[] = [];
    for await (const b of readCsvBatches(path, { batchSize: 7000 })) {
      sizes.push(b.numRows);
      seen.push(...rowsOf(new arrow.Table([b])));
    }
    expect(sizes).toEqual([7000, 7000, 7000, 7000, 2000]);
    const whole = await readCsv(path);
    expect(seen).toEqual(rowsOf(whole.table));
    expect(seen[29_999]).toEqual({ id: 29_999, text: `line 29999, with "quotes"\nand a newline ${"é".repeat(29_999 % 7)}`, v: 29_999 / 4 });
  });

  it("streams a header-less file typed by a schema, and one with names", async () => {
    const path = join(dir, "nohead.csv");
    writeFileSync(path, "1,x\n2,\n3,z");
    const got: unknown[] = [];
    for await (const b of readCsvBatches(path, { header: false, names: ["id", "s"], schema: z.object({ id: z.int32(), s: z.string().nullable() }), batchSize: 2 })) {
      got.push(...rowsOf(new arrow.Table([b])));
    }
    expect(got).toEqual([{ id: 1, s: "x" }, { id: 2, s: null }, { id: 3, s: "z" }]);
    const inferred: unknown[] = [];
    for await (const b of readCsvBatches(path, { header: false })) inferred.push(...rowsOf(new arrow.Table([b])));
    expect(inferred).toEqual([{ f0: 1, f1: "x" }, { f0: 2, f1: null }, { f0: 3, f1: "z" }]);
  });

  it("names the line of a later cell that breaks the guess", async () => {
    const path = join(dir, "late.csv");
    writeFileSync(path, "n\n1\n2\n3\nx\n");
    const run = async () => {
      for await (const _ of readCsvBatches(path, { inferRows: 2 })) void _;
    };
    await expect(run()).rejects.toThrow(/late\.csv line 5: column "n" holds "x", which is not a valid Int64/);
    await expect(run()).rejects.toMatchObject({ code: "DATA_IO", path, row: 5 });
  });

  it("reports the guess with inferCsvSchema", async () => {
    const path = join(dir, "guess.csv");
    writeFileSync(path, "a,b\n1,x\n2.5,y\n");
    const g = await inferCsvSchema(path);
    expect(g.summary).toBe("a: Float64, b: Utf8");
    expect(g.rowsSampled).toBe(2);
  });
});

describe("writeCsv", () => {
  const schema = new arrow.Schema([
    new arrow.Field("id", new arrow.Int64(), false),
    new arrow.Field("s", new arrow.Utf8(), true),
    new arrow.Field("f", new arrow.Float64(), true),
    new arrow.Field("ok", new arrow.Bool(), true),
    new arrow.Field("ts", new arrow.TimestampMicrosecond("UTC"), true),
    new arrow.Field("day", new arrow.DateDay(), true),
  ]);
  const table = tableFromRows(
    [
      { id: 9007199254740993n, s: 'comma, "quote"\nnewline', f: 0.1, ok: true, ts: new Date("2024-05-06T07:08:09.123Z"), day: new Date("2024-05-06T00:00:00Z") },
      { id: -1n, s: "", f: null, ok: null, ts: null, day: null },
      { id: 3n, s: null, f: -1e-300, ok: false, ts: 1714979289123.456, day: new Date(0) },
    ],
    schema,
  );

  it("writes every type so that it reads back identically", async () => {
    const path = join(dir, "all.csv");
    expect(await writeCsv(table, path)).toEqual({ rows: 3 });
    const text = readFileSync(path, "utf8");
    expect(text.split("\n")[0]).toBe("id,s,f,ok,ts,day");
    expect(text).toContain('9007199254740993,"comma, ""quote""\nnewline",0.1,true,2024-05-06T07:08:09.123Z,2024-05-06');
    expect(text).toContain('-1,"",,,,');
    expect(text).toContain("2024-05-06T07:08:09.123456Z");
    const back = await readCsv(path, { schema });
    expect(rowsOf(back.table, { int64: "bigint" })).toEqual(rowsOf(table, { int64: "bigint" }));
    expect((back.table.getChild("ts")!.data[0].values as BigInt64Array)[2]).toBe(1714979289123456n);
  });

  it("writes a stream of batches, tab-separated for .tsv", async () => {
    const path = join(dir, "stream.tsv");
    async function* gen() {
      yield tableFromRows([{ a: 1, b: "x\ty" }]).batches[0];
      yield tableFromRows([{ a: 2, b: "z" }]).batches[0];
    }
    expect(await writeCsv(gen(), path)).toEqual({ rows: 2 });
    expect(readFileSync(path, "utf8")).toBe('a\tb\n1\t"x\ty"\n2\tz\n');
    expect(rowsOf((await readCsv(path)).table)).toEqual([{ a: 1, b: "x\ty" }, { a: 2, b: "z" }]);
  });

  it("leaves no file behind when the data fails midway", async () => {
    const sub = join(dir, "atomic");
    const path = join(sub, "out.csv");
    async function* failing() {
      yield tableFromRows([{ a: 1 }]).batches[0];
      throw new Error("source broke");
    }
    await expect(writeCsv(failing(), path)).rejects.toThrow(/cannot write .*out\.csv: source broke/);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(sub)).toEqual([]);
  });

  it.skipIf(!hasPyarrow)("writes files pandas reads with the same values (python3 with pyarrow)", async () => {
    const path = join(dir, "py.csv");
    await writeCsv(table, path);
    const out = execFileSync(pythonOf(py), [
      "-c",
      `import pandas as pd, json, sys
df = pd.read_csv(sys.argv[1], keep_default_na=False, na_values=[""], dtype={"id": "int64", "s": "string"})
print(json.dumps({"id": [str(x) for x in df["id"]], "s": [None if pd.isna(x) else x for x in df["s"]], "f": [None if pd.isna(x) else x for x in df["f"]], "ts": [None if pd.isna(x) else pd.Timestamp(x).value // 1000 for x in df["ts"]]}))`,
      path,
    ]).toString();
    const r = JSON.parse(out);
    expect(r.id).toEqual(["9007199254740993", "-1", "3"]);
    expect(r.s[0]).toBe('comma, "quote"\nnewline');
    expect(r.f).toEqual([0.1, null, -1e-300]);
    expect(r.ts).toEqual([1714979289123000, null, 1714979289123456]);
  });
  if (!hasPyarrow) it.skip(`pandas cross-check skipped: ${py.missing}`, () => undefined);
});

describe("ISO 8601 timestamps", () => {
  it("parses the forms CSV files use, matching Date.parse to the millisecond", () => {
    const cases: [string, string][] = [
      ["2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z"],
      ["2024-02-29 23:59:59", "2024-02-29T23:59:59Z"],
      ["1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"],
      ["2024-01-01T05:30:00+05:30", "2024-01-01T00:00:00Z"],
      ["2024-01-01T00:00:00-0800", "2024-01-01T08:00:00Z"],
      ["2024-01-01T00:00:00+01", "2023-12-31T23:00:00Z"],
      ["1900-03-01T12:00:00Z", "1900-03-01T12:00:00Z"],
      ["2024-01-01T10:00Z", "2024-01-01T10:00:00Z"],
    ];
    for (const [text, iso] of cases) expect([text, parseIsoTimestampMs(text)]).toEqual([text, Date.parse(iso)]);
    expect(parseIsoTimestampMs("2024-01-01T00:00:00.123456Z")).toBeCloseTo(Date.parse("2024-01-01T00:00:00.123Z") + 0.456, 6);
    for (const bad of ["2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00.Z", "2024-01-01X00:00:00", "2024-01-01T00:00:00 junk", "yesterday"]) {
      expect([bad, parseIsoTimestampMs(bad)]).toEqual([bad, NaN]);
    }
  });

  it("formats every unit with sub-millisecond digits only when present", () => {
    expect(formatTimestamp(1704067200123456n, arrow.TimeUnit.MICROSECOND)).toBe("2024-01-01T00:00:00.123456Z");
    expect(formatTimestamp(1704067200123000n, arrow.TimeUnit.MICROSECOND)).toBe("2024-01-01T00:00:00.123Z");
    expect(formatTimestamp(-1n, arrow.TimeUnit.MICROSECOND)).toBe("1969-12-31T23:59:59.999999Z");
    expect(formatTimestamp(1704067200123456789n, arrow.TimeUnit.NANOSECOND)).toBe("2024-01-01T00:00:00.123456789Z");
    expect(formatTimestamp(1704067200n, arrow.TimeUnit.SECOND)).toBe("2024-01-01T00:00:00.000Z");
    expect(formatTimestamp(1704067200005n, arrow.TimeUnit.MILLISECOND)).toBe("2024-01-01T00:00:00.005Z");
  });
});
