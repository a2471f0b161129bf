import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { Float64, Int32, RecordBatch, Table, tableFromArrays, vectorFromArray } from "apache-arrow";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ColumnTransformer,
  DeployedModel,
  InvalidRowsError,
  LinearRegression,
  LogisticRegression,
  OneHotEncoder,
  Pipeline,
  SimpleImputer,
  StandardScaler,
  ValidationError,
  loadModel,
  readArtifactFiles,
  saveModel,
  type ModelSource,
  type RowError,
} from "@trellis/prod";
import { parseCsv, readCsv, tableFromRows } from "@trellis/shared";
import { MixedRow, fittedMixedPipeline, tempDir, test as testRows, train } from "./helpers";

const root = tempDir("trellis-deployed-");

/** A schema with every kind of field, and a pipeline reading some of them. */
const Row = z.object({
  x: z.number(),
  n: z.int(),
  k: z.int32().nullable(),
  c: z.enum(["a", "b"]),
  s: z.string().nullable(),
  o: z.number().optional(),
  flag: z.boolean(),
});

const base = { x: 1.5, n: 3, k: 7, c: "a", s: "p", o: 2, flag: true } as Record<string, unknown>;

function fitted(): Pipeline<LogisticRegression> {
  const rows = Array.from({ length: 40 }, (_, i) => ({ x: Math.sin(i), n: i % 5, k: i % 3 === 0 ? null : i, c: i % 2 ? "a" : "b", s: i % 4 === 0 ? null : `s${i % 3}` }));
  const y = rows.map((r, i) => ((r.x as number) + (i % 2) * 0.5 > 0.2 ? 1 : 0));
  return new Pipeline({
    steps: [
      [
        "prep",
        new ColumnTransformer({
          transformers: [
            ["num", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "median" })], ["scale", new StandardScaler()]] }), ["x", "n", "k"]],
            ["cat", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "most_frequent" })], ["onehot", new OneHotEncoder({ handleUnknown: "ignore" })]] }), ["c", "s"]],
          ],
        }),
      ],
      ["clf", new LogisticRegression()],
    ],
  }).fit(rows, y);
}

const model = DeployedModel.fromEstimator(fitted(), { inputSchema: Row, name: "kinds" });

interface Case {
  name: string;
  /** Changes to the valid base row (undefined = remove the field). */
  change: Record<string, unknown>;
  /** Expected [field, code] errors, or [] when the row is valid. */
  errors: [string, RowError["code"]][];
  /** The CSV cells for the changed fields, or "skip" when CSV cannot express the value. */
  csv?: Record<string, string | undefined> | "skip";
  /** How readCsv with the schema treats the CSV text: the same errors, or its own parse error. */
  csvParse?: RegExp;
}

const cases: Case[] = [
  { name: "a valid row", change: {}, errors: [], csv: {} },
  { name: "an integer in a number field", change: { x: 3 }, errors: [], csv: { x: "3" } },
  { name: "a safe bigint in an integer field", change: { n: 5n }, errors: [], csv: "skip" },
  { name: "null in a nullable field", change: { k: null, s: null }, errors: [], csv: { k: "", s: "" } },
  { name: "an optional field absent", change: { o: undefined }, errors: [], csv: "skip" },
  { name: "a required field absent", change: { x: undefined }, errors: [["x", "missing"]], csv: { x: undefined }, csvParse: /missing column\(s\) "x"/ },
  { name: "null in a non-nullable field", change: { x: null }, errors: [["x", "null"]], csv: { x: "" }, csvParse: /column "x" is empty but the schema does not allow nulls/ },
  { name: "null in an optional, non-nullable field", change: { o: null }, errors: [["o", "null"]], csv: { o: "" } },
  { name: "a numeric string in a number field", change: { x: "1.5" }, errors: [["x", "type"]], csv: "skip" },
  { name: "NaN", change: { x: NaN }, errors: [["x", "nan"]], csv: { x: "NaN" } },
  { name: "Infinity", change: { x: Infinity }, errors: [["x", "not_finite"]], csv: { x: "inf" } },
  { name: "-Infinity", change: { x: -Infinity }, errors: [["x", "not_finite"]], csv: { x: "-inf" } },
  { name: "a non-integer in an integer field", change: { n: 1.5 }, errors: [["n", "not_integer"]], csv: { n: "1.5" }, csvParse: /column "n" holds "1.5", which is not a valid Int64/ },
  { name: "an integer beyond 2^53 as a number", change: { n: 2 ** 53 + 2 }, errors: [["n", "unsafe_integer"]], csv: { n: "9007199254740994" } },
  { name: "an integer beyond 2^53 as a bigint", change: { n: 2n ** 60n }, errors: [["n", "unsafe_integer"]], csv: { n: String(2n ** 60n) } },
  { name: "an int32 out of range", change: { k: 2 ** 31 }, errors: [["k", "out_of_range"]], csv: { k: "2147483648" }, csvParse: /column "k" holds "2147483648", which is not a valid Int32/ },
  { name: "a string outside the enum", change: { c: "z" }, errors: [["c", "not_in_enum"]], csv: { c: "z" } },
  { name: "a number in a boolean field", change: { flag: 1 }, errors: [["flag", "type"]], csv: { flag: "2" }, csvParse: /column "flag" holds "2", which is not a valid Bool/ },
  { name: "several problems in one row", change: { x: null, n: 0.5, c: 3 }, errors: [["x", "null"], ["n", "not_integer"], ["c", "type"]], csv: "skip" },
];

