import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { tableFromArrays } from "apache-arrow";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  IncompatibleArtifactError,
  IntegrityError,
  LinearRegression,
  LogisticRegression,
  PROD_VERSION,
  Pipeline,
  StandardScaler,
  buildReferenceProfile,
  canonicalJson,
  checkCompatibility,
  describeInputSchema,
  inputSchemaFromDescriptor,
  isCompatibleVersion,
  libraryVersions,
  loadModel,
  loadModelFromFiles,
  manifestDigest,
  packModel,
  readArtifactFiles,
  saveModel,
  sha256Hex,
  trainingDataDigest,
  verifyArtifact,
  writeArtifactFiles,
  type ModelManifest,
  type SavedModel,
} from "@trellis/prod";
import { SHARED_VERSION, tableFromRows } from "@trellis/shared";
import { MixedRow, fittedMixedPipeline, labels, rewriteManifest, tempDir, test, train } from "./helpers";
import sharedPkg from "../../../shared/package.json";
import prodPkg from "../../package.json";

const root = tempDir();
let n = 0;
const fresh = () => join(root, `m${++n}`);

describe("canonicalJson and manifestDigest", () => {
  it("sorts keys by UTF-16 code units, drops whitespace and writes numbers as ECMAScript does", () => {
    expect(canonicalJson({ b: [1, 2.5, -0, 1e21], a: "é\n", A: null, "é": true, "\u00e9\u0301": false })).toBe(
      '{"A":null,"a":"é\\n","b":[1,2.5,0,1e+21],"é":true,"é́":false}',
    );
  });

  it("refuses values JSON cannot hold, naming the path", () => {
    expect(() => canonicalJson({ a: { b: [1, NaN] } })).toThrow("canonicalJson: value.a.b[1] is NaN, which JSON cannot hold");
    expect(() => canonicalJson({ a: undefined })).toThrow("canonicalJson: value.a is undefined");
    expect(() => canonicalJson({ a: new Date(0) })).toThrow("value.a is a Date");
  });

  it("hashes the UTF-8 bytes of the canonical text", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("isCompatibleVersion", () => {
  it("loads the same major with a minor at least as high", () => {
    expect(isCompatibleVersion("1.2.3", "1.2.0")).toBe(true);
    expect(isCompatibleVersion("1.2.3", "1.5.0")).toBe(true);
    expect(isCompatibleVersion("1.3.0", "1.2.9")).toBe(false);
    expect(isCompatibleVersion("1.2.0", "2.0.0")).toBe(false);
    expect(isCompatibleVersion("2.0.0", "1.9.0")).toBe(false);
  });

  it("lets the minor play the major and the patch the minor while the major is 0", () => {
    expect(isCompatibleVersion("0.1.0", "0.1.4")).toBe(true);
    expect(isCompatibleVersion("0.1.4", "0.1.4")).toBe(true);
    expect(isCompatibleVersion("0.1.5", "0.1.4")).toBe(false);
    expect(isCompatibleVersion("0.1.0", "0.2.0")).toBe(false);
    expect(isCompatibleVersion("0.2.0", "0.1.9")).toBe(false);
    expect(isCompatibleVersion("0.1.0-rc.1", "0.1.0")).toBe(true);
    expect(isCompatibleVersion("garbage", "0.1.0")).toBe(false);
  });
});

describe("library versions", () => {
  it("come from the packages' own package.json files", () => {
    const v = libraryVersions();
    expect(PROD_VERSION).toBe(prodPkg.version);
    expect(SHARED_VERSION).toBe(sharedPkg.version);
    expect(v["@trellis/prod"]).toBe(prodPkg.version);
    expect(v["@trellis/shared"]).toBe(sharedPkg.version);
    expect(v["apache-arrow"]).toBe(prodPkg.dependencies["apache-arrow"]);
    expect(v.zod).toBe(prodPkg.dependencies.zod);
    expect(v["@electric-sql/pglite"]).toBe(sharedPkg.dependencies["@electric-sql/pglite"]);
    expect(Object.keys(v)).toEqual(Object.keys(v).sort());
  });
});

describe("describeInputSchema", () => {
  it("round-trips every supported field type through descriptors to the same validator", () => {
    const Row = z.object({
      x: z.number(),
      f: z.float32().nullable(),
      i: z.int().min(0).lt(150),
      i32: z.int32().optional(),
      u: z.uint32().nullish(),
      nan: z.union([z.number(), z.nan()]),
      b: z.boolean(),
      s: z.string().min(1).max(8),
      e: z.enum(["basic", "pro"]).nullable(),
      l: z.literal(["a", "b"]),
      d: z.date().nullable(),
    });
    const desc = describeInputSchema(Row);
    expect(desc.find((f) => f.name === "i")).toEqual({ name: "i", type: "integer", format: "safeint", nullable: false, optional: false, min: { value: 0, inclusive: true }, max: { value: 150, inclusive: false } });
    expect(desc.find((f) => f.name === "u")).toEqual({ name: "u", type: "integer", format: "uint32", nullable: true, optional: true });
    expect(desc.find((f) => f.name === "nan")).toEqual({ name: "nan", type: "number", format: "float64", nullable: false, optional: false, allowNaN: true });
    expect(desc.find((f) => f.name === "l")).toEqual({ name: "l", type: "enum", nullable: false, optional: false, values: ["a", "b"] });
    const rebuilt = inputSchemaFromDescriptor(JSON.parse(JSON.stringify(desc)));
    expect(describeInputSchema(rebuilt)).toEqual(desc);
    expect(z.toJSONSchema(rebuilt, { unrepresentable: "any", io: "input" })).toEqual(z.toJSONSchema(Row, { unrepresentable: "any", io: "input" }));
    const good = { x: 1.5, f: null, i: 149, u: null, nan: NaN, b: true, s: "abc", e: "pro", l: "a", d: new Date(0) };
    expect(rebuilt.safeParse(good).success).toBe(true);
    for (const bad of [{ i: 150 }, { i: 1.5 }, { s: "" }, { e: "gold" }, { x: null }, { i32: 2 ** 31 }, { b: 1 }]) {
      expect(Row.safeParse({ ...good, ...bad }).success, JSON.stringify(bad)).toBe(false);
      expect(rebuilt.safeParse({ ...good, ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it("refuses zod types it cannot rebuild, naming the field", () => {
    expect(() => describeInputSchema(z.object({ id: z.bigint() }))).toThrow(
      'describeInputSchema: input field "id" is of zod type "bigint", which a model input schema cannot store; use z.number()',
    );
    expect(() => describeInputSchema(z.object({ mail: z.email() }))).toThrow('input field "mail" is a string of format "email"');
    expect(() => describeInputSchema(z.object({ x: z.number().multipleOf(2) }))).toThrow('input field "x" is a number with a "multiple_of" check');
    expect(() => describeInputSchema(z.object({ x: z.union([z.string(), z.number()]) }))).toThrow('input field "x" is a union of several types');
    expect(() => describeInputSchema(z.object({ x: z.number().default(0) }))).toThrow('input field "x" is of zod type "default"');
  });
});

describe("saveModel / loadModel", () => {
  const pipe = fittedMixedPipeline();

  it("writes model.json, reference.json, manifest.json and manifest.sha256, and nothing else", async () => {
    const dir = fresh();
    const saved = await saveModel(pipe, dir, { inputSchema: MixedRow, name: "churn", reference: train, metrics: { rocAuc: 0.9 }, params: { C: 1 } });
    expect(readdirSync(dir).sort()).toEqual(["manifest.json", "manifest.sha256", "model.json", "reference.json"]);
    expect(readdirSync(root).filter((f) => f.startsWith("."))).toEqual([]);
    const text = readFileSync(join(dir, "manifest.json"), "utf8");
    expect(text).toBe(canonicalJson(JSON.parse(text)));
    expect(saved.digest).toBe(sha256Hex(text));
    expect(saved.digest).toBe(manifestDigest(saved.manifest));
    expect(readFileSync(join(dir, "manifest.sha256"), "utf8")).toBe(`${saved.digest}  manifest.json\n`);
    const m = saved.manifest;
    expect(m.format).toBe("trellis-model");
    expect(m.formatVersion).toBe(1);
    expect(m.name).toBe("churn");
    expect(m.estimator).toEqual({ className: "Pipeline", inputColumns: pipe.featureNamesIn_.map((name, j) => ({ name, kind: pipe.featureKindsIn_[j] })) });
    expect(m.output).toEqual({ task: "classification", classes: [0, 1], columns: ["prediction", "proba_0", "proba_1"] });
    expect(m.libraries).toEqual(libraryVersions());
    expect(m.runtime.node).toBe(process.versions.node);
    expect(Date.parse(m.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(m.createdAt.endsWith("Z")).toBe(true);
    expect(m.metrics).toEqual({ rocAuc: 0.9 });
    expect(m.params).toEqual({ C: 1 });
    const model = readFileSync(join(dir, "model.json"));
    expect(m.files["model.json"]).toEqual({ size: model.length, sha256: sha256Hex(model) });
    expect(Object.keys(m.files).sort()).toEqual(["model.json", "reference.json"]);
    expect((m.inputSchema.jsonSchema.properties as Record<string, unknown>).plan).toEqual({ type: ["string", "null"] });
    // reference.json is the monitor's profile of the input columns of the reference rows.
    const ref = JSON.parse(readFileSync(join(dir, "reference.json"), "utf8"));
    expect(ref).toEqual(JSON.parse(JSON.stringify(buildReferenceProfile(train, { columns: Object.keys(MixedRow.shape) }))));
  });

  it("loads back predictions identical to the bit (pipeline on the mixed fixture)", async () => {
    const dir = fresh();
    const saved = await saveModel(pipe, dir, { inputSchema: MixedRow, reference: tableFromRows(train) });
    const loaded = await loadModel(dir);
    expect(loaded.digest).toBe(saved.digest);
    expect(loaded.manifest).toEqual(saved.manifest);
    expect(loaded.model).toBeInstanceOf(Pipeline);
    const a = pipe.predictProba(test).data;
    const b = (loaded.model as Pipeline<LogisticRegression>).predictProba(test).data;
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    expect((loaded.model as Pipeline<LogisticRegression>).predict(test)).toEqual(pipe.predict(test));
    expect(describeInputSchema(loaded.inputSchema)).toEqual(describeInputSchema(MixedRow));
    expect(loaded.reference?.format).toBe("trellis-reference/1");
    expect(Object.keys(loaded.reference!.columns)).toEqual(Object.keys(MixedRow.shape));
  });

  it("round-trips logistic and linear regression models to the bit", async () => {
    const X = { a: Float64Array.from({ length: 50 }, (_, i) => Math.sin(i) * 3), b: Float64Array.from({ length: 50 }, (_, i) => (i % 7) - 3.2) };
    const t = tableFromArrays(X);
    const yc = Array.from({ length: 50 }, (_, i) => (X.a[i] + 0.5 * X.b[i] > 0 ? "yes" : "no"));
    const yr = Float64Array.from({ length: 50 }, (_, i) => 2 * X.a[i] - X.b[i] + Math.cos(i));
    const schema = z.object({ a: z.number(), b: z.number() });
    const clf = new LogisticRegression({ C: 0.5 }).fit(t, yc);
    const reg = new LinearRegression().fit(t, yr);
    const scaled = new Pipeline({ steps: [["s", new StandardScaler()], ["r", new LinearRegression()]] }).fit(t, yr);
    const d1 = fresh();
    const d2 = fresh();
    const d3 = fresh();
    await saveModel(clf, d1, { inputSchema: schema });
    await saveModel(reg, d2, { inputSchema: schema });
    const s3 = await saveModel(scaled, d3, { inputSchema: schema });
    const l1 = (await loadModel(d1)).model as LogisticRegression;
    const l2 = (await loadModel(d2)).model as LinearRegression;
    const l3 = (await loadModel(d3)).model as Pipeline<LinearRegression>;
    expect(Buffer.from(l1.predictProba(t).data.buffer).equals(Buffer.from(clf.predictProba(t).data.buffer))).toBe(true);
    expect(l1.predict(t)).toEqual(clf.predict(t));
    expect(Buffer.from(l2.predict(t).buffer).equals(Buffer.from(reg.predict(t).buffer))).toBe(true);
    expect(Buffer.from(l3.predict(t).buffer).equals(Buffer.from(scaled.predict(t).buffer))).toBe(true);
    expect(s3.manifest.output).toEqual({ task: "regression", classes: null, columns: ["prediction"] });
    expect((await loadModel(d1)).manifest.output.classes).toEqual(["no", "yes"]);
  });

  it("refuses a model whose columns the schema does not declare, or declares with the wrong kind", async () => {
    await expect(saveModel(pipe, fresh(), { inputSchema: MixedRow.omit({ channel: true }) })).rejects.toThrow(
      'saveModel: the input schema does not fit Pipeline: column "channel" (read as a category) is not declared.',
    );
    await expect(saveModel(pipe, fresh(), { inputSchema: MixedRow.extend({ plan: z.number() }) })).rejects.toThrow('column "plan" is read as a category but declared as number');
    await expect(saveModel(new LogisticRegression(), fresh(), { inputSchema: MixedRow })).rejects.toThrow("LogisticRegression is not fitted yet: call fit() before saveModel.");
    await expect(saveModel(new StandardScaler().fit([{ a: 1 }, { a: 2 }]), fresh(), { inputSchema: z.object({ a: z.number() }) })).rejects.toThrow(
      "StandardScaler does not predict (it is a transformer)",
    );
  });

  it("refuses an existing folder unless overwrite, and swaps it when asked", async () => {
    const dir = fresh();
    const first = await saveModel(pipe, dir, { inputSchema: MixedRow, name: "one" });
    await expect(saveModel(pipe, dir, { inputSchema: MixedRow, name: "two" })).rejects.toThrow(`saveModel: ${dir} already exists; choose a new folder or pass { overwrite: true } to replace it.`);
    expect((await loadModel(dir)).digest).toBe(first.digest);
    const second = await saveModel(pipe, dir, { inputSchema: MixedRow, name: "two", overwrite: true });
    expect((await loadModel(dir)).manifest.name).toBe("two");
    expect(second.digest).not.toBe(first.digest);
    expect(readdirSync(root).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("leaves nothing behind when writing fails", async () => {
    const dir = fresh();
    // A metric JSON cannot hold fails while the manifest is built; a reference with none of the columns too.
    await expect(saveModel(pipe, dir, { inputSchema: MixedRow, metrics: { auc: NaN } })).rejects.toThrow("saveModel: metrics.auc is NaN; metrics must be finite numbers.");
    await expect(saveModel(pipe, dir, { inputSchema: MixedRow, reference: [{ other: 1 }] })).rejects.toThrow("the reference data has none of the input columns");
    expect(existsSync(dir)).toBe(false);
    // A failure during the write (the parent is a file) leaves no temporary folder.
    const parentFile = join(root, "plain-file");
    writeFileSync(parentFile, "x");
    await expect(saveModel(pipe, join(parentFile, "m"), { inputSchema: MixedRow })).rejects.toThrow(/saveModel: cannot write the model to/);
    expect(readdirSync(root).filter((f) => f.startsWith("."))).toEqual([]);
    // A failure half-way through writing the files removes the temporary folder.
    const packed = await packModel(pipe, { inputSchema: MixedRow });
    const files = new Map([...packed.files, ["../escape", new Uint8Array(1)]]);
    await expect(writeArtifactFiles(files, dir)).rejects.toThrow('saveModel: artifact file name "../escape" must be a plain file name.');
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(root).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("records lineage: feature views, the training rows' digest, the run id and the git commit", async () => {
    const views = [{ name: "customer_stats", version: 3 }];
    const saved = await saveModel(pipe, fresh(), { inputSchema: MixedRow, lineage: { featureViews: views, trainingRows: train, runId: "run-42" } });
    const l = saved.manifest.lineage;
    expect(l.featureViews).toEqual([{ name: "customer_stats", version: 3, schemaHash: null }]);
    expect(l.runId).toBe("run-42");
    expect(l.trainingData).toEqual(trainingDataDigest(train));
    expect(l.trainingData!.rows).toBe(train.length);
    // The test runs inside the project's git repository.
    expect(l.git?.commit).toMatch(/^[0-9a-f]{40}$/);
    const noGit = await saveModel(pipe, fresh(), { inputSchema: MixedRow, lineage: { git: false } });
    expect(noGit.manifest.lineage).toEqual({ featureViews: [], trainingData: null, runId: null, git: null });
    const outside = await saveModel(pipe, fresh(), { inputSchema: MixedRow, lineage: { git: { cwd: root } } });
    expect(outside.manifest.lineage.git).toBeNull();
  });
});

describe("trainingDataDigest", () => {
  it("depends on the values only: row objects, Arrow tables and Int64 or Float64 columns agree", () => {
    const rows = [
      { id: 1, name: "a", at: new Date(1000), ok: true },
      { id: 2, name: null, at: null, ok: false },
    ];
    const fromRows = trainingDataDigest(rows);
    expect(trainingDataDigest(tableFromRows(rows))).toEqual(fromRows);
    expect(trainingDataDigest(tableFromRows(rows.map((r) => ({ ...r, id: BigInt(r.id) }))))).toEqual(fromRows);
    expect(trainingDataDigest([rows[1], rows[0]]).digest).not.toBe(fromRows.digest);
    expect(trainingDataDigest([{ ...rows[0], name: "b" }, rows[1]]).digest).not.toBe(fromRows.digest);
    expect(fromRows.columns).toEqual(["at", "id", "name", "ok"]);
  });

  it("matches an independent implementation of the documented encoding", () => {
    const rows = [{ b: 1.5, a: "x" }, { b: null, a: "yé" }];
    const header = canonicalJson({ method: "trellis-rows/1", rows: 2, columns: ["a", "b"] });
    const parts: Buffer[] = [];
    const str = (tag: number, s: string) => {
      const b = Buffer.from(s, "utf8");
      const h = Buffer.alloc(5);
      h[0] = tag;
      h.writeUInt32LE(b.length, 1);
      parts.push(h, b);
    };
    str(3, header);
    str(3, "x");
    str(3, "yé");
    const num = Buffer.alloc(9);
    num[0] = 1;
    num.writeDoubleLE(1.5, 1);
    parts.push(num, Buffer.from([0]));
    expect(trainingDataDigest(rows).digest).toBe(sha256Hex(Buffer.concat(parts)));
  });
});

describe("integrity", () => {
  const pipe = fittedMixedPipeline();
  let base = "";
  let saving: Promise<SavedModel>;
  beforeAll(() => {
    base = fresh();
    saving = saveModel(pipe, base, { inputSchema: MixedRow, reference: train });
  });

  for (const file of ["model.json", "reference.json", "manifest.json", "manifest.sha256"]) {
    it(`refuses one flipped byte in ${file}, naming it, before parsing anything`, async () => {
      await saving;
      const dir = fresh();
      cpSync(base, dir, { recursive: true });
      const bytes = readFileSync(join(dir, file));
      const at = Math.floor(bytes.length / 2);
      bytes[at] ^= 0x01;
      writeFileSync(join(dir, file), bytes);
      const parse = vi.spyOn(JSON, "parse");
      const err = await loadModel(dir).catch((e: unknown) => e);
      const parsed = parse.mock.calls.length;
      parse.mockRestore();
      expect(err).toBeInstanceOf(IntegrityError);
      // A flipped digest line is reported on the manifest it no longer matches.
      const named = file === "manifest.sha256" ? /manifest\.(json|sha256)/ : new RegExp(file.replace(".", "\\."));
      expect((err as IntegrityError).file).toMatch(named);
      expect((err as IntegrityError).code).toBe("ARTIFACT_INTEGRITY");
      // Only the manifest (already matched against its digest) may have been parsed.
      expect(parsed).toBeLessThanOrEqual(file === "model.json" || file === "reference.json" ? 1 : 0);
      const v = await verifyArtifact(dir);
      expect(v.ok).toBe(false);
      expect(v.problems.some((p) => p.file !== null && named.test(p.file))).toBe(true);
    });
  }

  it("names the changed file with both hashes", async () => {
    await saving;
    const dir = fresh();
    cpSync(base, dir, { recursive: true });
    const bytes = readFileSync(join(dir, "model.json"));
    bytes[10] ^= 0x20;
    writeFileSync(join(dir, "model.json"), bytes);
    const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ModelManifest;
    await expect(loadModel(dir)).rejects.toThrow(`model.json has SHA-256 ${sha256Hex(bytes)}, but the manifest says ${m.files["model.json"].sha256}: the file was changed after the model was saved.`);
  });

  it("refuses a missing file and an unexpected file", async () => {
    await saving;
    const files = await readArtifactFiles(base);
    const missing = new Map(files);
    missing.delete("reference.json");
    await expect(loadModelFromFiles(missing)).rejects.toThrow(/^reference\.json is missing from the artifact \(the manifest lists it: \d+ bytes\)\.$/);
    const extra = new Map(files);
    extra.set("notes.txt", new TextEncoder().encode("hello"));
    await expect(loadModelFromFiles(extra)).rejects.toThrow("notes.txt is in the artifact but not in its manifest; an artifact holds only the files its manifest lists. Remove it or save the model again.");
    const noManifest = new Map(files);
    noManifest.delete("manifest.json");
    await expect(loadModelFromFiles(noManifest)).rejects.toThrow("the artifact has no manifest.json");
    const dir = fresh();
    cpSync(base, dir, { recursive: true });
    mkdirSync(join(dir, "sub"));
    await expect(loadModel(dir)).rejects.toThrow('"sub" is not a plain file');
    await expect(loadModel(join(root, "nope"))).rejects.toThrow(`cannot read the model artifact ${join(root, "nope")}: no such folder.`);
  });

  it("checks an expected digest (as a registry records it)", async () => {
    const saved = await saving;
    const files = await readArtifactFiles(base);
    expect((await loadModelFromFiles(files, { expectedDigest: saved.digest })).digest).toBe(saved.digest);
    await expect(loadModelFromFiles(files, { expectedDigest: "0".repeat(64) })).rejects.toThrow(`the artifact's digest is ${saved.digest}, but ${"0".repeat(64)} was expected`);
  });

  it("refuses a manifest that matches its digest but is not a valid manifest", async () => {
    await saving;
    const dir = fresh();
    cpSync(base, dir, { recursive: true });
    rewriteManifest(dir, (m) => {
      (m as unknown as { files: unknown }).files = "all of them";
    });
    await expect(loadModel(dir)).rejects.toThrow("manifest.json is not a valid trellis-model/1 manifest: files:");
  });
});

describe("version compatibility", () => {
  const pipe = fittedMixedPipeline();

  async function artifactWrittenBy(version: string): Promise<{ dir: string; digest: string }> {
    const dir = fresh();
    await saveModel(pipe, dir, { inputSchema: MixedRow, name: "churn" });
    const digest = rewriteManifest(dir, (m) => {
      m.libraries["@trellis/prod"] = version;
    });
    return { dir, digest };
  }

  it("refuses an artifact written by a newer library under the strict policy, naming both versions", async () => {
    const { dir } = await artifactWrittenBy("0.2.0");
    const err = await loadModel(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncompatibleArtifactError);
    expect((err as IncompatibleArtifactError).written).toBe("0.2.0");
    expect((err as IncompatibleArtifactError).running).toBe(PROD_VERSION);
    expect((err as Error).message).toBe(
      `Cannot load model "churn": the model was written by @trellis/prod 0.2.0 and this is @trellis/prod ${PROD_VERSION}, which loads artifacts of 0.1.0 to 0.1.${PROD_VERSION.split(".")[2]} only; install @trellis/prod 0.2.0 (or a later compatible release) to load it (or pass versionPolicy: "warn" to load it anyway).`,
    );
    const v = await verifyArtifact(dir);
    expect(v.ok).toBe(false);
    expect(v.compatibility).toEqual({ compatible: false, written: "0.2.0", running: PROD_VERSION, reason: expect.stringContaining("written by @trellis/prod 0.2.0") });
  });

  it("loads under the warn policy and warns once per artifact digest", async () => {
    const a = await artifactWrittenBy("0.9.1");
    const b = await artifactWrittenBy("0.8.0");
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      for (let k = 0; k < 3; k++) await loadModel(a.dir, { versionPolicy: "warn" });
      await loadModel(b.dir, { versionPolicy: "warn" });
      await loadModel(b.dir, { versionPolicy: "warn" });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.map((w) => (w as Error & { code?: string }).code)).toEqual(["TRELLIS_INCOMPATIBLE_ARTIFACT", "TRELLIS_INCOMPATIBLE_ARTIFACT"]);
    expect(warnings[0].message).toContain(`digest ${a.digest.slice(0, 12)}`);
    expect(warnings[0].message).toContain("written by @trellis/prod 0.9.1");
    expect(warnings[1].message).toContain(`digest ${b.digest.slice(0, 12)}`);
  });

  it("refuses a newer artifact format under every policy", async () => {
    const dir = fresh();
    await saveModel(pipe, dir, { inputSchema: MixedRow });
    rewriteManifest(dir, (m) => {
      m.formatVersion = 2;
    });
    await expect(loadModel(dir, { versionPolicy: "warn" })).rejects.toThrow(IncompatibleArtifactError);
    await expect(loadModel(dir, { versionPolicy: "warn" })).rejects.toThrow("the artifact has format trellis-model/2");
  });

  it("accepts an artifact from an older compatible release", async () => {
    const m = { formatVersion: 1, libraries: { "@trellis/prod": "0.1.0" } };
    expect(checkCompatibility(m, "0.1.3").compatible).toBe(true);
    expect(checkCompatibility(m, "0.2.0")).toEqual({
      compatible: false,
      written: "0.1.0",
      running: "0.2.0",
      reason: "the model was written by @trellis/prod 0.1.0 and this is @trellis/prod 0.2.0, which loads artifacts of 0.2.0 to 0.2.0 only; re-save the model with @trellis/prod 0.2.0, or load it with @trellis/prod 0.1.0",
    });
  });
});

describe("packModel", () => {
  it("builds the same files saveModel writes, without a folder", async () => {
    const pipe = fittedMixedPipeline();
    const packed = await packModel(pipe, { inputSchema: MixedRow, lineage: { git: false } });
    expect([...packed.files.keys()].sort()).toEqual(["manifest.json", "manifest.sha256", "model.json"]);
    const loaded = await loadModelFromFiles(packed.files);
    expect(loaded.digest).toBe(packed.digest);
    expect(loaded.manifest.lineage.git).toBeNull();
    void labels;
  });
});
