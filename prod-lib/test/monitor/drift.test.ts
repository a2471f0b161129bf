import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { tableFromRows, writeCsv, writeParquet } from "@trellis/shared";
import { DriftReport, MAX_TRACKED_UNSEEN, driftReport, type CategoricalColumnDrift, type NumericColumnDrift } from "../../src/monitor/drift";
import { buildReferenceProfile } from "../../src/monitor/profile";
import { PSI_FLOOR, psi, psiTerm } from "../../src/monitor/psi";

// Reference samples and their PSI computed independently with numpy by
// prod-lib/test/fixtures/make_drift.py (edges by np.quantile, bins by np.searchsorted(side="right")).
interface NumpyCase {
  kind: "numeric" | "categorical";
  reference: (number | string | null)[];
  current: (number | string | null)[];
  edges?: number[];
  categories?: string[];
  reference_shares: number[];
  current_counts: number[];
  current_shares: number[];
  terms: number[];
  psi: number;
  reference_null_rate: number;
  current_null_rate: number;
  out_of_range_share?: number | null;
  current_mean?: number;
  unseen?: [string, number][];
}
const numpy = JSON.parse(readFileSync(new URL("../fixtures/drift.json", import.meta.url), "utf8")) as { floor: number; cases: Record<string, NumpyCase> };