function rowWith(change: Record<string, unknown>): Record<string, unknown> {
  const r: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) delete r[k];
    else r[k] = v;
  }
  return r;
}

function csvText(change: Record<string, string | undefined>): string {
  const cells: Record<string, string> = { x: "1.5", n: "3", k: "7", c: "a", s: "p", o: "2", flag: "true" };
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) delete cells[k];
    else cells[k] = v;
  }
  const names = Object.keys(cells);
  // Row 0 is the valid base row, row 1 the case.
  return `${names.join(",")}\n${names.map((n) => ({ x: "1.5", n: "3", k: "7", c: "a", s: "p", o: "2", flag: "true" })[n as "x"]).join(",")}\n${names.map((n) => cells[n]).join(",")}\n`;
}

function summary(errors: readonly RowError[]): [number, string | null, string][] {
  return errors.map((e) => [e.row, e.field, e.code]);
}

describe("DeployedModel validation of typed Arrow columns", () => {
  const Bounded = z.object({ p: z.number().gt(0).lte(1), q: z.int().gte(-3).lt(5), w: z.int32().nullable(), x: z.number().nullable() });
  const rowsFit = Array.from({ length: 30 }, (_, i) => ({ p: (i + 1) / 31, q: (i % 8) - 3, w: i % 4 === 0 ? null : i, x: i % 5 === 0 ? null : Math.cos(i) }));
  const yFit = rowsFit.map((r) => (r.p > 0.5 ? 1 : 0));
  const est = new Pipeline({
    steps: [
      ["impute", new SimpleImputer({ strategy: "mean" })],
      ["clf", new LogisticRegression()],
    ],
  }).fit(rowsFit, yFit);
  const bounded = DeployedModel.fromEstimator(est, { inputSchema: Bounded, name: "bounded" });
  const edge = [0, 1e-300, 0.5, 1, 1 + 2 ** -52, -0, NaN, Infinity, -Infinity, 2, -1];
  const qs = [-4, -3, -3.5, 4, 4.5, 5, 0, 2 ** 53 + 2, NaN, -Infinity, 1];

  it("gives the row-object outcome on Float64 and Int32 columns over several batches with nulls, at every bound", () => {
    const n = edge.length * 3;
    const rows = Array.from({ length: n }, (_, i) => ({
      p: edge[i % edge.length]!,
      q: qs[(i * 7) % qs.length]!,
      w: i % 3 === 0 ? null : i - 10,
      x: i % 4 === 1 ? null : i % 6 === 2 ? NaN : i / 3,
    }));
    const cut = [0, 7, 19, n];
    const table = new Table(
      cut.slice(0, -1).map((a, k) => {
        const part = rows.slice(a, cut[k + 1]);
        return new RecordBatch({
          p: vectorFromArray(Float64Array.from(part, (r) => r.p)).data[0]!,
          q: vectorFromArray(Float64Array.from(part, (r) => r.q)).data[0]!,
          w: vectorFromArray(part.map((r) => r.w), new Int32()).data[0]!,
          x: vectorFromArray(part.map((r) => r.x), new Float64()).data[0]!,
        });
      }),
    );
    expect(table.getChild("p")!.data.length).toBe(3);
    const fromRows = bounded.validate(rows);
    const fromArrow = bounded.validate(table);
    expect(fromRows.errorCount).toBeGreaterThan(20);
    expect(summary(fromArrow.errors)).toEqual(summary(fromRows.errors));
    expect(fromArrow.errors.map((e) => e.message)).toEqual(fromRows.errors.map((e) => e.message));
    expect(new Set(fromArrow.errors.map((e) => e.code))).toEqual(new Set(["out_of_range", "nan", "not_finite", "not_integer", "unsafe_integer"]));
  });
});

