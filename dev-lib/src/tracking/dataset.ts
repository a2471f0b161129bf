/**
 * What a run records about a dataset besides its digest: the schema as plain JSON.
 */
import type * as arrow from "apache-arrow";

/** One field of a recorded schema. */
export interface SchemaFieldInfo {
  name: string;
  /** Arrow's type name, e.g. `Float64`, `Timestamp<MICROSECOND, UTC>`, `Dictionary<Int32, Utf8>`. */
  type: string;
  nullable: boolean;
}

/**
 * The schema of a table as plain JSON: names, Arrow type names, nullability.
 * @example
 * schemaInfo(arrow.tableFromArrays({ x: Float64Array.from([1]) }).schema); // [{ name: "x", type: "Float64", nullable: false }]
 */
export function schemaInfo(schema: arrow.Schema): SchemaFieldInfo[] {
  return schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable }));
}