const work = mkdtempSync(join(tmpdir(), "trellis-drift-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const column = (values: readonly (number | string | null)[], name = "x") => values.map((v) => ({ [name]: v }));

describe("psi", () => {
  it("sums (cur − ref)·ln(cur/ref) over the bins", () => {
    // (0.4 − 0.5)·ln(0.8) + (0.6 − 0.5)·ln(1.2) = 0.0223144 + 0.0182322
    expect(psi([0.5, 0.5], [0.4, 0.6])).toBeCloseTo(0.1 * Math.log(1.25) + 0.1 * Math.log(1.2), 15);
    expect(psi([0.5, 0.5], [0.4, 0.6])).toBeCloseTo(0.0405465108, 10);
  });

  it("floors empty bins at 1e-4 on both sides and gives 0 for equal shares", () => {
    expect(PSI_FLOOR).toBe(1e-4);
    expect(psiTerm(0.1, 0)).toBeCloseTo((1e-4 - 0.1) * Math.log(1e-4 / 0.1), 15);
    expect(psiTerm(0, 0.1)).toBeCloseTo(psiTerm(0.1, 0), 15);
    expect(psiTerm(0, 0)).toBe(0);
    expect(psiTerm(0.00005, 0.00002)).toBe(0); // both below the floor
    expect(psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0);
  });

  it("refuses share vectors of different lengths", () => {
    expect(() => psi([1], [0.5, 0.5])).toThrow("psi needs share vectors of the same length, got 1 reference and 2 current bins.");
  });
});

describe("driftReport: a case worked by hand", () => {
  // Reference 1…10: np.quantile gives edges 1.9, 2.8, …, 9.1, so each value has a bin of its own
  // (share 0.1 each) and the null bin is empty (share 0 → floored to 1e-4).
  // Current [1,1,1,1,1,2,3,4,5,null] of 10 rows: bin 0 holds 5 (0.5), bins 1–4 one each (0.1),
  // bins 5–9 none (0 → 1e-4), null bin 1 (0.1).
  //   bin 0:     (0.5 − 0.1)·ln(0.5/0.1)        = 0.4 · 1.6094379  = 0.6437752
  //   bins 1–4:  (0.1 − 0.1)·ln(1)               = 0
  //   bins 5–9:  (1e-4 − 0.1)·ln(1e-4/0.1) each  = 0.0999 · 6.9077553 = 0.6900848, × 5 = 3.4504238
  //   null:      (0.1 − 1e-4)·ln(0.1/1e-4)       = 0.6900848
  //   PSI = 0.6437752 + 3.4504238 + 0.6900848 = 4.7842838
  const reference = column([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const current = column([1, 1, 1, 1, 1, 2, 3, 4, 5, null]);

  it("gives the shares, floors and PSI worked out above", async () => {
    const report = await driftReport({ reference, current, minRows: 0 });
    const x = report.column("x") as NumericColumnDrift;
    expect(x.bins.map((b) => b.reference)).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0]);
    expect(x.bins.map((b) => b.current)).toEqual([0.5, 0.1, 0.1, 0.1, 0.1, 0, 0, 0, 0, 0, 0.1]);
    expect(x.bins[0]!.psi).toBeCloseTo(0.4 * Math.log(5), 12);
    expect(x.bins[5]!.psi).toBeCloseTo(0.0999 * Math.log(1000), 12);
    expect(x.psi).toBeCloseTo(0.4 * Math.log(5) + 6 * 0.0999 * Math.log(1000), 12);
    expect(x.psi).toBeCloseTo(4.7842838, 6);
    expect(x.status).toBe("drift");
    expect(x.bins.map((b) => b.label)).toEqual([
      "< 1.9", "[1.9, 2.8)", "[2.8, 3.7)", "[3.7, 4.6)", "[4.6, 5.5)", "[5.5, 6.4)", "[6.4, 7.3)", "[7.3, 8.2)", "[8.2, 9.1)", "≥ 9.1", "(null)",
    ]);
    expect(x).toMatchObject({ referenceNullRate: 0, currentNullRate: 0.1, outOfRangeShare: 0, currentMin: 1, currentMax: 5, currentMean: 19 / 9 });
  });
});

describe("driftReport against numpy", () => {
  it.each(Object.entries(numpy.cases))("matches the bins, shares and PSI of make_drift.py on %s", async (_name, c) => {
    const report = await driftReport({ reference: column(c.reference), current: column(c.current) });
    const x = report.column("x");
    expect(x.kind).toBe(c.kind);
    expect(x.bins.map((b) => b.reference)).toEqual(c.reference_shares);
    expect(x.bins.map((b) => b.currentCount)).toEqual(c.current_counts);
    expect(x.bins.map((b) => b.current)).toEqual(c.current_shares);
    x.bins.forEach((b, i) => expect(b.psi).toBeCloseTo(c.terms[i]!, 13));
    // Summation order may differ from numpy's pairwise sum: a relative 1e-12.
    expect(Math.abs(x.psi! - c.psi)).toBeLessThan(1e-12 * Math.max(1, c.psi));
    expect(x.referenceNullRate).toBe(c.reference_null_rate);
    expect(x.currentNullRate).toBe(c.current_null_rate);
    if (x.kind === "numeric") {
      expect(x.outOfRangeShare).toBe(c.out_of_range_share);
      expect(x.currentMean).toBeCloseTo(c.current_mean!, 10);
    } else {
      expect(x.bins.map((b) => b.label)).toEqual([...c.categories!, "(other)", "(null)"]);
      expect(x.unseen.map((u) => [u.value, u.count])).toEqual(c.unseen);
      expect(x.unseenCount).toBe(c.unseen!.reduce((s, [, n]) => s + n, 0));
    }
  });

  it("flags a shifted mean (+0.6 sd) as drift", async () => {
    const c = numpy.cases.normal_shifted!;
    const report = await driftReport({ reference: column(c.reference), current: column(c.current) });
    expect(report.column("x").status).toBe("drift");
    expect(report.summary).toMatchObject({ status: "drift", columnsChecked: 1, columnsDrifting: 1, driftShare: 1 });
    expect(report.drifting).toBe(true);
  });

  it("flags rising nulls, with the null bin carrying most of the PSI", async () => {
    const c = numpy.cases.nulls_rising!;
    const x = (await driftReport({ reference: column(c.reference), current: column(c.current) })).column("x");
    expect(x.status).toBe("drift");
    expect(x.currentNullRate).toBeGreaterThan(0.2);
    const nullTerm = x.bins.at(-1)!.psi;
    expect(nullTerm / x.psi!).toBeGreaterThan(0.5);
  });

  it("flags new categories, listing them with their counts", async () => {
    const c = numpy.cases.plans_new_categories!;
    const x = (await driftReport({ reference: column(c.reference), current: column(c.current) })).column("x") as CategoricalColumnDrift;
    expect(x.status).toBe("drift");
    expect(x.unseen).toEqual([{ value: "enterprise", count: 94 }, { value: "trial", count: 65 }]);
    expect(x.unseenShare).toBeCloseTo(159 / 800, 15);
    expect(x.referenceOtherShare).toBe(0);
  });

  it("says ok for two samples of the same law", async () => {
    for (const name of ["normal_same_law", "regions_same_law"]) {
      const c = numpy.cases[name]!;
      const report = await driftReport({ reference: column(c.reference), current: column(c.current) });
      expect(report.column("x").status).toBe("ok");
      expect(report.summary.status).toBe("ok");
    }
  });
});

function mixedRows(n: number, seed: number): Record<string, unknown>[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const plans = ["basic", "plus", "pro"];
  return Array.from({ length: n }, (_, i) => ({
    age: rand() < 0.05 ? null : Math.round(18 + rand() * 60),
    income: rand() * 1000 - 100,
    plan: rand() < 0.03 ? null : plans[Math.floor(rand() * plans.length)]!,
    active: i % 3 === 0,
  }));
}

describe("driftReport", () => {
  const rows = mixedRows(2000, 1);
  const reference = buildReferenceProfile(rows);

  it("gives PSI 0 and ok for every column when current is the reference data", async () => {
    const report = await driftReport({ reference, current: tableFromRows(rows) });
    expect(report.columns.map((c) => [c.column, c.psi, c.status])).toEqual([
      ["age", 0, "ok"],
      ["income", 0, "ok"],
      ["plan", 0, "ok"],
      ["active", 0, "ok"],
    ]);
    expect(report.summary).toMatchObject({ referenceRows: 2000, currentRows: 2000, columnsChecked: 4, columnsDrifting: 0, driftShare: 0, status: "ok" });
  });

  it("profiles a reference given as data on the fly", async () => {
    const a = await driftReport({ reference: rows, current: rows.slice(0, 500) });
    const b = await driftReport({ reference, current: rows.slice(0, 500) });
    expect(a.columns).toEqual(b.columns);
  });

  it("says insufficient data below minRows instead of raising an alarm", async () => {
    const few = mixedRows(60, 9).map((r) => ({ ...r, income: 5000 }));
    const report = await driftReport({ reference, current: few });
    expect(report.column("income").psi).toBeGreaterThan(1);
    expect(report.columns.map((c) => c.status)).toEqual(["insufficient data", "insufficient data", "insufficient data", "insufficient data"]);
    expect(report.column("income").note).toBe("current has 60 rows, fewer than minRows (100)");
    expect(report.summary).toMatchObject({ status: "insufficient data", columnsChecked: 0, columnsInsufficient: 4, driftShare: 0 });
    expect((await driftReport({ reference, current: few, minRows: 50 })).column("income").status).toBe("drift");
  });

  it("says insufficient data, not missing, for an empty current source", async () => {
    const report = await driftReport({ reference, current: [] });
    expect(report.columns.map((c) => [c.status, c.psi, c.currentNullRate])).toEqual(Array.from({ length: 4 }, () => ["insufficient data", null, null]));
    expect(report.column("age").note).toBe("current has 0 rows, fewer than minRows (100)");
    expect(report.summary).toMatchObject({ currentRows: 0, status: "insufficient data" });
    expect((await driftReport({ reference, current: [], minRows: 0 })).column("plan").note).toBe("current has no rows");
  });

  it("reports a column missing from current as missing, and a column of another kind as a type mismatch", async () => {
    const current = rows.slice(0, 300).map(({ age, active }) => ({ age: String(age), active }));
    const report = await driftReport({ reference, current });
    expect(report.columns.map((c) => [c.column, c.status, c.psi])).toEqual([
      ["age", "type mismatch", null],
      ["income", "missing", null],
      ["plan", "missing", null],
      ["active", "ok", 0.0002],
    ].map(([c, s, p]) => (c === "active" ? [c, s, expect.any(Number)] : [c, s, p])));
    expect(report.column("income").note).toBe('the current data (300 row objects) has no column "income"');
    expect(report.column("age").note).toBe("the reference holds numbers (Float64) but the current data holds Utf8");
    expect(report.summary).toMatchObject({ columnsChecked: 1, columnsMissing: 2, columnsMistyped: 1 });
  });

  it("bins values outside the kept categories in the other bin and says when the reference had one", async () => {
    // 1,000 categories seen twice are kept by name; 50 seen once fall into the reference's "other".
    const ref = [
      ...Array.from({ length: 1000 }, (_, i) => `c${String(i).padStart(4, "0")}`).flatMap((v) => [v, v]),
      ...Array.from({ length: 50 }, (_, i) => `rare${i}`),
    ];
    const profile = buildReferenceProfile(column(ref));
    const cur = [...ref.slice(0, 1900), "rare1", "rare1", "brand-new", ...Array.from({ length: 97 }, () => "c0001")];
    const x = (await driftReport({ reference: profile, current: column(cur) })).column("x") as CategoricalColumnDrift;
    expect(x.referenceOtherShare).toBeCloseTo(50 / 2050, 15);
    expect(x.bins.at(-2)).toMatchObject({ label: "(other)", reference: 50 / 2050, currentCount: 3 });
    expect(x.unseen).toEqual([{ value: "rare1", count: 2 }, { value: "brand-new", count: 1 }]);
  });

  it("tracks at most 10,000 unseen values by name and still counts every unseen row", async () => {
    const current = Array.from({ length: 10_050 }, (_, i) => ({ plan: `new-${i}` })).concat(Array.from({ length: 30 }, () => ({ plan: "new-7" })));
    const x = (await driftReport({ reference, current, columns: ["plan"] })).column("plan") as CategoricalColumnDrift;
    expect(MAX_TRACKED_UNSEEN).toBe(10_000);
    expect(x.unseenCount).toBe(10_080);
    expect(x.unseenDistinct).toBe(10_000);
    expect(x.unseen.length).toBe(20);
    expect(x.unseen[0]).toEqual({ value: "new-7", count: 31 });
    expect(x.bins.at(-2)!.currentCount).toBe(10_080);
  });

  it("counts dictionary-encoded and boolean columns like plain strings", async () => {
    const plan = rows.map((r) => r.plan as string | null);
    const dict = arrow.vectorFromArray(plan, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
    const table = new arrow.Table({ plan: dict, active: arrow.vectorFromArray(rows.map((r) => r.active as boolean)) });
    const report = await driftReport({ reference, current: table, columns: ["plan", "active"] });
    expect(report.columns.map((c) => [c.column, c.psi])).toEqual([["plan", 0], ["active", 0]]);
  });

  it("reads current batch by batch with the same result", async () => {
    const table = tableFromRows(mixedRows(3000, 5));
    const whole = await driftReport({ reference, current: table });
    async function* batches() {
      for (let i = 0; i < table.numRows; i += 257) yield* table.slice(i, Math.min(table.numRows, i + 257)).batches;
    }
    const seen: number[] = [];
    const streamed = await driftReport({ reference, current: batches(), onProgress: (p) => seen.push(p.rows) });
    expect(streamed.columns).toEqual(whole.columns);
    expect(seen.at(-1)).toBe(3000);
    expect(seen.length).toBe(Math.ceil(3000 / 257));
  });

  it("streams Parquet and CSV sources to the same report as in memory", async () => {
    const table = tableFromRows(mixedRows(5000, 7).map((r) => ({ ...r, active: String(r.active) })));
    const ref = buildReferenceProfile(mixedRows(2000, 1).map((r) => ({ ...r, active: String(r.active) })));
    const whole = await driftReport({ reference: ref, current: table });
    await writeParquet(table, join(work, "cur.parquet"), { rowGroupSize: 1000 });
    await writeCsv(table, join(work, "cur.csv"));
    const seen: number[] = [];
    const fromParquet = await driftReport({ reference: ref, current: join(work, "cur.parquet"), batchSize: 700, onProgress: (p) => seen.push(p.rows) });
    const fromCsv = await driftReport({ reference: ref, current: { csv: join(work, "cur.csv") }, batchSize: 999 });
    const strip = (r: DriftReport) => r.columns.map(({ currentType: _t, ...rest }) => rest);
    expect(strip(fromParquet)).toEqual(strip(whole));
    expect(strip(fromCsv)).toEqual(strip(whole));
    expect(seen.length).toBeGreaterThan(5);
    expect(fromParquet.summary.source).toBe(`parquet ${join(work, "cur.parquet")}`);
  });

  it("checks only the named columns and refuses unknown ones", async () => {
    const report = await driftReport({ reference, current: rows, columns: ["plan"] });
    expect(report.columns.map((c) => c.column)).toEqual(["plan"]);
    await expect(driftReport({ reference, current: rows, columns: ["plan", "zip"] })).rejects.toThrow(
      'driftReport: column(s) "zip" are not in the reference profile; its columns: age, income, plan, active.',
    );
  });

  it("uses the given thresholds and validates them", async () => {
    const c = numpy.cases.normal_shifted!; // PSI ≈ 0.348
    const args = { reference: column(c.reference), current: column(c.current) };
    expect((await driftReport({ ...args, thresholds: { drift: 0.5 } })).column("x").status).toBe("warn");
    expect((await driftReport({ ...args, thresholds: { warn: 0.4, drift: 0.5 } })).column("x").status).toBe("ok");
    expect((await driftReport(args)).summary.thresholds).toEqual({ warn: 0.1, drift: 0.25 });
    await expect(driftReport({ ...args, thresholds: { warn: 0.3, drift: 0.2 } })).rejects.toThrow(
      "driftReport: threshold warn (0.3) must not exceed threshold drift (0.2); e.g. { warn: 0.1, drift: 0.25 }.",
    );
    await expect(driftReport({ ...args, thresholds: { warn: -1 } })).rejects.toThrow("driftReport: threshold warn must be a finite number > 0, got -1.");
    await expect(driftReport({ ...args, thresholds: { drift: Number.NaN } })).rejects.toThrow("threshold drift must be a finite number > 0, got NaN.");
    await expect(driftReport({ ...args, thresholds: { alarm: 1 } as never })).rejects.toThrow('unknown threshold "alarm"');
    await expect(driftReport({ ...args, minRows: 1.5 })).rejects.toThrow("driftReport: minRows must be a whole number ≥ 0, got 1.5.");
  });

  it("refuses a reference that is not a profile", async () => {
    await expect(driftReport({ reference: { format: "other/1", columns: {} } as never, current: rows })).rejects.toThrow(
      'driftReport: reference must be a reference profile (format "trellis-reference/1", as reference.json of a model artifact) or the reference data as an Arrow table or rows, got format "other/1".',
    );
  });
});

describe("DriftReport", () => {
  const rows = mixedRows(1000, 3);
  const current = mixedRows(800, 4).map((r, i) => ({ ...r, income: (r.income as number) + 400, plan: i % 10 === 0 ? "<b>vip</b>" : r.plan }));

  it("holds an Arrow table with one row per column", async () => {
    const report = await driftReport({ reference: rows, current });
    expect(report.table.schema.fields.map((f) => f.name)).toEqual([
      "column", "kind", "status", "psi", "reference_null_rate", "current_null_rate", "out_of_range_share", "unseen_count", "unseen_share", "current_type", "note",
    ]);
    expect(report.table.numRows).toBe(4);
    const income = report.table.get(1)!.toJSON();
    expect(income).toMatchObject({ column: "income", kind: "numeric", status: "drift", unseen_count: null });
    expect(income.out_of_range_share).toBeCloseTo(report.column("income").kind === "numeric" ? (report.column("income") as NumericColumnDrift).outOfRangeShare! : 0, 15);
    expect(report.table.get(2)!.toJSON()).toMatchObject({ column: "plan", unseen_count: 80, unseen_share: 0.1, out_of_range_share: null });
  });

  it("prints an aligned text table with a headline and the unseen categories", async () => {
    const text = (await driftReport({ reference: rows, current })).toString();
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^Drift report: drift — 2 of 4 checked columns drifting \(drift share 0\.5\); reference 1000 rows, current 800 rows \(800 row objects\)/);
    const header = lines.find((l) => l.startsWith("column"))!;
    expect(header).toMatch(/^column\s+kind\s+status\s+psi\s+reference_null_rate/);
    const incomeLine = lines.find((l) => l.startsWith("income"))!;
    expect(incomeLine.indexOf("drift")).toBe(header.indexOf("status"));
    expect(text).toContain('plan: unseen "<b>vip</b>" (80)');
  });

  it("renders self-contained HTML: escaped values, coloured rows, CSS-only bars, no script or external asset", async () => {
    const html = (await driftReport({ reference: rows, current })).toHTML();
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|url\(/i);
    expect(html).not.toContain("<b>vip</b>");
    expect(html).toContain('data-status="drift"');
    expect(html.match(/border:1px solid #ddd/g)!.length).toBe(4); // one bar chart per column
    expect(html).toContain("income — drift, PSI");
    expect(html).toContain("unseen: &quot;&lt;b&gt;vip&lt;/b&gt;&quot; (80)");
  });

  it("round-trips through JSON", async () => {
    const report = await driftReport({ reference: rows, current });
    const back = DriftReport.fromJSON(JSON.parse(JSON.stringify(report)));
    expect(back.toJSON()).toEqual(report.toJSON());
    expect(back.toString()).toBe(report.toString());
    expect(report.toJSON().format).toBe("trellis-drift/1");
    expect(() => DriftReport.fromJSON({ format: "x" } as never)).toThrow('DriftReport: expected a report of format "trellis-drift/1"');
  });
});