describe("DeployedModel validation table", () => {
  for (const c of cases) {
    it(`${c.name}: the same outcome for row objects, Arrow tables and CSV`, () => {
      const rows = [base, rowWith(c.change)];
      const expected = c.errors.map(([f, code]) => [1, f, code] as [number, string, string]);
      const fromRows = model.validate(rows);
      expect(summary(fromRows.errors)).toEqual(expected);
      expect(fromRows.valid).toBe(expected.length === 0);
      expect(fromRows.invalidRows).toEqual(expected.length ? [1] : []);
      // Arrow: a table of the case row, with the natural column types of its values (bigint → Int64,
      // string → Utf8, null → Null, ...); an absent field is an absent column.
      const table = tableFromRows([rowWith(c.change)]);
      const fromArrow = model.validate(table);
      expect(summary(fromArrow.errors)).toEqual(expected.map(([, f, code]) => [0, f, code]));
      expect(fromArrow.errors.map((e) => e.message)).toEqual(fromRows.errors.map((e) => e.message));
      if (c.csv !== "skip" && c.csv !== undefined) {
        const text = csvText(c.csv);
        if (c.csvParse) expect(() => parseCsv(text, { schema: model.inputSchema })).toThrow(c.csvParse);
        else {
          const { table } = parseCsv(text, { schema: model.inputSchema });
          expect(summary(model.validate(table).errors)).toEqual(expected);
        }
      }
    });
  }

  it("names the field, the value and what was expected", () => {
    const errors = model.validate([rowWith({ n: 1.5, c: "z", k: 2 ** 31, x: "1.5", flag: 1 }), rowWith({ x: undefined, s: 4 })]).errors;
    expect(errors.map((e) => e.message)).toEqual([
      'field "x" must be a number, got string "1.5"',
      'field "n" must be an integer, got 1.5',
      'field "k" is 2147483648, outside the allowed range (expected integer (int32) or null)',
      'field "c" is "z", not one of "a", "b"',
      'field "flag" must be a boolean, got number 1',
      'field "x" is missing (expected number)',
      'field "s" must be a string, got number 4',
    ]);
    expect(errors[0]).toEqual({ row: 0, field: "x", code: "type", message: 'field "x" must be a number, got string "1.5"', expected: "number", value: "1.5" });
    expect(errors[5]).toEqual({ row: 1, field: "x", code: "missing", message: 'field "x" is missing (expected number)', expected: "number" });
    const nan = model.validate([rowWith({ x: NaN, n: 2n ** 60n })]).errors;
    expect(nan.map((e) => e.value)).toEqual(["NaN", "1152921504606846976"]);
    expect(nan[1].message).toBe('field "n" is 1152921504606846976, beyond ±2^53 (Number.MAX_SAFE_INTEGER): it cannot be held exactly as a number');
  });

  it("ignores extra fields but counts and names them, or rejects them", () => {
    const rows = [{ ...base, zz: 1 }, { ...base, zz: 2, yy: "q" }, base];
    const ignored = model.predict(rows);
    expect(ignored.invalidRows).toEqual([]);
    expect(ignored.extraFields).toEqual([
      { field: "yy", rows: 1 },
      { field: "zz", rows: 2 },
    ]);
    expect(ignored.warnings).toEqual(['ignored 2 fields not in the input schema: "yy" (1 row), "zz" (2 rows)']);
    expect(() => model.predict(rows, { extra: "reject" })).toThrow(InvalidRowsError);
    const rejected = model.predict(rows, { extra: "reject", onInvalid: "null" });
    expect(rejected.predictions[2]).not.toBeNull();
    expect(rejected.predictions.slice(0, 2)).toEqual([null, null]);
    expect(summary(rejected.errors)).toEqual([
      [0, "zz", "extra_field"],
      [1, "zz", "extra_field"],
      [1, "yy", "extra_field"],
    ]);
    const table = tableFromRows(rows.map((r) => ({ ...base, zz: (r as { zz?: number }).zz ?? null })));
    expect(model.predict(table).extraFields).toEqual([{ field: "zz", rows: 3 }]);
    expect(summary(model.validate(table, { extra: "reject" }).errors)).toEqual([0, 1, 2].map((i) => [i, "zz", "extra_field"]));
    expect(() => model.predictOne({ ...base, zz: 1 }, { extra: "reject" })).toThrow('field "zz" is not in the input schema (extra fields are rejected)');
    expect(model.predictOne({ ...base, zz: 1 })).toEqual(model.predictOne(base));
  });

  it("refuses rows that are not objects", () => {
    expect(summary(model.validate([base, null as never, [1] as never]).errors)).toEqual([
      [1, null, "not_object"],
      [2, null, "not_object"],
    ]);
  });
});

