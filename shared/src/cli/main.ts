#!/usr/bin/env node
// The `trellis` executable (built to dist/cli.js and dist/cli.cjs): see ./run for the commands.
import { runCli } from "./run";

let finished = false;
// Node exits with code 0 when its event loop empties while a promise is still pending; a command
// that never settled must not look like a success.
process.on("exit", () => {
  if (!finished) {
    process.stderr.write("\ntrellis: the command stopped before finishing (an operation never completed); nothing was reported as done.\n");
    process.exitCode = 1;
  }
});

runCli(process.argv.slice(2)).then(
  (code) => {
    finished = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    finished = true;
    process.stderr.write(`trellis: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
