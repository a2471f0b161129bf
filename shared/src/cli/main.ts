#!/usr/bin/env node
// The `trellis` executable (built to dist/cli.js and dist/cli.cjs): see ./run for the commands.
import { runCli } from "./run";

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`trellis: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