describe("DeployedModel errors", () => {
  it("throws one InvalidRowsError (a ValidationError) listing every bad row, capped at 100 with the totals", () => {
    const rows = Array.from({ length: 300 }, (_, i) => (i % 2 ? rowWith({ x: null, n: 0.5 }) : base));
    const err = (() => {
      try {
        model.predict(rows);
      } catch (e) {
        return e;
      }
    })() as InvalidRowsError;
    expect(err).toBeInstanceOf(InvalidRowsError);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.code).toBe("VALIDATION");
    expect(err.issues).toHaveLength(100);
    expect(err.details).toHaveLength(100);
    expect(err.invalidRows).toBe(150);
    expect(err.problemCount).toBe(300);
    expect(err.issues[0]).toEqual({ path: [1, "x"], message: 'field "x" is null, but the schema does not allow null (expected number)', value: null });
    expect(err.issues[1].path).toEqual([1, "n"]);
    expect(err.message).toBe(
      'Invalid input of model "kinds": 1.x: field "x" is null, but the schema does not allow null (expected number); 1.n: field "n" must be an integer, got 0.5; 3.x: field "x" is null, but the schema does not allow null (expected number); 3.n: field "n" must be an integer, got 0.5; 5.x: field "x" is null, but the schema does not allow null (expected number) (and 95 more). 150 of 300 row(s) are invalid (300 problem(s), the first 100 listed in .issues). Fix the rows, or pass { onInvalid: "null" } to score the valid ones and get the errors beside the predictions.',
    );
  });

  it('scores valid rows and returns null beside the errors with onInvalid: "null"', () => {
    const rows = [base, rowWith({ c: "z" }), rowWith({ x: 0.2, k: null }), rowWith({ x: undefined })];
    const r = model.predictProba(rows, { onInvalid: "null" });
    const valid = model.predictProba([rows[0], rows[2]]);
    expect(r.rows).toBe(4);
    expect(r.invalidRows).toEqual([1, 3]);
    expect(r.predictions).toEqual([valid.predictions[0], null, valid.predictions[1], null]);
    expect(r.probabilitiesOf(0)).toEqual(valid.probabilitiesOf(0));
    expect(r.probabilitiesOf(1)).toBeNull();
    expect(r.probabilitiesOf(2)).toEqual(valid.probabilitiesOf(1));
    expect(summary(r.errors)).toEqual([
      [1, "c", "not_in_enum"],
      [3, "x", "missing"],
    ]);
    expect(r.warnings).toEqual(["2 of 4 row(s) failed validation and were scored as null (2 error(s))."]);
    const json = JSON.parse(JSON.stringify(r));
    expect(json.probabilities[1]).toBeNull();
    expect(json.probabilities[0]).toEqual(valid.probabilitiesOf(0));
    expect(json.model).toEqual({ name: "kinds", version: null, digest: model.digest });
    expect(Object.keys(json).sort()).toEqual(["classes", "errorCount", "errors", "extraFields", "invalidRows", "model", "predictions", "probabilities", "rows", "warnings"]);
    // Arrow input: the same result.
    const t = model.predictProba(tableFromRows(rows.map((r) => ({ ...base, ...r, x: (r as { x?: number }).x ?? null }))), { onInvalid: "null" });
    expect(t.invalidRows).toEqual([1, 3]);
    expect(t.probabilitiesOf(2)).toEqual(valid.probabilitiesOf(1));
    const capped = model.predict(Array.from({ length: 10 }, () => rowWith({ x: null })), { onInvalid: "null", maxErrors: 3 });
    expect(capped.errors).toHaveLength(3);
    expect(capped.errorCount).toBe(10);
  });
});

