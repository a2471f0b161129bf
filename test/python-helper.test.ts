// The one place tests find their cross-check Python (test/helpers/python.ts): the order it tries
// interpreters in, the reason a test skips with, and the required mode CI runs in.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { crossChecksRequired, findPython, pythonCandidates, pythonOf, runPython } from "./helpers/python";

const dir = mkdtempSync(join(tmpdir(), "trellis-python-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in interpreter: a shell script that exits with `status` and echoes its last argument. */
function fakePython(name: string, status: number): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nfor a; do last="$a"; done\necho "$last"\nexit ${status}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe("the cross-check Python", () => {
  it("tries TRELLIS_PYTHON alone when it is set, else ends with the python3 on the PATH", () => {
    expect(pythonCandidates({ TRELLIS_PYTHON: "/opt/py/bin/python" })).toEqual(["/opt/py/bin/python"]);
    const found = pythonCandidates({});
    expect(found.at(-1)).toBe("python3");
    expect(found.length === 1 || found[0]!.endsWith(join(".venv-notebooks", "bin", "python"))).toBe(true);
  });

  it("reads TRELLIS_CROSSCHECKS_REQUIRED as a flag", () => {
    expect([undefined, "", "0", "false", "1", "yes"].map((v) => crossChecksRequired(v === undefined ? {} : { TRELLIS_CROSSCHECKS_REQUIRED: v }))).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
    ]);
  });

  it("gives the reason to skip, naming each interpreter tried and the fix", () => {
    const absent = join(dir, "absent-python");
    const probe = findPython(["pyarrow", "pandas"], { TRELLIS_PYTHON: absent });
    expect(probe.python).toBeUndefined();
    expect(probe.missing).toMatch(new RegExp(`^no Python imports pyarrow, pandas \\(${absent.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: .*ENOENT.*\\); run \`npm run notebooks -- --setup-only --crosschecks\` or set TRELLIS_PYTHON$`));
    expect(() => pythonOf(probe)).toThrow(probe.missing);
    expect(() => runPython(probe, "print(1)")).toThrow(probe.missing);
  });

  it("throws instead of skipping when cross-checks are required", () => {
    const env = { TRELLIS_PYTHON: join(dir, "absent-python"), TRELLIS_CROSSCHECKS_REQUIRED: "1" };
    expect(() => findPython(["sklearn"], env)).toThrow(/^cross-checks are required \(TRELLIS_CROSSCHECKS_REQUIRED is set\) but no Python imports sklearn \(/);
  });

  it.skipIf(process.platform === "win32")("uses an interpreter whose import succeeds and runs scripts with it", () => {
    const good = fakePython("good-python", 0);
    const probe = findPython(["pyarrow"], { TRELLIS_PYTHON: good });
    expect(probe).toEqual({ python: good });
    expect(runPython(probe, "ignored", ["last-argument"]).trim()).toBe("last-argument");
    const bad = fakePython("bad-python", 3);
    expect(findPython(["pyarrow"], { TRELLIS_PYTHON: bad }).missing).toMatch(/^no Python imports pyarrow \(.*bad-python: exit status 3\)/);
    expect(() => runPython({ python: bad }, "ignored")).toThrow(`${bad} exited with status 3`);
  });
});
