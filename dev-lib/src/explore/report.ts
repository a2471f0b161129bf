/**
 * The report object every exploration function returns: an Arrow table with a title, printing as an
 * aligned text table and rendering as self-contained HTML through @trellis/shared's report
 * renderers.
 */
import type * as arrow from "apache-arrow";
import { formatTable, tableToHtml } from "@trellis/shared";
import type { Report, ReportTableOptions } from "@trellis/shared";

/**
 * An exploration report: `table` holds the data (one row per column summarised, or a matrix),
 * `toString()` an aligned text table, `toHTML()` a self-contained HTML table.
 * @example
 * const report = describe(trainTable);
 * console.log(String(report));
 * report.table.getChild("mean")?.get(0);
 */
export class ExploreReport implements Report {
  /** The report's data. */
  readonly table: arrow.Table;
  /** The heading shown above the table. */
  readonly title: string;
  private readonly render: ReportTableOptions & { rowStatus?: (row: number) => string | undefined };

  constructor(table: arrow.Table, title: string, render: ReportTableOptions & { rowStatus?: (row: number) => string | undefined } = {}) {
    this.table = table;
    this.title = title;
    this.render = render;
  }

  /** The rows of the report as plain objects (for assertions and custom rendering). */
  rows(): Record<string, unknown>[] {
    return this.table.toArray().map((r) => ({ ...(r as { toJSON(): Record<string, unknown> }).toJSON() }));
  }

  /** An aligned plain-text table with the title above it. */
  toString(): string {
    const { rowStatus: _status, ...text } = this.render;
    return formatTable(this.table, { maxRows: 200, ...text, title: this.title });
  }

  /** A self-contained HTML table with the title as its caption. */
  toHTML(): string {
    return tableToHtml(this.table, { maxRows: 200, ...this.render, title: this.title });
  }
}