describe("DeployedModel scoring", () => {
  const pipe = fittedMixedPipeline();
  let deployed: DeployedModel;
  let dir: string;
  beforeAll(async () => {
    dir = join(root, "mixed");
    await saveModel(pipe, dir, { inputSchema: MixedRow, name: "churn", reference: train });
    deployed = await DeployedModel.load(dir);
  });

  it("loads from a folder with its manifest, digest, schema and classes", async () => {
    const loaded = await loadModel(dir);
    expect(deployed.digest).toBe(loaded.digest);
    expect(deployed.name).toBe("churn");
    expect(deployed.version).toBeNull();
    expect(deployed.classes).toEqual([0, 1]);
    expect(deployed.outputColumns).toEqual(["prediction", "proba_0", "proba_1"]);
    expect(deployed.manifest).toEqual(loaded.manifest);
    expect(Object.keys(deployed.inputSchema.shape)).toEqual(Object.keys(MixedRow.shape));
    expect(deployed.reference?.rows).toBe(train.length);
  });

  it("predicts bit for bit what the bare pipeline predicts, from row objects, Arrow tables and record batches", () => {
    const bare = pipe.predictProba(testRows);
    const fromRows = deployed.predictProba(testRows);
    expect(Buffer.from(fromRows.probabilities!.data.buffer).equals(Buffer.from(bare.data.buffer))).toBe(true);
    expect(fromRows.predictions).toEqual(pipe.predict(testRows));
    const table = tableFromRows(testRows);
    const fromTable = deployed.predictProba(table);
    expect(Buffer.from(fromTable.probabilities!.data.buffer).equals(Buffer.from(bare.data.buffer))).toBe(true);
    const batches = table.batches as RecordBatch[];
    expect(deployed.predict(batches).predictions).toEqual(fromRows.predictions);
    expect(deployed.predict(batches[0]).predictions).toEqual(fromRows.predictions.slice(0, batches[0].numRows));
    expect(deployed.predict(testRows).probabilities).toBeNull();
  });

  it("reads CSV with its input schema and scores it like the rows", async () => {
    const csv = join(root, "test.csv");
    const names = Object.keys(MixedRow.shape);
    writeFileSync(csv, `${names.join(",")}\n${testRows.map((r) => names.map((n) => (r[n] === null ? "" : String(r[n]))).join(",")).join("\n")}\n`);
    const { table } = await readCsv(csv, { schema: deployed.inputSchema });
    const r = deployed.predictProba(table);
    expect(Buffer.from(r.probabilities!.data.buffer).equals(Buffer.from(pipe.predictProba(testRows).data.buffer))).toBe(true);
  });

  it("predictOne agrees with batch prediction, row by row", () => {
    const batch = deployed.predictProba(testRows);
    for (let i = 0; i < testRows.length; i++) {
      const one = deployed.predictOne(testRows[i]);
      expect(one.prediction).toBe(batch.predictions[i]);
      const p = batch.probabilitiesOf(i)!;
      for (let j = 0; j < p.length; j++) expect(Math.abs(one.probabilities![j] - p[j])).toBeLessThanOrEqual(1e-15);
    }
    expect(() => deployed.predictOne({ ...testRows[0], plan: 3 })).toThrow(InvalidRowsError);
    expect(() => deployed.predictOne({ ...testRows[0], plan: 3 })).toThrow('field "plan" must be a string, got number 3');
  });

  it("streams batches with row numbers counted from the start", async () => {
    async function* source() {
      yield testRows.slice(0, 3);
      yield tableFromRows(testRows.slice(3, 5));
      yield [{ ...testRows[5], plan: 4 }];
    }
    const results = [];
    for await (const r of deployed.predictBatches(source(), { onInvalid: "null" })) results.push(r);
    expect(results.map((r) => r.rows)).toEqual([3, 2, 1]);
    expect(results[2].invalidRows).toEqual([5]);
    expect(results[2].errors[0].row).toBe(5);
    expect(results[0].probabilitiesOf(0)).toEqual(deployed.predictProba(testRows.slice(0, 1)).probabilitiesOf(0));
  });

  it("loads registry references through a ModelSource, verifying the recorded digest", async () => {
    const files = await readArtifactFiles(dir);
    const source: ModelSource = {
      async getArtifactFiles(ref: string) {
        expect(ref).toBe("churn@production");
        return { files, name: "churn", version: 3, digest: deployed.digest };
      },
    };
    const m = await DeployedModel.load("churn@production", { registry: source });
    expect(m.name).toBe("churn");
    expect(m.version).toBe(3);
    expect(m.predict(testRows).model).toEqual({ name: "churn", version: 3, digest: deployed.digest });
    const wrong: ModelSource = { getArtifactFiles: async () => ({ files, name: "churn", version: 3, digest: "f".repeat(64) }) };
    await expect(DeployedModel.load("churn@production", { registry: wrong })).rejects.toThrow(`the artifact's digest is ${deployed.digest}, but ${"f".repeat(64)} was expected`);
    await expect(DeployedModel.load("churn@production")).rejects.toThrow(
      'DeployedModel.load: "churn@production" is not a model folder (no such folder); it looks like a registry reference: pass { registry } (a ModelRegistry) to load it.',
    );
    await expect(DeployedModel.load(join(root, "none"))).rejects.toThrow("give the path of a folder written by saveModel");
  });

  it("serves regressors and plain linear models on the single-row path", () => {
    const X = tableFromArrays({ a: Float64Array.from({ length: 30 }, (_, i) => i / 3), b: Float64Array.from({ length: 30 }, (_, i) => Math.cos(i)) });
    const y = Float64Array.from({ length: 30 }, (_, i) => 2 * (i / 3) - Math.cos(i) + 0.1 * Math.sin(7 * i));
    const reg = new LinearRegression().fit(X, y);
    const m = DeployedModel.fromEstimator(reg, { inputSchema: z.object({ a: z.number(), b: z.number().nullable() }) });
    expect(m.classes).toBeNull();
    expect(m.outputColumns).toEqual(["prediction"]);
    const r = m.predict(X);
    expect(r.predictions).toEqual(Array.from(reg.predict(X)));
    expect(m.predictOne({ a: 1, b: 0.5 }).prediction).toBe(reg.predict([{ a: 1, b: 0.5 }])[0]);
    expect(() => m.predictProba(X)).toThrow("DeployedModel.predictProba: the deployed model is a regressor; it has no class probabilities (use predict).");
    const clf = new LogisticRegression().fit(X, Array.from(y, (v) => (v > 5 ? "hi" : "lo")));
    const mc = DeployedModel.fromEstimator(clf, { inputSchema: z.object({ a: z.number(), b: z.number() }) });
    const p = mc.predictProba(X);
    for (let i = 0; i < 30; i++) expect(mc.predictOne({ a: X.getChild("a")!.get(i), b: X.getChild("b")!.get(i) })).toEqual({ prediction: p.predictions[i], probabilities: p.probabilitiesOf(i) });
  });
});

