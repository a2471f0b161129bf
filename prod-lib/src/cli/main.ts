#!/usr/bin/env node
// The `trellis-prod` executable (dist/cli/main.cjs): `trellis-prod model inspect|verify <dir>`.
import { runProdCli } from "./model";

runProdCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`trellis-prod: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
