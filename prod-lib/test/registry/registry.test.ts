import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { Warehouse } from "@trellis/shared";
import { ModelRegistry, RegistryError, parseModelRef, runRegistryCommand, type SavedModel } from "@trellis/prod";
import { TEST_PG_URL, uniqueName, useWarehouses } from "../../../shared/test/helpers/warehouses";
import { tempDir } from "../artifact/helpers";
import { saveArtifacts } from "./helpers";

const targets = useWarehouses();
const dir = tempDir("trellis-registry-");
let saved: SavedModel[];
beforeAll(async () => {
  saved = await saveArtifacts(dir, 4);
});

describe("parseModelRef", () => {
  it("reads aliases, version numbers and latest, and refuses other forms", () => {
    expect(parseModelRef("churn@production")).toEqual({ name: "churn", selector: "production" });
    expect(parseModelRef("churn@12")).toEqual({ name: "churn", selector: 12 });
    expect(parseModelRef("churn@latest")).toEqual({ name: "churn", selector: "latest" });
    expect(() => parseModelRef("churn")).toThrow('model reference "churn" is not of the form name@alias, name@<version> or name@latest');
    expect(() => parseModelRef("churn@v3")).toThrow('alias "v3" looks like a version number');
    expect(() => parseModelRef("bad name@1")).toThrow('model name "bad name" is not valid');
  });
});

