/** Shared helpers of the Parquet tests: fixture paths, temporary folders, the Python that has pyarrow. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findPython, runPython } from "../../../test/helpers/python";

/** Folder of the pyarrow-written fixtures (test/fixtures/reference/parquet). */
export const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/reference/parquet/", import.meta.url));
/** The five encodings of the fixture table. */
export const FIXTURE_FILES = ["default", "v2_pages_zstd", "plain_gzip", "small_row_groups", "format_1_0"] as const;

export interface Expected {
  id: number[];
  big: bigint[];
  i32: (number | null)[];
  f64: (number | null)[];
  f32: (number | null)[];
  flag: (boolean | null)[];
  cat: (string | null)[];
  ts_us: number[];
  ts_ms: number[];
  ts_ns: number[];
  day: number[];
}

/** expected.json, with `big` parsed from the JSON text as exact bigints (JSON.parse would round them). */
export function loadExpected(): Expected {
  const text = readFileSync(join(FIXTURES, "expected.json"), "utf8");
  const parsed = JSON.parse(text) as Omit<Expected, "big">;
  const m = /"big"\s*:\s*\[([^\]]*)\]/.exec(text);
  if (!m) throw new Error("expected.json has no big column");
  const big = m[1].split(",").map((s) => BigInt(s.trim()));
  return { ...parsed, big };
}

/** A fresh temporary folder; remove it with the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `trellis-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Undefined when a Python that imports pyarrow is found (test/helpers/python.ts); otherwise the reason to skip. */
export function pyarrowMissing(): string | undefined {
  return findPython(["pyarrow"]).missing;
}

/** Runs a script with that Python and arguments; returns stdout, throws with stderr on failure. */
export function python(script: string, args: string[] = []): string {
  return runPython(findPython(["pyarrow"]), script, args);
}
