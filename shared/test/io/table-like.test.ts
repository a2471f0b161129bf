import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, type Warehouse, readArrow, readCsv, readJson, readParquet, writeArrow, writeCsv, writeJson, writeParquet } from "@trellis/shared";
import { uniqueName, useWarehouses } from "../helpers/warehouses";

const dir = mkdtempSync(join(tmpdir(), "trellis-table-like-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const csvPath = join(dir, "in.csv");
const jsonPath = join(dir, "in.jsonl");
writeFileSync(csvPath, "id,name,score\n1,ada,0.5\n2,,1.25\n");
writeFileSync(jsonPath, '{"id":1,"name":"ada"}\n{"id":2,"name":null}\n');
const targets = useWarehouses();

describe.each(targets)("the { table, inferred } result of readCsv/readJson where a table is expected, on $name", (target) => {
  let wh: Warehouse;
  beforeAll(async () => {
    wh = await target.open();
  });

  it("loads readCsv's and readJson's results directly", async () => {
    const csvTable = uniqueName("from_csv");
    const jsonTable = uniqueName("from_json");
    expect(await wh.load(await readCsv(csvPath), csvTable)).toEqual({ rows: 2 });
    expect(await wh.load(await readJson(jsonPath), jsonTable)).toEqual({ rows: 2 });
    const back = await wh.query(`SELECT id, name, score FROM ${csvTable} ORDER BY id`);
    expect(back.toArray().map((r) => r.toJSON())).toEqual([
      { id: 1n, name: "ada", score: 0.5 },
      { id: 2n, name: null, score: 1.25 },
    ]);
    expect((await wh.query(`SELECT count(*)::int AS n FROM ${jsonTable}`)).get(0)!.n).toBe(2);
  });

  it("says what to pass when data is neither a table nor a stream", async () => {
    const err = await wh.load({ rows: [] } as never, uniqueName("bad")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(
      /^load into bad_[0-9a-f]+: data must be an arrow\.Table, the \{ table \} result of readCsv\/readJson, or an AsyncIterable of arrow\.RecordBatch; got an object with keys rows\.$/,
    );
  });
});

describe("writers take the { table, inferred } result too", () => {
  it("writes readCsv's result as Parquet, CSV, JSON and Arrow IPC", async () => {
    const read = await readCsv(csvPath);
    await writeParquet(read, join(dir, "out.parquet"));
    await writeCsv(read, join(dir, "out.csv"));
    await writeJson(read, join(dir, "out.jsonl"));
    await writeArrow(read, join(dir, "out.arrow"));
    const expected = read.table.toArray().map((r) => r.toJSON());
    expect((await readParquet(join(dir, "out.parquet"))).toArray().map((r) => r.toJSON())).toEqual(expected);
    expect((await readCsv(join(dir, "out.csv"))).table.toArray().map((r) => r.toJSON())).toEqual(expected);
    expect((await readJson(join(dir, "out.jsonl"))).table.toArray().map((r) => r.toJSON())).toEqual(expected);
    expect((await readArrow(join(dir, "out.arrow"))).toArray().map((r) => r.toJSON())).toEqual(expected);
  });
});
