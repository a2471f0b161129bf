import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { DataIoError } from "../../src/errors";
import { rowsOf, tableFromRows } from "../../src/frame/table";
import { jsonFormatOfPath, readJson, readJsonBatches, textChunks, writeJson } from "../../src/io/json";
import { findPython, pythonOf } from "../../../test/helpers/python";

const dir = mkdtempSync(join(tmpdir(), "trellis-json-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const py = findPython(["pyarrow", "pandas"]);
const hasPyarrow = py.missing === undefined;

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
    { id: 9007199254740993n, s: 'tab\t"q" é', f: 0.1, ok: true, ts: new Date("2024-05-06T07:08:09.123Z"), day: new Date("2024-05-06T00:00:00Z") },
    { id: -1n, s: "", f: NaN, ok: null, ts: null, day: null },
    { id: 3n, s: null, f: -Infinity, ok: false, ts: 1714979289123.456, day: new Date(0) },
  ],
  schema,
);

describe("writeJson", () => {
  it("writes JSON Lines with big Int64 as strings and timestamps as ISO 8601 UTC", async () => {
    const path = join(dir, "t.jsonl");
    expect(await writeJson(table, path)).toEqual({ rows: 3 });
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe(
      '{"id":"9007199254740993","s":"tab\\t\\"q\\" é","f":0.1,"ok":true,"ts":"2024-05-06T07:08:09.123Z","day":"2024-05-06"}',
    );
    expect(lines[1]).toBe('{"id":-1,"s":"","f":"NaN","ok":null,"ts":null,"day":null}');
    expect(JSON.parse(lines[2]).ts).toBe("2024-05-06T07:08:09.123456Z");
  });

  it("writes a JSON array for .json and round-trips every type with a schema", async () => {
    const path = join(dir, "t.json");
    await writeJson(table, path);
    const parsed = JSON.parse(readFileSync(path, "utf8"));
    expect(Array.isArray(parsed)).toBe(true);
    expect(parsed).toHaveLength(3);
    const back = await readJson(path, { schema });
    const a = rowsOf(back.table, { int64: "bigint" });
    const b = rowsOf(table, { int64: "bigint" });
    expect(a).toEqual(b);
    expect((back.table.getChild("ts")!.data[0].values as BigInt64Array)[2]).toBe(1714979289123456n);
  });

  it("writes an empty array for no rows", async () => {
    const path = join(dir, "empty.json");
    await writeJson(table.slice(0, 0), path);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual([]);
  });

  it("leaves no file behind when the data fails midway", async () => {
    const sub = join(dir, "atomic");
    async function* failing() {
      yield tableFromRows([{ a: 1 }]).batches[0];
      throw new Error("upstream failed");
    }
    await expect(writeJson(failing(), join(sub, "x.jsonl"))).rejects.toThrow(/upstream failed/);
    expect(readdirSync(sub)).toEqual([]);
  });
});

