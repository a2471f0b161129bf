/** Loads the point-in-time reference fixture (`test/fixtures/reference/pit`) as Arrow tables. */
import { readFileSync } from "node:fs";
import * as arrow from "apache-arrow";

const dir = new URL("../../../test/fixtures/reference/pit/", import.meta.url);

/** Raw CSV cells (the fixture has no quoted cells); empty cell → null. */
export function readCsv(name: string): { header: string[]; rows: (string | null)[][] } {
  const lines = readFileSync(new URL(name, dir), "utf8").trim().split(/\r?\n/);
  const header = lines[0].split(",");
  return { header, rows: lines.slice(1).map((l) => l.split(",").map((c) => (c === "" ? null : c))) };
}

export const pitCase = JSON.parse(readFileSync(new URL("case.json", dir), "utf8")) as {
  ttl_days: number;
  entity_key: string;
  timestamp: string;
  created_timestamp: string;
  features: string[];
  feature_rows: number;
  entity_rows: number;
  matched: number;
};

const ts = new arrow.TimestampMicrosecond("UTC");

function col(rows: (string | null)[][], i: number, kind: "int" | "float" | "ts" | "str"): arrow.Vector {
  const cells = rows.map((r) => r[i]);
  switch (kind) {
    case "int":
      return arrow.vectorFromArray(cells.map((c) => (c === null ? null : BigInt(c))), new arrow.Int64());
    case "float":
      return arrow.vectorFromArray(cells.map((c) => (c === null ? null : Number(c))), new arrow.Float64());
    case "ts":
      return arrow.vectorFromArray(cells.map((c) => (c === null ? null : new Date(c))), ts);
    case "str":
      return arrow.vectorFromArray(cells, new arrow.Utf8());
  }
}

/** The feature rows (all, or the given row indices in that order): customer_id Int64, event_ts/created_ts Timestamp(µs, UTC), orders_30d Int64, avg_basket Float64, segment Utf8. */
export function featureTable(pickRows?: readonly number[]): arrow.Table {
  const all = readCsv("customer_features.csv").rows;
  const rows = pickRows ? pickRows.map((i) => all[i]) : all;
  return new arrow.Table({
    customer_id: col(rows, 0, "int"),
    event_ts: col(rows, 1, "ts"),
    created_ts: col(rows, 2, "ts"),
    orders_30d: col(rows, 3, "int"),
    avg_basket: col(rows, 4, "float"),
    segment: col(rows, 5, "str"),
  });
}

/** The entity rows: customer_id Int64, event_ts Timestamp(µs, UTC), label Int64. */
export function entityTable(): arrow.Table {
  const { rows } = readCsv("entity_rows.csv");
  return new arrow.Table({ customer_id: col(rows, 0, "int"), event_ts: col(rows, 1, "ts"), label: col(rows, 2, "int") });
}

/** The entity rows as plain objects with ISO timestamps, as a user would pass them. */
export function entityObjects(): { customer_id: number; event_ts: string; label: number }[] {
  return readCsv("entity_rows.csv").rows.map((r) => ({ customer_id: Number(r[0]), event_ts: r[1]!, label: Number(r[2]) }));
}

/** expected.csv as strings: one array of 6 cells (null for empty) per entity row. */
export function expectedCells(): (string | null)[][] {
  return readCsv("expected.csv").rows;
}

/**
 * Renders a result row in the fixture's CSV text form, so results compare cell by cell with expected.csv:
 * integers and floats by JS shortest round-trip form, timestamps as `YYYY-MM-DDTHH:MM:SSZ`.
 */
export function cell(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString().replace(".000Z", "Z");
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return String(v);
  return String(v);
}

/** A result table's rows as fixture cells, in the fixture column order. */
export function tableCells(table: arrow.Table, columns = ["customer_id", "event_ts", "label", "orders_30d", "avg_basket", "segment"]): (string | null)[][] {
  const cols = columns.map((c) => {
    const v = table.getChild(c);
    if (!v) throw new Error(`result has no column ${c}; it has ${table.schema.fields.map((f) => f.name).join(", ")}`);
    return { v, isTs: arrow.DataType.isTimestamp(v.type) };
  });
  const out: (string | null)[][] = [];
  for (let i = 0; i < table.numRows; i++) {
    out.push(cols.map(({ v, isTs }) => {
      const x: unknown = v.get(i);
      return cell(isTs && typeof x === "number" ? new Date(x) : x);
    }));
  }
  return out;
}
