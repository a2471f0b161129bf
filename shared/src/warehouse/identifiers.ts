import { InvalidArgumentError } from "../errors";

/** PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1). */
const MAX_IDENT_BYTES = 63;

/**
 * Validates a SQL identifier (a column, table or schema name) and returns it double-quoted, with
 * embedded double quotes doubled, so it can never end the identifier early: any string that passes
 * is safe to splice into SQL. Names are case-sensitive once quoted (`"Orders"` differs from `orders`).
 *
 * Rejected (with an {@link InvalidArgumentError} naming the value and the fix): non-strings, the empty
 * string, control characters (including NUL) and names longer than 63 UTF-8 bytes, which PostgreSQL
 * would silently truncate.
 * @example
 * quoteIdent("customer_id");          // '"customer_id"'
 * quoteIdent('x"; DROP TABLE t; --'); // '"x""; DROP TABLE t; --"'
 */
export function quoteIdent(name: string): string {
  return `"${checkIdent(name, "identifier").replace(/"/g, '""')}"`;
}

/**
 * Splits a table reference `"table"` or `"schema.table"` into its parts, validating each like
 * {@link quoteIdent}. The first dot separates schema and table; a name with more than one dot is
 * rejected (use a plain name without dots).
 * @example
 * splitTableName("analytics.orders"); // { schema: "analytics", table: "orders" }
 */
export function splitTableName(name: string): { schema?: string; table: string } {
  if (typeof name !== "string") {
    throw new InvalidArgumentError(`table name must be a string, got ${describe(name)}; pass e.g. "orders" or "analytics.orders".`);
  }
  const parts = name.split(".");
  if (parts.length > 2) {
    throw new InvalidArgumentError(
      `table name ${JSON.stringify(name)} has more than one dot; use "table" or "schema.table" (dots inside names are not supported).`,
    );
  }
  if (parts.length === 2) {
    return { schema: checkIdent(parts[0], "schema name", name), table: checkIdent(parts[1], "table name", name) };
  }
  return { table: checkIdent(parts[0], "table name", name) };
}

/**
 * Validates and quotes a table reference: `"table"` or `"schema.table"` (see {@link splitTableName}).
 * @example
 * quoteTableName("analytics.orders"); // '"analytics"."orders"'
 * quoteTableName("orders");           // '"orders"'
 */
export function quoteTableName(name: string): string {
  const { schema, table } = splitTableName(name);
  return schema === undefined ? quoteIdent(table) : `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

function checkIdent(name: unknown, what: string, whole?: string): string {
  const where = whole !== undefined && whole !== name ? ` in ${JSON.stringify(whole)}` : "";
  if (typeof name !== "string") {
    throw new InvalidArgumentError(`SQL ${what} must be a string, got ${describe(name)}; pass a non-empty name.`);
  }
  if (name.length === 0) {
    throw new InvalidArgumentError(`SQL ${what}${where} is empty; pass a non-empty name.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidArgumentError(
      `SQL ${what} ${JSON.stringify(name)}${where} contains a control character; use printable characters only.`,
    );
  }
  if (Buffer.byteLength(name, "utf8") > MAX_IDENT_BYTES) {
    throw new InvalidArgumentError(
      `SQL ${what} ${JSON.stringify(name)}${where} is longer than ${MAX_IDENT_BYTES} bytes and PostgreSQL would truncate it; use a shorter name.`,
    );
  }
  return name;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  return typeof v;
}