describe("readJson", () => {
  it("guesses types and reports them, for JSON Lines and arrays alike", async () => {
    const text = [
      '{"id": 1, "score": 1, "at": "2024-01-02T03:04:05Z", "day": "2024-01-02", "tags": ["a"], "name": "x", "ok": true}',
      '{"id": 2, "score": 2.5, "at": null, "day": "2024-01-03", "tags": {"k": 1}, "ok": false}',
    ];
    writeFileSync(join(dir, "g.ndjson"), text.join("\n") + "\n");
    writeFileSync(join(dir, "g.json"), "[\n" + text.join(",\n") + "\n]");
    for (const name of ["g.ndjson", "g.json"]) {
      const { table: t, inferred } = await readJson(join(dir, name));
      expect(inferred?.summary).toBe(
        "id: Int64, score: Float64, at: Timestamp<MICROSECOND, UTC>, day: Date32<DAY>, tags: Utf8, name: Utf8, ok: Bool",
      );
      expect(rowsOf(t)).toEqual([
        { id: 1, score: 1, at: new Date("2024-01-02T03:04:05Z"), day: new Date("2024-01-02T00:00:00Z"), tags: '["a"]', name: "x", ok: true },
        { id: 2, score: 2.5, at: null, day: new Date("2024-01-03T00:00:00Z"), tags: '{"k":1}', name: null, ok: false },
      ]);
    }
  });

  it("guesses the same types whatever the key order, with keys appearing late, only-null keys and strings after strings", async () => {
    const path = join(dir, "order.jsonl");
    const lines = [
      '{"a":1,"b":"x","c":null}',
      '{"b":"2024-01-02","a":2,"c":null}',
      '{"c":null,"d":"2024-01-02T00:00:00Z","a":3,"b":"123"}',
      '{"a":4,"d":"2024-01-03","b":"y"}',
      '{"e":"z","a":5.5}',
    ];
    writeFileSync(path, lines.join("\n") + "\n");
    const { table: t, inferred } = await readJson(path);
    expect(inferred?.summary).toBe("a: Float64, b: Utf8, c: Utf8, d: Timestamp<MICROSECOND, UTC>, e: Utf8");
    expect(rowsOf(t).map((r) => (r as { b: string | null }).b)).toEqual(["x", "2024-01-02", "123", "y", null]);
    const mixed = join(dir, "order-mixed.jsonl");
    writeFileSync(mixed, '{"a":"x","b":1}\n{"b":2,"a":"y"}\n{"a":7}\n');
    await expect(readJson(mixed)).rejects.toThrow(/key "a" holds values of mixed JSON types \(number, string\)/);
  });

  it("fills columns from an early guess and reads again when later rows change it", async () => {
    // 10,000 rows: the columns start filling after the first few thousand; each file changes the guess later.
    const rowsOf10k = (late: (i: number) => string) => Array.from({ length: 10_000 }, (_, i) => `{"id":${i},"v":${i % 100},"s":"s${i % 7}"${late(i)}}`).join("\n") + "\n";
    const cases: [string, string, string, (t: arrow.Table) => void][] = [
      ["same", rowsOf10k(() => ""), "id: Int64, v: Int64, s: Utf8", (t) => expect(t.getChild("v")!.get(9_999)).toBe(99n)],
      ["widened", rowsOf10k((i) => (i === 9_000 ? ',"w":0.5' : i > 9_000 ? `,"w":${i}` : "")).replace('{"id":9950,"v":50,', '{"id":9950,"v":50.25,'), "id: Int64, v: Float64, s: Utf8, w: Float64", (t) => {
        expect(t.getChild("v")!.get(9_950)).toBe(50.25);
        expect(t.getChild("v")!.get(10)).toBe(10);
        expect(t.getChild("w")!.get(8_999)).toBeNull();
        expect(t.getChild("w")!.get(9_001)).toBe(9_001);
      }],
      ["late key", rowsOf10k((i) => (i === 7_777 ? ',"k":"2024-01-02"' : "")), "id: Int64, v: Int64, s: Utf8, k: Date32<DAY>", (t) => {
        expect(t.getChild("k")!.get(7_777)).toBe(Date.UTC(2024, 0, 2));
        expect(t.getChild("k")!.nullCount).toBe(9_999);
      }],
    ];
    for (const [name, text, summary, check] of cases) {
      const path = join(dir, `early-${name.replace(" ", "-")}.jsonl`);
      writeFileSync(path, text);
      const { table: t, inferred } = await readJson(path);
      expect(inferred?.summary).toBe(summary);
      expect(inferred?.rowsSampled).toBe(10_000);
      expect(t.numRows).toBe(10_000);
      expect(t.getChild("id")!.get(9_999)).toBe(9_999n);
      check(t);
    }
    const mixed = join(dir, "early-mixed.jsonl");
    writeFileSync(mixed, rowsOf10k((i) => (i === 8_000 ? ',"x":1' : i === 9_000 ? ',"x":"one"' : "")));
    await expect(readJson(mixed)).rejects.toThrow(/key "x" holds values of mixed JSON types \(number, string\)/);
    // A guess from the first 6,000 rows: a key first seen at row 5,000 is fine, one at row 8,000 is an error.
    const limited = join(dir, "early-limited.jsonl");
    writeFileSync(limited, rowsOf10k((i) => (i === 5_000 ? ',"a":1' : i === 8_000 ? ',"b":1' : "")));
    await expect(readJson(limited, { inferRows: 6_000 })).rejects.toThrow(/early-limited\.jsonl line 8001: key "b" was not in the rows used to guess the types/);
    const fine = join(dir, "early-limited-ok.jsonl");
    writeFileSync(fine, rowsOf10k((i) => (i === 5_000 ? ',"a":1.5' : i === 8_000 ? ',"a":2' : "")));
    const got = await readJson(fine, { inferRows: 6_000 });
    expect(got.inferred?.summary).toBe("id: Int64, v: Int64, s: Utf8, a: Float64");
    expect(got.table.getChild("a")!.get(8_000)).toBe(2);
  });

  it("types by a zod schema, dropping unknown keys and treating missing keys as null", async () => {
    const path = join(dir, "z.jsonl");
    writeFileSync(path, '{"id":"12345678901234567","v":1,"zzz":1}\n{"id":5}\n');
    const { table: t, inferred } = await readJson(path, { schema: z.object({ id: z.int64(), v: z.int32().nullable() }) });
    expect(inferred).toBeNull();
    expect(rowsOf(t, { int64: "bigint" })).toEqual([
      { id: 12345678901234567n, v: 1 },
      { id: 5n, v: null },
    ]);
  });

  it("names the line and key of a bad value, of mixed types and of invalid JSON", async () => {
    const p1 = join(dir, "bad1.jsonl");
    writeFileSync(p1, '{"v":1}\n{"v":"x"}\n');
    await expect(readJson(p1, { schema: z.object({ v: z.number() }) })).rejects.toThrow(/bad1\.jsonl line 2: key "v" holds "x", which is not a valid Float64/);
    await expect(readJson(p1)).rejects.toThrow(/key "v" holds values of mixed JSON types \(number, string\)/);
    await expect(readJson(p1, { schema: z.object({ v: z.number() }) })).rejects.toMatchObject({ code: "DATA_IO", path: p1, row: 2 });
    const p2 = join(dir, "bad2.jsonl");
    writeFileSync(p2, '{"v":1}\n\n{"v":2,}\n');
    await expect(readJson(p2)).rejects.toThrow(/bad2\.jsonl line 3: invalid JSON/);
    const p3 = join(dir, "bad3.json");
    writeFileSync(p3, '[{"v":1},');
    await expect(readJson(p3)).rejects.toThrow(DataIoError);
    await expect(readJson(p3)).rejects.toThrow(/not closed/);
  });

  it("selects columns and filters rows", async () => {
    const path = join(dir, "sel.jsonl");
    writeFileSync(path, '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n{"a":3,"b":"x"}\n');
    const { table: t } = await readJson(path, { columns: ["a"], filter: [["b", "=", "x"]] });
    expect(rowsOf(t)).toEqual([{ a: 1 }, { a: 3 }]);
  });
});

