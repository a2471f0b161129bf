import * as arrow from "apache-arrow";

/**
 * A result that carries its rows in `.table`, such as what {@link readCsv} and {@link readJson}
 * return (`{ table, inferred }`). Functions that write or load a table accept it as the table.
 * @example
 * const csv: WithTable = await readCsv("orders.csv");
 * await writeParquet(csv, "orders.parquet"); // same as writeParquet(csv.table, …)
 */
export interface WithTable {
  table: arrow.Table;
}

/**
 * The table of a {@link WithTable} result; anything else unchanged. @internal
 */
export function unwrapTable<T>(data: T | WithTable): T | arrow.Table {
  if (
    data !== null &&
    typeof data === "object" &&
    !(data instanceof arrow.Table) &&
    !(Symbol.asyncIterator in data) &&
    !(Symbol.iterator in data) &&
    (data as WithTable).table instanceof arrow.Table
  ) {
    return (data as WithTable).table;
  }
  return data as T;
}
