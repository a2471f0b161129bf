#!/usr/bin/env node
// The `trellis-drift` executable (built to dist/cli/drift-main.cjs): `trellis-drift <ref> --from <source>`
// runs `trellis model drift` (see ./drift) and exits with its status.
import { runDriftCommand } from "./drift";

runDriftCommand(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`trellis model drift: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
