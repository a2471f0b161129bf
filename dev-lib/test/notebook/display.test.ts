import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { tableFromRows } from "@trellis/shared";
import { histogram } from "../../src/charts/basic";
import { describe as describeTable } from "../../src/explore/describe";
import { display, resolveNotebookDisplay, setDisplayBackend } from "../../src/notebook/display";
import type { DisplayBackend } from "../../src/notebook/display";

const dir = mkdtempSync(join(tmpdir(), "trellis-display-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => setDisplayBackend(undefined));

function recorder(): DisplayBackend & { calls: [string, string][] } {
  const calls: [string, string][] = [];
  return { calls, html: (s) => calls.push(["html", s]), svg: (s) => calls.push(["svg", s]), text: (s) => calls.push(["text", s]) };
}

const report = describeTable(tableFromRows([{ x: 1 }, { x: 2 }]));
const chart = histogram([1, 2, 2, 3], { bins: 3 });

describe("display in a notebook (a backend set with setDisplayBackend)", () => {
  it("shows reports as HTML, charts as SVG and other values as text", () => {
    const fake = recorder();
    setDisplayBackend(fake);
    expect(display(report)).toBeUndefined();
    display(chart);
    display({ a: 1 });
    expect(fake.calls).toEqual([
      ["html", report.toHTML()],
      ["svg", chart.svg],
      ["text", "{ a: 1 }"],
    ]);
  });

  it("falls back to text when the notebook refuses (tslab outside a running kernel says 'Not ready')", () => {
    const refusing: DisplayBackend = {
      html: () => {
        throw new Error("Not ready");
      },
      svg: () => {
        throw new Error("Not ready");
      },
      text: () => {
        throw new Error("Not ready");
      },
    };
    setDisplayBackend(refusing);
    const out: string[] = [];
    display(chart, { write: (t) => out.push(t) });
    expect(out).toEqual([`${String(chart)}\n`]);
  });

  it("refuses a backend without the three methods", () => {
    expect(() => setDisplayBackend({ html() {} } as unknown as DisplayBackend)).toThrow(
      "setDisplayBackend: the backend has no svg() method; pass an object with html, svg and text functions (e.g. tslab's display).",
    );
  });
});

describe("display outside a notebook", () => {
  it("writes the text form only when called, and saves a chart where asked", () => {
    setDisplayBackend(null);
    const out: string[] = [];
    const path = join(dir, "hist.svg");
    display(chart, { save: path, write: (t) => out.push(t) });
    expect(readFileSync(path, "utf8")).toBe(`${chart.svg}\n`);
    expect(out).toEqual([`histogram of values: 3 bins over [1, 3], 4 values\n(saved to ${path})\n`]);
    display(report, { write: (t) => out.push(t) });
    expect(out[1]).toBe(`${report.toString()}\n`);
  });

  it("saves a report as an HTML page and refuses to save plain values", () => {
    setDisplayBackend(null);
    const path = join(dir, "report.html");
    display(report, { save: path, write: () => {} });
    expect(readFileSync(path, "utf8")).toContain(report.toHTML());
    expect(() => display(42, { save: join(dir, "x.svg") })).toThrow("display: cannot save number; save works for charts and objects with toHTML().");
  });

  it("prints to stdout by default, with no error when tslab cannot be found", () => {
    const writes: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      writes.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      // Automatic lookup: no kernel runs here, so tslab (installed or not) cannot display.
      display("plain words");
    } finally {
      process.stdout.write = original;
    }
    expect(writes).toEqual(["plain words\n"]);
  });
});

describe("resolveNotebookDisplay", () => {
  it("finds nothing for a module that does not exist", () => {
    expect(resolveNotebookDisplay("trellis-no-such-notebook-kernel")).toBeUndefined();
  });

  it("finds a running kernel's display among the loaded modules (its dist/jupyter.js)", () => {
    // A stand-in kernel package laid out as tslab's: dist/jupyter.js (loaded by the kernel) and dist/index.js.
    const root = join(dir, "node_modules", "fake-kernel", "dist");
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, "jupyter.js"), "exports.ready = true;\n");
    writeFileSync(
      join(root, "index.js"),
      "const shown = [];\nexports.shown = shown;\nexports.display = { html: (s) => shown.push(['html', s]), svg: (s) => shown.push(['svg', s]), text: (s) => shown.push(['text', s]) };\n",
    );
    const req = createRequire(join(dir, "probe.js"));
    expect(resolveNotebookDisplay("fake-kernel")).toBeUndefined(); // not loaded yet, not resolvable from here
    req(join(root, "jupyter.js"));
    const backend = resolveNotebookDisplay("fake-kernel");
    expect(backend).toBeDefined();
    backend!.svg("<svg/>");
    expect((req(join(root, "index.js")) as { shown: unknown[] }).shown).toEqual([["svg", "<svg/>"]]);
  });
});
