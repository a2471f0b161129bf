// Prints vitest's JSON report as a closing summary: the slowest test files, every skipped test with
// its file (a skipped test's name says why it skipped), and one last line
// "Tests: N passed, N failed, N skipped". With TRELLIS_CROSSCHECKS_REQUIRED set, a test skipped for
// want of Python (test/helpers/python.ts names "no Python …" in the skip) makes it exit with status 1.
import { readFileSync } from "node:fs";
import { relative } from "node:path";

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
  console.log(`Tests: could not read the test report ${file}: ${e.message}`);
  process.exit(1);
}
const files = report.testResults ?? [];
const name = (f) => relative(process.cwd(), f.name);

const timed = files
  .filter((f) => typeof f.startTime === "number" && typeof f.endTime === "number")
  .map((f) => ({ file: name(f), seconds: (f.endTime - f.startTime) / 1000 }))
  .sort((a, b) => b.seconds - a.seconds);
if (timed.length > 0) {
  console.log(`Slowest test files (of ${timed.length}):`);
  for (const t of timed.slice(0, 12)) console.log(`  ${t.seconds.toFixed(1).padStart(6)} s  ${t.file}`);
}

const skipped = files.flatMap((f) =>
  (f.assertionResults ?? [])
    .filter((a) => a.status === "pending" || a.status === "skipped" || a.status === "todo")
    .map((a) => ({ file: name(f), test: a.fullName || [...(a.ancestorTitles ?? []), a.title].join(" > ") })),
);
if (skipped.length > 0) {
  console.log(`Skipped tests (${skipped.length}):`);
  for (const s of skipped) console.log(`  ${s.file}: ${s.test}`);
}

let status = 0;
const required = (process.env.TRELLIS_CROSSCHECKS_REQUIRED ?? "").trim();
if (required !== "" && required !== "0" && required.toLowerCase() !== "false") {
  const noPython = skipped.filter((s) => /\bno Python (imports|starts)\b/.test(s.test));
  if (noPython.length > 0) {
    console.log(`Cross-checks are required (TRELLIS_CROSSCHECKS_REQUIRED) but ${noPython.length} skipped for want of Python.`);
    status = 1;
  }
}
const skippedCount = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`Tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skippedCount} skipped`);
process.exit(status);
