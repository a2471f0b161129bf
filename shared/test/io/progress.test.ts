import { describe, expect, it } from "vitest";
import { createProgressBar, formatDuration, progressLine } from "../../src/io/progress";

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, out: { isTTY, columns: 200, write: (t: string) => chunks.push(t) } };
}

describe("progressLine", () => {
  it("shows a bar, counts, percentage, rate and time left when the total is known", () => {
    expect(progressLine("search ", { rows: 10, total: 40, seconds: 5, unit: "fits" })).toBe(
      "search [#####---------------]  10/40 fits  25%  2.00 fits/s  ETA 15.0 s  5.0 s",
    );
    expect(progressLine("", { rows: 40, total: 40, seconds: 90, unit: "fits" })).toBe(
      "[####################]  40/40 fits  100%  0.44 fits/s  1 min 30 s",
    );
  });

  it("keeps the rows line of data movement unchanged", () => {
    expect(progressLine("move: ", { rows: 50_000, seconds: 2 })).toBe("move: 50,000 rows  25,000 rows/s  2.0 s");
  });

  it("formats durations in seconds, minutes and hours", () => {
    expect(formatDuration(8.24)).toBe("8.2 s");
    expect(formatDuration(185)).toBe("3 min 05 s");
    expect(formatDuration(3720)).toBe("1 h 02 min");
  });
});

describe("createProgressBar", () => {
  it("writes periodic plain lines off a terminal only when asked", () => {
    const quiet = sink(false);
    const bar = createProgressBar({ output: quiet.out });
    bar.update({ rows: 1, seconds: 1 });
    bar.done({ rows: 2, seconds: 2 });
    expect(bar.active).toBe(false);
    expect(quiet.chunks).toEqual([]);

    const plain = sink(false);
    const lines = createProgressBar({ output: plain.out, label: "cv ", plainIntervalMs: 60_000 });
    lines.update({ rows: 1, total: 4, seconds: 1, unit: "fits" }); // within the interval: nothing
    lines.done({ rows: 4, total: 4, seconds: 2, unit: "fits" });
    expect(lines.active).toBe(true);
    expect(plain.chunks).toEqual(["cv [####################]  4/4 fits  100%  2.00 fits/s  2.0 s\n"]);
  });

  it("redraws one line in place on a terminal", () => {
    const tty = sink(true);
    const bar = createProgressBar({ output: tty.out, intervalMs: 0 });
    bar.update({ rows: 1, total: 2, seconds: 1, unit: "tasks" });
    bar.done({ rows: 2, total: 2, seconds: 2, unit: "tasks" });
    expect(tty.chunks[0].startsWith("\r[##########----------]  1/2 tasks")).toBe(true);
    expect(tty.chunks[1].endsWith("\n")).toBe(true);
  });
});
