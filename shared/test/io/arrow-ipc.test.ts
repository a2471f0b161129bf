import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataIoError, InvalidArgumentError } from "../../src/errors";
import { rowsOf, tableFromRows } from "../../src/frame/table";
import { arrowFormatOfPath, readArrow, readArrowBatches, writeArrow } from "../../src/io/arrow-ipc";
import { findPython, pythonOf } from "../../../test/helpers/python";

const dir = mkdtempSync(join(tmpdir(), "trellis-ipc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const py = findPython(["pyarrow"]);
const hasPyarrow = py.missing === undefined;

const table = tableFromRows([
  { id: 1n, name: "ada", score: 0.5, at: new Date("2024-01-01T00:00:00Z") },
  { id: 2n, name: null, score: 1.5, at: null },
  { id: 2n ** 60n, name: "grace", score: -3, at: new Date("2024-06-01T12:00:00Z") },
]);

describe("writeArrow / readArrow", () => {
  it("round-trips the file format and writes the ARROW1 magic", async () => {
    const path = join(dir, "t.arrow");
    expect(await writeArrow(table, path)).toEqual({ rows: 3 });
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 6).toString()).toBe("ARROW1");
    const back = await readArrow(path);
    expect(back.schema.fields.map(String)).toEqual(table.schema.fields.map(String));
    expect(rowsOf(back, { int64: "bigint" })).toEqual(rowsOf(table, { int64: "bigint" }));
  });

  it("round-trips the stream format for .arrows, batch by batch", async () => {
    const path = join(dir, "t.arrows");
    async function* gen() {
      yield table.slice(0, 2).batches[0];
      yield table.slice(2).batches[0];
    }
    expect(await writeArrow(gen(), path)).toEqual({ rows: 3 });
    expect(readFileSync(path).subarray(0, 6).toString()).not.toBe("ARROW1");
    const sizes: number[] = [];
    for await (const b of readArrowBatches(path)) sizes.push(b.numRows);
    expect(sizes).toEqual([2, 1]);
    expect(rowsOf(await readArrow(path), { int64: "bigint" })).toEqual(rowsOf(table, { int64: "bigint" }));
  });

  it("selects columns and filters rows while reading", async () => {
    const path = join(dir, "sel.arrow");
    await writeArrow(table, path);
    const t = await readArrow(path, { columns: ["name", "id"], filter: [["score", ">", 0]] });
    expect(rowsOf(t)).toEqual([
      { name: "ada", id: 1 },
      { name: null, id: 2 },
    ]);
    await expect(readArrow(path, { columns: ["nope"] })).rejects.toThrow(/unknown column\(s\) "nope".*available columns: id, name, score, at/);
  });

  it("keeps the schema of an empty result", async () => {
    const path = join(dir, "empty.arrow");
    await writeArrow(table, path);
    const t = await readArrow(path, { filter: [["score", ">", 100]] });
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => f.name)).toEqual(["id", "name", "score", "at"]);
  });

  it("names a missing, a non-Arrow and a truncated file", async () => {
    await expect(readArrow(join(dir, "missing.arrow"))).rejects.toThrow(/cannot read .*missing\.arrow: no such file/);
    const junk = join(dir, "junk.arrow");
    writeFileSync(junk, "id,name\n1,x\n");
    await expect(readArrow(junk)).rejects.toThrow(DataIoError);
    const good = readFileSync(join(dir, "t.arrows"));
    const cut = join(dir, "cut.arrows");
    writeFileSync(cut, good.subarray(0, Math.floor(good.length * 0.6)));
    await expect(readArrow(cut)).rejects.toThrow(DataIoError);
  });

  it("leaves nothing behind when the data fails midway", async () => {
    const sub = join(dir, "atomic");
    async function* failing() {
      yield table.batches[0];
      throw new Error("no more");
    }
    await expect(writeArrow(failing(), join(sub, "x.arrow"))).rejects.toThrow(/no more/);
    expect(readdirSync(sub)).toEqual([]);
    await expect(writeArrow(table, join(sub, "y.arrow"), { format: "csv" as never })).rejects.toThrow(InvalidArgumentError);
  });

  it("maps extensions to formats", () => {
    expect([arrowFormatOfPath("a.arrow"), arrowFormatOfPath("a.feather"), arrowFormatOfPath("a.arrows")]).toEqual(["file", "file", "stream"]);
  });

  it.skipIf(!hasPyarrow)("writes files pyarrow reads identically (python3 with pyarrow)", async () => {
    const path = join(dir, "py.arrow");
    await writeArrow(table, path);
    const out = execFileSync(pythonOf(py), [
      "-c",
      `import pyarrow as pa, sys, json
t = pa.ipc.open_file(sys.argv[1]).read_all()
print(json.dumps({"id": [str(x) for x in t.column("id").to_pylist()], "name": t.column("name").to_pylist(), "at": [None if x is None else x.isoformat() for x in t.column("at").to_pylist()], "type": str(t.schema.field("at").type)}))`,
      path,
    ]).toString();
    expect(JSON.parse(out)).toEqual({
      id: ["1", "2", "1152921504606846976"],
      name: ["ada", null, "grace"],
      at: ["2024-01-01T00:00:00+00:00", null, "2024-06-01T12:00:00+00:00"],
      type: "timestamp[us, tz=UTC]",
    });
  });
  if (!hasPyarrow) it.skip(`pyarrow cross-check skipped: ${py.missing}`, () => undefined);

  it.skipIf(!hasPyarrow)("reads files pyarrow writes (python3 with pyarrow)", async () => {
    const path = join(dir, "from-py.arrows");
    execFileSync(pythonOf(py), [
      "-c",
      `import pyarrow as pa, sys
t = pa.table({"k": pa.array([1, None, 3], pa.int32()), "s": ["x", "y", None]})
with pa.ipc.new_stream(sys.argv[1], t.schema) as w:
    w.write_table(t)`,
      path,
    ]);
    const t = await readArrow(path);
    expect(t.schema.fields.map(String)).toEqual(["k: Int32", "s: Utf8"]);
    expect(rowsOf(t)).toEqual([{ k: 1, s: "x" }, { k: null, s: "y" }, { k: 3, s: null }]);
  });
});