describe("readJsonBatches", () => {
  it("streams batches of batchSize rows across chunk boundaries", async () => {
    const path = join(dir, "big.json");
    const rows = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ i, s: `{"nested": "braces } ] ${i}"}`, x: i / 3 }));
    writeFileSync(path, "[" + rows.join(",\n") + "]");
    const sizes: number[] = [];
    let last: unknown;
    for await (const b of readJsonBatches(path, { batchSize: 6000 })) {
      sizes.push(b.numRows);
      last = rowsOf(new arrow.Table([b])).pop();
    }
    expect(sizes).toEqual([6000, 6000, 6000, 2000]);
    expect(last).toEqual({ i: 19_999, s: '{"nested": "braces } ] 19999"}', x: 19_999 / 3 });
  });

  it("reads JSON Lines in blocks and falls back object by object for blank lines, CRLF and objects over several lines", async () => {
    const path = join(dir, "mixed-lines.jsonl");
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) lines.push(JSON.stringify({ id: i, s: `row ${i} "é"`, f: i / 8 }));
    lines.splice(20_000, 0, "", `{"id": 20000.5,\n "s": "two\\nlines",\n "f": null}`);
    writeFileSync(path, lines.join("\r\n") + "\r\n");
    const { table, inferred } = await readJson(path);
    expect(inferred?.summary).toBe("id: Float64, s: Utf8, f: Float64");
    expect(inferred?.rowsSampled).toBe(40_001);
    const rows = rowsOf<{ id: number; s: string; f: number | null }>(table);
    expect(rows.length).toBe(40_001);
    expect(rows[20_000]).toEqual({ id: 20000.5, s: "two\nlines", f: null });
    expect(rows[39_999]).toEqual({ id: 39_998, s: 'row 39998 "é"', f: 39_998 / 8 });
    const streamed: unknown[] = [];
    for await (const b of readJsonBatches(path, { inferRows: 30_000 })) streamed.push(...rowsOf(new arrow.Table([b])));
    expect(streamed).toEqual(rows);
    // An invalid line late in the file is named by its own line number.
    writeFileSync(path, lines.join("\n") + "\n{oops}\n");
    await expect(readJson(path)).rejects.toThrow(new RegExp(`mixed-lines\\.jsonl line ${lines.join("\n").split("\n").length + 1}: invalid JSON`));
  });

  it("names the line of a key unseen while guessing", async () => {
    const path = join(dir, "late.jsonl");
    writeFileSync(path, '{"a":1}\n{"a":2}\n{"a":3,"b":1}\n');
    const run = async () => {
      for await (const _ of readJsonBatches(path, { inferRows: 2 })) void _;
    };
    await expect(run()).rejects.toThrow(/late\.jsonl line 3: key "b" was not in the rows used to guess the types/);
  });
});

