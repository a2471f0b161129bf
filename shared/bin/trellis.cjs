#!/usr/bin/env node
// The `trellis` command: runs the built command-line entry. A package installed from npm ships it in
// dist/; in a clone of the repository it appears after `npm run build`.
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const cli = join(__dirname, "..", "dist", "cli.cjs");
if (!existsSync(cli)) {
  process.stderr.write(`trellis: ${cli} is missing; in a clone of the repository run \`npm run build\` first.\n`);
  process.exit(1);
}
require(cli);
