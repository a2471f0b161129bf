/**
 * vitest global set-up: makes, once per run, the pristine PGlite data directory that every
 * `embedded:memory` warehouse of the test files starts from (see embedded-memory.ts), so each one
 * loads a tarball instead of running initdb. The tarball is kept in node_modules/.cache, named by
 * the PGlite version, and reused by later runs with the same version.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The pristine PGlite data directory tarball, or "" when it could not be made. */
    pgliteMemoryTemplate: string;
  }
}

const root = fileURLToPath(new URL("../..", import.meta.url));

export default async function setup(project: TestProject): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(root, "node_modules", "@electric-sql", "pglite", "package.json"), "utf8")) as { version: string };
  const dir = join(root, "node_modules", ".cache", "trellis-test");
  const file = join(dir, `pglite-${pkg.version}-memory.tar`);
  if (!existsSync(file)) {
    const { PGlite } = await import("@electric-sql/pglite");
    const db = await PGlite.create();
    const dump = await db.dumpDataDir("none");
    await db.close();
    mkdirSync(dir, { recursive: true });
    // Written under another name first: a concurrent run never reads half a tarball.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, new Uint8Array(await dump.arrayBuffer()));
    renameSync(partial, file);
  }
  project.provide("pgliteMemoryTemplate", file);
}