describe("DeployedModel on chunked and sliced Arrow input", () => {
  it("finds nulls in string and number columns of sliced, multi-chunk tables at the right rows", () => {
    const S = z.object({ s: z.string(), x: z.number() });
    const m = DeployedModel.fromEstimator(new LogisticRegression().fit([{ x: 0 }, { x: 1 }, { x: 2 }, { x: 3 }], [0, 0, 1, 1]), { inputSchema: S });
    const rows = Array.from({ length: 20 }, (_, i) => ({ s: i % 7 === 3 ? null : `v${i}`, x: i % 5 === 4 ? null : i }));
    const whole = tableFromRows(rows);
    const chunked = whole.slice(0, 9).concat(whole.slice(9, 20));
    const sliced = chunked.slice(3, 17);
    const expect1 = (t: typeof whole, offset: number) => {
      const want = rows
        .map((r, i) => [i, r] as const)
        .filter(([i]) => i >= offset && i < offset + t.numRows)
        .flatMap(([i, r]) => [...(r.s === null ? [[i - offset, "s", "null"]] : []), ...(r.x === null ? [[i - offset, "x", "null"]] : [])]);
      expect(summary(m.validate(t).errors)).toEqual(want);
      expect(summary(m.validate(rows.slice(offset, offset + t.numRows)).errors)).toEqual(want);
    };
    expect(chunked.batches.length).toBe(2);
    expect1(whole, 0);
    expect1(chunked, 0);
    expect1(sliced, 3);
  });
});
