import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { z } from "zod";
import { LogisticRegression, Pipeline, canonicalJson, sha256Hex, type ModelManifest } from "@trellis/prod";
import { mixed, mixedPreprocessor } from "../compose/mixed";
import { readCsvRows } from "../helpers/fixtures";

export const train = readCsvRows("mixed_train.csv");
export const test = readCsvRows("mixed_test.csv");
export const labels = train.map((r) => r[mixed.label] as number);

/** The input schema of the mixed fixture: four nullable numbers and three nullable strings. */
export const MixedRow = z.object({
  tenure_months: z.number().nullable(),
  monthly_spend: z.number().nullable(),
  support_calls: z.number().nullable(),
  discount_rate: z.number().nullable(),
  plan: z.string().nullable(),
  region: z.string().nullable(),
  channel: z.string().nullable(),
});

/** The mixed pipeline of the scikit-learn fixture, fitted on the training rows. */
export function fittedMixedPipeline(): Pipeline<LogisticRegression> {
  return new Pipeline({ steps: [["prep", mixedPreprocessor()], ["clf", new LogisticRegression({ C: mixed.C })]] }).fit(train, labels);
}

/** A temporary folder removed after the file's tests. */
export function tempDir(prefix = "trellis-artifact-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Rewrites an artifact folder's manifest (keeping it canonical and its digest file in step). */
export function rewriteManifest(dir: string, change: (m: ModelManifest) => void): string {
  const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ModelManifest;
  change(m);
  const text = canonicalJson(m);
  writeFileSync(join(dir, "manifest.json"), text);
  const digest = sha256Hex(text);
  writeFileSync(join(dir, "manifest.sha256"), `${digest}  manifest.json\n`);
  return digest;
}
