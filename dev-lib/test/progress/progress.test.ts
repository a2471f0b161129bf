import { describe, expect, it } from "vitest";
import { loadTslab, progress, progressHtml, type ProgressEvent } from "../../src/progress/progress";

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, out: { isTTY, columns: 200, write: (t: string) => chunks.push(t) } };
}

describe("progress", () => {
  it("is silent unless asked", () => {
    const p = progress(undefined, { total: 3 });
    p.tick();
    p.done();
    expect(progress(false, { total: 3 })).toBe(p);
  });

  it("passes every report to a callback with done, total, unit and time left", () => {
    const events: ProgressEvent[] = [];
    const p = progress((e) => events.push(e), { total: 4, unit: "fits", label: "cv" });
    p.tick();
    p.tick(3);
    p.done();
    expect(events.map((e) => [e.label, e.done, e.total, e.unit])).toEqual([
      ["cv", 1, 4, "fits"],
      ["cv", 4, 4, "fits"],
    ]);
    expect(events[1].etaSeconds).toBe(0);
    expect(events[0].seconds).toBeGreaterThanOrEqual(0);
  });

  it("draws a bar on a terminal and plain lines elsewhere (the final line always)", () => {
    const tty = sink(true);
    const p = progress(true, { total: 2, unit: "fits", label: "search", output: tty.out, notebook: null });
    p.tick();
    p.tick();
    p.done();
    expect(tty.chunks[0]).toMatch(/^\rsearch \[##########----------\]  1\/2 fits  50%/);
    expect(tty.chunks.at(-1)).toMatch(/2\/2 fits  100%.*\n$/);

    const pipe = sink(false);
    const q = progress("bar", { total: 2, unit: "fits", output: pipe.out, notebook: null, plainIntervalMs: 60_000 });
    q.tick();
    q.tick();
    q.done();
    expect(pipe.chunks.length).toBe(1);
    expect(pipe.chunks[0]).toMatch(/^\[####################\]  2\/2 fits  100% .*\n$/);
  });

  it("updates one HTML progress element in place in a notebook", () => {
    const html: string[] = [];
    const p = progress(true, { total: 3, unit: "fits", label: "GridSearchCV <x>", notebook: { html: (s) => html.push(s) } });
    p.tick();
    p.done();
    expect(html[0]).toContain('<progress value="0" max="3"');
    expect(html.at(-1)).toContain('<progress value="1" max="3"');
    expect(html.at(-1)).toContain("GridSearchCV &lt;x&gt;");
  });

  it("falls back to the terminal when the notebook display refuses (not in a kernel)", () => {
    const tty = sink(true);
    const p = progress(true, { total: 1, output: tty.out, notebook: { html: () => { throw new Error("Not ready"); } } });
    p.tick();
    p.done();
    expect(tty.chunks.at(-1)).toMatch(/1\/1 tasks  100%/);
  });

  it("refuses an unknown option", () => {
    expect(() => progress("loud" as never, { total: 1 })).toThrow('onProgress must be true, "bar", a function or false, got "loud".');
  });

  it("finds no tslab outside a notebook kernel, without an error", () => {
    expect(loadTslab()).toBeNull();
  });

  it("renders the figures as escaped HTML", () => {
    const s = progressHtml({ label: "a&b", done: 5, total: 10, unit: "fits", seconds: 10, etaSeconds: 10 });
    expect(s).toContain("a&amp;b");
    expect(s).toContain("5/10 fits · 0.50 fits/s · ETA 10.0 s · 10.0 s");
  });
});
