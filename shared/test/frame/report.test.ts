import { describe, expect, it } from "vitest";
import { escapeHtml, formatTable, formatValue, tableFromRows, tableToHtml } from "@trellis/shared";

const table = tableFromRows([
  { column: "age", psi: 0.31234567, status: "drift" },
  { column: "plan<b>", psi: 0.001, status: null },
]);

describe("formatValue", () => {
  it("formats numbers, dates, bigints and booleans as a person reads them", () => {
    expect(formatValue(0.123456789, 4)).toBe("0.1235");
    expect(formatValue(12)).toBe("12");
    expect(formatValue(1.5e-7)).toBe("1.50000e-7");
    expect(formatValue(Number.NaN)).toBe("NaN");
    expect(formatValue(-Infinity)).toBe("-inf");
    expect(formatValue(2n ** 60n)).toBe("1152921504606846976");
    expect(formatValue(new Date(Date.UTC(2025, 5, 1)))).toBe("2025-06-01T00:00:00.000Z");
    expect(formatValue(true)).toBe("true");
    expect(formatValue(null)).toBe("");
  });
});

describe("formatTable", () => {
  it("aligns text left and numbers right under a rule", () => {
    expect(formatTable(table, { title: "Drift", digits: 3 })).toBe(
      ["Drift", "column     psi  status", "-------  -----  ------", "age      0.312  drift", "plan<b>  0.001  null"].join("\n"),
    );
  });

  it("summarises rows beyond maxRows and says when there are none", () => {
    expect(formatTable(table, { maxRows: 1 }).split("\n").at(-1)).toBe("… 1 more row");
    expect(formatTable(table.slice(0, 0))).toContain("(no rows)");
    expect(() => formatTable(table, { maxRows: -1 })).toThrow("maxRows must be a whole number ≥ 0, got -1.");
  });
});

describe("tableToHtml", () => {
  it("escapes every value and marks row status without scripts or external assets", () => {
    const html = tableToHtml(table, { title: "A & B", rowStatus: (r) => (r === 0 ? "drift" : undefined) });
    expect(html).toContain("<caption");
    expect(html).toContain("A &amp; B");
    expect(html).toContain("plan&lt;b&gt;");
    expect(html).toContain('<tr data-status="drift" style="background:#fde5e5">');
    expect(html).not.toMatch(/<script|src=|href=/);
    expect(escapeHtml(`<a href="x">'`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;");
  });
});
