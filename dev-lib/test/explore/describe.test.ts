import { describe as suite, expect, it } from "vitest";
import { tableFromRows } from "@trellis/shared";
import { describe } from "../../src/explore/describe";
import { expectRel, golden, readFixture, tiesTable } from "./helpers";

const train = readFixture("mixed_train.csv");
const STATS = ["mean", "std", "min", "25%", "50%", "75%", "max"];

suite("describe", () => {
  it("gives pandas' describe() for every column of the customer fixture (1e-9 relative)", () => {
    const report = describe(train);
    const rows = report.rows();
    expect(rows.map((r) => r.column)).toEqual(train.schema.fields.map((f) => f.name));
    for (const row of rows) {
      const ref = golden.describe.train[row.column as string];
      expect(row.count, String(row.column)).toBe(ref.count);
      expect(row.nulls, String(row.column)).toBe(ref.nulls);
      if ("mean" in ref) {
        for (const s of STATS) expectRel(row[s], ref[s], `${String(row.column)}.${s}`);
        expect(row.top).toBeNull();
      } else {
        expect([row.unique, row.top, row.freq]).toEqual([ref.unique, ref.top, ref.freq]);
        expect(row.mean).toBeNull();
      }
    }
  });

  it("takes pandas' percentiles option, adding the median and sorting", () => {
    const report = describe(train, { columns: ["tenure_months", "monthly_spend", "support_calls"], percentiles: [0.99, 0.1, 0.9] });
    const names = report.table.schema.fields.map((f) => f.name);
    expect(names).toEqual(["column", "type", "count", "nulls", "mean", "std", "min", "10%", "50%", "90%", "99%", "max"]);
    for (const row of report.rows()) {
      const ref = golden.describe.train_percentiles[row.column as string];
      for (const s of ["10%", "50%", "90%", "99%"]) expectRel(row[s], ref[s], `${String(row.column)}.${s}`);
    }
  });

  it("breaks ties for top as pandas does (the value seen first)", () => {
    const rows = describe(tiesTable()).rows();
    const ref = golden.describe.ties;
    expect(rows[0]).toMatchObject({ column: "word", count: ref.word.count, unique: ref.word.unique, top: ref.word.top, freq: ref.word.freq });
    expect(rows[0]!.top).toBe("b");
    for (const s of STATS) expectRel(rows[1]![s], ref.x[s], `x.${s}`);
  });

  it("counts NaN as missing, describes booleans as categories and accepts a FeatureFrame-like object", () => {
    const t = tableFromRows([
      { v: 1, flag: true },
      { v: NaN, flag: false },
      { v: 3, flag: true },
      { v: null, flag: null },
    ]);
    const rows = describe({ table: t }).rows();
    expect(rows[0]).toMatchObject({ column: "v", count: 2, nulls: 2, mean: 2, min: 1, max: 3, "50%": 2 });
    expectRel(rows[0]!.std, Math.SQRT2);
    expect(rows[1]).toMatchObject({ column: "flag", count: 3, nulls: 1, unique: 2, top: "true", freq: 2 });
  });

  it("leaves statistics empty for a column with fewer than two values", () => {
    const rows = describe([{ v: 5 }, { v: null }]).rows();
    expect(rows[0]).toMatchObject({ count: 1, nulls: 1, mean: 5, std: null, min: 5, max: 5 });
    const empty = describe([]).rows();
    expect(empty).toEqual([]);
  });

  it("prints an aligned text table and self-contained HTML", () => {
    const report = describe(train, { columns: ["tenure_months", "plan"] });
    expect(report.toString()).toBe(
      [
        "describe (600 rows)",
        "column         type     count  nulls     mean      std  min  25%   50%  75%  max  unique  top    freq",
        "-------------  -------  -----  -----  -------  -------  ---  ---  ----  ---  ---  ------  -----  ----",
        "tenure_months  Float64    600      0  61.4367  34.7299    0   30  63.5   92  119",
        "plan           Utf8       600      0                                                   3  basic   293",
      ].join("\n"),
    );
    const html = report.toHTML();
    expect(html.startsWith('<table style="')).toBe(true);
    expect(html).toContain(">describe (600 rows)</caption>");
    expect(html).toContain(">basic</td>");
  });

  it("refuses unknown columns, columns it cannot describe and percentiles outside [0, 1]", () => {
    expect(() => describe(train, { columns: ["age"] })).toThrow(
      'describe: column "age" is not in the table (columns: tenure_months, monthly_spend, support_calls, discount_rate, plan, region, channel, churned).',
    );
    const dated = tableFromRows([{ at: new Date(0) }]);
    expect(() => describe(dated, { columns: ["at"] })).toThrow('describe: column "at" has type Timestamp');
    expect(() => describe(train, { percentiles: [25] })).toThrow("describe: percentiles must lie in [0, 1], got 25; pass e.g. [0.1, 0.9].");
    expect(() => describe(42 as never)).toThrow("describe: expected an Arrow table, an array of row objects or an object with a table (such as a FeatureFrame), got number 42.");
  });
});