describe("textChunks", () => {
  async function* chunksOf(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
    let at = 0;
    for (const c of [...cuts, bytes.length]) {
      yield bytes.subarray(at, c);
      at = c;
    }
  }
  it("decodes ASCII chunks directly and completes a character split across chunks, whatever follows", async () => {
    const text = "ab€c\u{1F600}de" + "x".repeat(10) + "é";
    const bytes = Buffer.from(text, "utf8");
    // Every cut of the text into three chunks, including cuts inside the 3- and 4-byte characters.
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j += 3) {
        let got = "";
        for await (const s of textChunks(chunksOf(bytes, [i, j]))) got += s;
        expect(got).toBe(text);
      }
    }
  });

  it("reads a multi-megabyte JSON Lines file whose non-ASCII characters straddle the 1 MiB read chunks", async () => {
    const path = join(dir, "wide.jsonl");
    const rows: string[] = [];
    let size = 0;
    for (let i = 0; size < 3.2e6; i++) {
      const s = i % 7 === 0 ? `é€\u{1F600}${i}` : `plain-${i}`;
      const line = JSON.stringify({ i, s });
      rows.push(line);
      size += Buffer.byteLength(line) + 1;
    }
    writeFileSync(path, rows.join("\n") + "\n");
    const { table } = await readJson(path);
    const got = rowsOf<{ i: number; s: string }>(table);
    expect(got.length).toBe(rows.length);
    expect(got.every((r, k) => JSON.stringify({ i: r.i, s: r.s }) === rows[k])).toBe(true);
  });
});

describe("jsonFormatOfPath", () => {
  it("maps extensions to formats", () => {
    expect([jsonFormatOfPath("a.jsonl"), jsonFormatOfPath("a.NDJSON"), jsonFormatOfPath("a.json"), jsonFormatOfPath("a.txt")]).toEqual([
      "jsonl",
      "jsonl",
      "array",
      undefined,
    ]);
  });
});

describe("JSON interop", () => {
  it.skipIf(!hasPyarrow)("pyarrow reads Trellis JSON Lines with the same values (python3 with pyarrow)", async () => {
    const path = join(dir, "py.jsonl");
    await writeJson(tableFromRows([{ a: 1n, b: "é", c: 2.5, t: new Date("2024-01-01T00:00:00.5Z") }]), path);
    const out = execFileSync(pythonOf(py), [
      "-c",
      `import pyarrow.json as pj, pandas as pd, sys, json
t = pj.read_json(sys.argv[1]).to_pylist()[0]
print(json.dumps({"a": t["a"], "b": t["b"], "c": t["c"], "t": pd.Timestamp(t["t"]).value // 1000}))`,
      path,
    ]).toString();
    expect(JSON.parse(out)).toEqual({ a: 1, b: "é", c: 2.5, t: 1704067200500000 });
  });
  if (!hasPyarrow) it.skip(`pyarrow cross-check skipped: ${py.missing}`, () => undefined);
  it("keeps the file absent when a write target folder is a file", async () => {
    const blocker = join(dir, "blocker");
    writeFileSync(blocker, "x");
    await expect(writeJson(table, join(blocker, "x.json"))).rejects.toThrow(/cannot write/);
    expect(existsSync(join(blocker, "x.json"))).toBe(false);
  });
});