describe.each(targets)("ModelRegistry on $name", (target) => {
  const open = async () => ModelRegistry.open(await target.open(), { schema: uniqueName("reg") });

  it("numbers versions 1, 2, 3 per name and returns the existing version for a known digest", async () => {
    const reg = await open();
    expect(await reg.register("churn", saved[0]!.dir)).toEqual({ name: "churn", version: 1, digest: saved[0]!.digest, created: true });
    expect((await reg.register("churn", saved[1]!)).version).toBe(2);
    expect(await reg.register("churn", saved[0]!.dir)).toEqual({ name: "churn", version: 1, digest: saved[0]!.digest, created: false });
    expect((await reg.register("other", saved[0]!.dir)).version).toBe(1);
    const models = await reg.listModels();
    expect(models.map((m) => [m.name, m.latestVersion, m.versions])).toEqual([["churn", 2, 2], ["other", 1, 1]]);
  });

  it("never reuses a version number, also after a version is deleted", async () => {
    const reg = await open();
    for (const s of saved.slice(0, 3)) await reg.register("m", s.dir);
    await reg.setAlias("m", "production", 3);
    await reg.deleteVersion("m", 3);
    const deleted = await reg.getVersion("m@3");
    expect(deleted.status).toBe("DELETED");
    expect(deleted.aliases).toEqual([]);
    await expect(reg.getVersion("m@production")).rejects.toThrow('model "m" has no alias "production"');
    await expect(reg.getArtifactFiles("m@3")).rejects.toThrow("model version m@3 was deleted and cannot be loaded");
    expect((await reg.register("m", saved[3]!.dir)).version).toBe(4);
    // The deleted digest registered again is a new, loadable version.
    expect((await reg.register("m", saved[2]!.dir)).version).toBe(5);
    expect((await reg.getVersion("m@latest")).version).toBe(5);
    expect((await reg.aliasHistory("m")).map((h) => [h.alias, h.from, h.to])).toEqual([["production", null, 3], ["production", 3, null]]);
  });

  it("moves aliases with history, refuses reserved and version-like names, and deletes aliases", async () => {
    const reg = await open();
    for (const s of saved.slice(0, 3)) await reg.register("churn", s.dir);
    expect(await reg.setAlias("churn", "production", 1)).toMatchObject({ alias: "production", from: null, to: 1 });
    expect(await reg.setAlias("churn", "production", 3)).toMatchObject({ from: 1, to: 3 });
    await reg.setAlias("churn", "staging", 2);
    const v = await reg.getVersion("churn@production");
    expect([v.version, v.digest, v.aliases]).toEqual([3, saved[2]!.digest, ["production"]]);
    await expect(reg.setAlias("churn", "latest", 1)).rejects.toThrow('alias "latest" is reserved');
    await expect(reg.setAlias("churn", "3", 1)).rejects.toThrow('alias "3" looks like a version number');
    await expect(reg.setAlias("churn", "V3", 1)).rejects.toThrow('alias "V3" looks like a version number');
    await expect(reg.setAlias("churn", "canary", 9)).rejects.toThrow("model version churn@9 does not exist: loadable versions: 1, 2, 3; aliases: production→3, staging→2");
    await expect(reg.setAlias("nobody", "canary", 1)).rejects.toThrow('no model named "nobody" is registered');
    await reg.deleteAlias("churn", "staging");
    await expect(reg.deleteAlias("churn", "staging")).rejects.toThrow('model "churn" has no alias "staging" to delete');
    expect((await reg.aliasHistory("churn", "production")).map((h) => h.to)).toEqual([1, 3]);
    expect((await reg.listModels())[0]!.aliases).toEqual({ production: 3 });
  });

  it("keeps tags and lineage queryable", async () => {
    const reg = await open();
    await reg.register("churn", saved[0]!.dir, { tags: { team: "growth" } });
    await reg.register("churn", saved[1]!.dir, { run: "run-override" });
    await reg.setTag("churn", 1, "validated_by", "ana");
    await reg.setTag("churn", 1, "team", "retention");
    await reg.setAlias("churn", "production", 1);
    expect((await reg.getVersion("churn@1")).tags).toEqual({ team: "retention", validated_by: "ana" });
    const lineage = await reg.lineage("churn@production");
    expect(lineage).toMatchObject({
      version: 1,
      runId: "run-m0",
      featureViews: [{ name: "stats", version: 2, schemaHash: null }],
      metrics: { index: 0 },
      aliases: ["production"],
    });
    expect(await reg.versionsOfRun("run-override")).toEqual([{ name: "churn", version: 2, digest: saved[1]!.digest }]);
    await expect(reg.setTag("churn", 7, "k", "v")).rejects.toThrow("model version churn@7 does not exist");
  });

  it("returns verified files and refuses rows changed after registration", async () => {
    const wh = await target.open();
    const schema = uniqueName("reg");
    const reg = await ModelRegistry.open(wh, { schema });
    await reg.register("churn", saved[0]!.dir);
    const got = await reg.getArtifactFiles("churn@1");
    expect([got.name, got.version, got.digest]).toEqual(["churn", 1, saved[0]!.digest]);
    expect([...got.files.keys()].sort()).toContain("model.json");

    const blob = `"${schema}".blobs`;
    const files = `"${schema}".files`;
    const sha = await wh.query(`SELECT sha256 FROM ${files} WHERE path = 'model.json'`);
    const modelSha = String(sha.getChild("sha256")!.get(0));
    await wh.exec(`UPDATE ${blob} SET bytes = bytes || '\\x20'::bytea, size = size + 1 WHERE sha256 = $1`, [modelSha]);
    await wh.exec(`UPDATE ${files} SET size = size + 1 WHERE sha256 = $1`, [modelSha]);
    await expect(reg.getArtifactFiles("churn@1")).rejects.toThrow(
      'stored file "model.json" of churn@1 does not match its recorded SHA-256 (the row was changed after registration)',
    );
    // Changed bytes stored with their own hash are caught by the manifest's recorded hash.
    const changed = new TextEncoder().encode('{"changed":true}');
    const changedSha = createHash("sha256").update(changed).digest("hex");
    await wh.exec(`INSERT INTO ${blob} (sha256, size, bytes) VALUES ($1, $2, $3)`, [changedSha, changed.length, changed]);
    await wh.exec(`UPDATE ${files} SET sha256 = $1, size = $2 WHERE path = 'model.json'`, [changedSha, changed.length]);
    await expect(reg.getArtifactFiles("churn@1")).rejects.toThrow(RegistryError);
    await expect(reg.getArtifactFiles("churn@1")).rejects.toThrow("the stored artifact of churn@1: the artifact does not verify: model.json does not match");
  });

  it("races 20 registrations of distinct artifacts in one process into 20 consecutive versions", async () => {
    const many = await saveArtifacts(dir, 20, `race-${target.name}-`);
    const reg = await open();
    const got = await Promise.all(many.map((s) => reg.register("raced", s.dir)));
    expect(got.map((g) => g.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("keeps a consistent alias history when moves race", async () => {
    const reg = await open();
    for (const s of saved) await reg.register("churn", s.dir);
    await Promise.all(Array.from({ length: 12 }, (_, i) => reg.setAlias("churn", "production", (i % 4) + 1)));
    const history = await reg.aliasHistory("churn", "production");
    expect(history).toHaveLength(12);
    for (let i = 1; i < history.length; i++) expect(history[i]!.from).toBe(history[i - 1]!.to);
    expect((await reg.getVersion("churn@production")).version).toBe(history.at(-1)!.to);
  });
});

const CHILD = fileURLToPath(new URL("./register-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function runChild(args: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe.skipIf(!TEST_PG_URL)("ModelRegistry with registrations racing from several processes on the server", () => {
  it("gives 20 registrations from 4 processes 20 distinct consecutive versions", { timeout: 120_000 }, async () => {
    const many = await saveArtifacts(dir, 20, "procs-");
    const schema = uniqueName("reg");
    const admin = await Warehouse.open(TEST_PG_URL!);
    try {
      const results = await Promise.all(
        [0, 1, 2, 3].map((p) => runChild([TEST_PG_URL!, schema, "raced", ...many.slice(p * 5, p * 5 + 5).map((s) => s.dir)])),
      );
      expect(results.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const reg = await ModelRegistry.open(admin, { schema });
      const versions = await reg.listVersions("raced");
      expect(new Set(versions.map((v) => v.digest)).size).toBe(20);
    } finally {
      await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await admin.close();
    }
  });
});

describe("trellis model list|show|promote|register", () => {
  const capture = () => {
    const io = { out: "", err: "", stdout: { write: (t: string) => (io.out += t) }, stderr: { write: (t: string) => (io.err += t) } };
    return io;
  };

  it("registers, promotes, lists and shows against a warehouse URL", async () => {
    const url = `embedded:${tempDir("trellis-registry-cli-")}/wh`;
    const run = async (...args: string[]) => {
      const io = capture();
      const code = await runRegistryCommand(args[0]!, args.slice(1), { ...io, env: {} });
      return { code, out: io.out, err: io.err };
    };
    expect(await run("register", saved[0]!.dir, "churn", "--warehouse", url)).toMatchObject({ code: 0, out: expect.stringContaining("registered churn version 1") });
    expect((await run("promote", "churn@1", "production", "--warehouse", url)).out).toBe("churn@production now points at version 1\n");
    const list = await run("list", "--warehouse", url);
    expect(list.out.split("\n").slice(0, 3)).toEqual(["name   latest  versions  aliases", "-----  ------  --------  ------------", "churn       1         1  production→1"]);
    const shown = await run("show", "churn@production", "--warehouse", url, "--json");
    expect(JSON.parse(shown.out)).toMatchObject({ name: "churn", version: 1, digest: saved[0]!.digest, lineage: { runId: "run-m0" } });
    expect((await run("show", "churn", "--warehouse", url)).out).toContain("model churn");
    expect(await run("promote", "churn@7", "production", "--warehouse", url)).toMatchObject({ code: 1, err: expect.stringContaining("model version churn@7 does not exist") });
    expect(await run("promote", "churn@1", "--warehouse", url)).toMatchObject({ code: 2, err: expect.stringContaining("expected 2 arguments, got 1") });
    expect(await run("list")).toMatchObject({ code: 2, err: expect.stringContaining("no warehouse given; pass --warehouse <url> or set TRELLIS_WAREHOUSE") });
  });
});

describe("trellis model (dispatcher) with registry references", () => {
  it("lists registered models and checks drift of a registry reference", async () => {
    const { LinearRegression, saveModel } = await import("@trellis/prod");
    const { runModelCommand } = await import("@trellis/prod/cli");
    const { writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { XRow } = await import("./helpers");
    const work = tempDir("trellis-model-dispatch-");
    const train = Array.from({ length: 300 }, (_, i) => ({ a: i % 50, b: (i * 7) % 11 }));
    const withReference = await saveModel(new LinearRegression().fit(train, train.map((r) => r.a + r.b)), join(work, "m"), {
      inputSchema: XRow,
      reference: train,
    });
    const url = `embedded:${work}/wh`;
    const io = { out: "", err: "", stdout: { write: (t: string) => (io.out += t) }, stderr: { write: (t: string) => (io.err += t) } };
    expect(await runModelCommand(["register", withReference.dir, "churn", "--warehouse", url], io)).toBe(0);
    expect(await runModelCommand(["list", "--warehouse", url], io)).toBe(0);
    expect(io.out).toContain("churn");
    const same = join(work, "same.csv");
    writeFileSync(same, "a,b\n" + train.map((r) => `${r.a},${r.b}`).join("\n") + "\n");
    const shifted = join(work, "shifted.csv");
    writeFileSync(shifted, "a,b\n" + train.map((r) => `${r.a + 40},${r.b}`).join("\n") + "\n");
    io.out = "";
    expect(await runModelCommand(["drift", "churn@1", "--from", same, "--warehouse", url], io)).toBe(0);
    expect(await runModelCommand(["drift", "churn@1", "--from", shifted, "--warehouse", url], io)).toBe(1);
    expect(io.out).toMatch(/drift/);
    expect(await runModelCommand(["drift", "churn@1", "--from", same], { ...io, stdout: io.stdout })).toBe(2);
  }, 180_000);
});
