/**
 * Starting the library's worker threads (parallel Parquet decoding, parallel CSV parsing) the same
 * way from the built package and from TypeScript sources, under whatever Node options the process
 * was started with.
 *
 * Workers are started from a small eval'd bootstrap with no `execArgv`, so they inherit the
 * process's options the way Node inherits them. Passing `execArgv` explicitly would make Node refuse
 * per-process options such as `--max-old-space-size` (ERR_WORKER_INVALID_EXEC_ARGV); and a worker
 * started from a file in a process run with `--input-type` (a script given with -e or on standard
 * input) fails with ERR_INPUT_TYPE_NOT_ALLOWED, which an eval'd bootstrap does not.
 */
import { pathToFileURL } from "node:url";

/**
 * The eval'd bootstrap that loads the worker script `file`. For a TypeScript file, pass the path of
 * tsx's CommonJS API: the bootstrap registers its hooks (they work inside worker threads on every
 * supported Node; tsx's ESM hooks do not on Node 20) and requires the file through them. The
 * bootstrap uses only dynamic imports, so it runs whether Node evaluates it as CommonJS or as a
 * module (a process started with `--input-type=module` passes that on to its workers).
 * @example new Worker(workerBootstrap("/app/node_modules/@trellis/shared/dist/csv-worker.js"), { eval: true })
 */
export function workerBootstrap(file: string, tsxCjsApi?: string): string {
  if (tsxCjsApi === undefined) return `import(${JSON.stringify(pathToFileURL(file).href)});`;
  const f = JSON.stringify(file);
  return `import("node:module").then(({ createRequire }) => { const r = createRequire(${f}); r(${JSON.stringify(tsxCjsApi)}).register(); r(${f}); });`;
}
