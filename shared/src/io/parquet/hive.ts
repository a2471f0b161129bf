/**
 * Hive-style partitioned datasets: `root/region=emea/year=2024/part-0.parquet`.
 *
 * Folder names: values are percent-encoded like pyarrow does it (every byte outside
 * `A-Z a-z 0-9 - . _ ~` becomes `%XX` of its UTF-8 bytes, so `/`, `=`, `%`, `:` and spaces are
 * safe); a null value is written as `__HIVE_DEFAULT_PARTITION__`. Reading decodes `%XX` (which
 * also reads Spark's lighter escaping).
 *
 * Types on read: a dataset written by Trellis records its partition columns' Arrow types in each
 * file's key-value metadata (`trellis:partitions`), so they come back exactly (int64 stays int64,
 * dates stay dates). For other writers the rule follows pyarrow's inference: a column whose
 * non-null values are all integers is Int32 (Int64 when a value does not fit in 32 bits);
 * everything else is Utf8.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { DataIoError, InvalidArgumentError } from "../../errors";
import { ioError } from "./footer";
import { makeAnyData } from "./take";

/** The folder name pyarrow, Spark and Hive use for a null partition value. */
export const HIVE_NULL = "__HIVE_DEFAULT_PARTITION__";
/** Key-value metadata key under which Trellis records partition column types. */
export const PARTITION_META_KEY = "trellis:partitions";

/**
 * Percent-encodes a partition value the way pyarrow does (RFC 3986 unreserved characters kept).
 * @example
 * escapePartitionValue("a/b c"); // "a%2Fb%20c"
 */
export function escapePartitionValue(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Decodes a folder-name value; `null` for the Hive null marker.
 * @example
 * unescapePartitionValue("a%2Fb%20c"); // "a/b c"
 * unescapePartitionValue("__HIVE_DEFAULT_PARTITION__"); // null
 */
export function unescapePartitionValue(segment: string): string | null {
  if (segment === HIVE_NULL) return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // not valid percent-encoding: take the name literally, as pyarrow does
  }
}

/** Checks that a column may be used as a partition key (it becomes part of folder names). */
export function checkPartitionColumnName(name: string): void {
  if (!name || /[/\\=]/.test(name) || name.startsWith(".") || name.startsWith("_") || name === "..") {
    throw new InvalidArgumentError(
      `writeParquet: cannot partition by column ${JSON.stringify(name)}: partition column names become folder names and must ` +
        `not be empty, contain "/", "\\" or "=", or start with "." or "_"; rename the column first.`,
    );
  }
}

/** The storage type name of a partition column, or undefined when it cannot be a partition key. */
export function partitionTypeName(type: arrow.DataType): string | undefined {
  if (arrow.DataType.isDictionary(type)) return partitionTypeName(type.dictionary);
  if (arrow.DataType.isInt(type)) return `${type.isSigned ? "int" : "uint"}${type.bitWidth}`;
  if (arrow.DataType.isFloat(type)) {
    if (type.precision === arrow.Precision.SINGLE) return "float32";
    if (type.precision === arrow.Precision.DOUBLE) return "float64";
    return undefined;
  }
  if (arrow.DataType.isBool(type)) return "bool";
  if (type.typeId === arrow.Type.Utf8 || type.typeId === arrow.Type.LargeUtf8) return "utf8";
  if (arrow.DataType.isDate(type)) return type.unit === arrow.DateUnit.DAY ? "date32" : "date64";
  if (arrow.DataType.isTimestamp(type)) return `timestamp:${arrow.TimeUnit[type.unit]}:${type.timezone ?? ""}`;
  return undefined;
}

/** The Arrow type of a partition type name written by {@link partitionTypeName}. */
export function partitionTypeFromName(name: string): arrow.DataType {
  const int = /^(u?)int(8|16|32|64)$/.exec(name);
  if (int) return new arrow.Int(int[1] !== "u", Number(int[2]) as 8 | 16 | 32 | 64);
  if (name === "float32") return new arrow.Float32();
  if (name === "float64") return new arrow.Float64();
  if (name === "bool") return new arrow.Bool();
  if (name === "date32") return new arrow.DateDay();
  if (name === "date64") return new arrow.DateMillisecond();
  const ts = /^timestamp:(SECOND|MILLISECOND|MICROSECOND|NANOSECOND):(.*)$/.exec(name);
  if (ts) return new arrow.Timestamp(arrow.TimeUnit[ts[1] as "SECOND"], ts[2] || null);
  return new arrow.Utf8();
}

const UNIT_PER_MS: Record<number, number> = {
  [arrow.TimeUnit.SECOND]: 0.001,
  [arrow.TimeUnit.MILLISECOND]: 1,
  [arrow.TimeUnit.MICROSECOND]: 1000,
  [arrow.TimeUnit.NANOSECOND]: 1_000_000,
};

/**
 * The folder-name text of one value (as Arrow JS returns it from `get`), before escaping;
 * `null` for a null. Dates are `YYYY-MM-DD`, timestamps ISO 8601 in UTC with milliseconds.
 */
export function formatPartitionValue(value: unknown, type: arrow.DataType): string | null {
  if (value === null || value === undefined) return null;
  const t = arrow.DataType.isDictionary(type) ? type.dictionary : type;
  if (arrow.DataType.isDate(t)) {
    const iso = new Date(value as number).toISOString();
    return t.unit === arrow.DateUnit.DAY ? iso.slice(0, 10) : iso;
  }
  if (arrow.DataType.isTimestamp(t)) return new Date(value as number).toISOString();
  return String(value);
}

/**
 * Parses folder-name text into the storage value of `type` (bigint for 64-bit integers and
 * timestamps, days for date32, epoch ms for date64). Throws when the text does not fit the type.
 */
export function parsePartitionText(text: string | null, type: arrow.DataType, where: string): unknown {
  if (text === null) return null;
  const fail = (): never => {
    throw new DataIoError(`${where}: partition value ${JSON.stringify(text)} is not a valid ${type}; rename the folder or re-write the dataset.`, {
      path: where,
    });
  };
  if (arrow.DataType.isInt(type)) {
    if (!/^-?\d+$/.test(text)) fail();
    return type.bitWidth === 64 ? BigInt(text) : Number(text);
  }
  if (arrow.DataType.isFloat(type)) {
    const v = Number(text);
    if (Number.isNaN(v) && text !== "NaN") fail();
    return v;
  }
  if (arrow.DataType.isBool(type)) {
    if (text !== "true" && text !== "false") fail();
    return text === "true";
  }
  if (arrow.DataType.isDate(type)) {
    const ms = Date.parse(type.unit === arrow.DateUnit.DAY && text.length === 10 ? `${text}T00:00:00Z` : text);
    if (Number.isNaN(ms)) fail();
    return type.unit === arrow.DateUnit.DAY ? Math.floor(ms / 86_400_000) : BigInt(ms);
  }
  if (arrow.DataType.isTimestamp(type)) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) fail();
    const per = UNIT_PER_MS[type.unit];
    return per >= 1 ? BigInt(ms) * BigInt(per) : BigInt(Math.floor(ms / 1000));
  }
  return text;
}

/** Infers a partition column's type from its folder-name values (pyarrow's rule, see the module doc). */
export function inferPartitionType(values: readonly (string | null)[]): arrow.DataType {
  let sawValue = false;
  let fits32 = true;
  for (const v of values) {
    if (v === null) continue;
    sawValue = true;
    if (!/^-?\d{1,19}$/.test(v)) return new arrow.Utf8();
    const b = BigInt(v);
    if (b < -(2n ** 63n) || b >= 2n ** 63n) return new arrow.Utf8();
    if (b < -(2n ** 31n) || b >= 2n ** 31n) fits32 = false;
  }
  if (!sawValue) return new arrow.Utf8();
  return fits32 ? new arrow.Int32() : new arrow.Int64();
}

const encoder = new TextEncoder();

/** A column of `length` copies of one storage value (see {@link parsePartitionText}). */
export function constantData(type: arrow.DataType, value: unknown, length: number): arrow.Data {
  const isNull = value === null || value === undefined;
  const nullProps = isNull ? { nullCount: length, nullBitmap: new Uint8Array((length + 7) >> 3) } : { nullCount: 0 };
  if (type.typeId === arrow.Type.Utf8) {
    const bytes = isNull ? new Uint8Array(0) : encoder.encode(value as string);
    const offsets = new Int32Array(length + 1);
    const data = new Uint8Array(bytes.length * length);
    for (let i = 0; i < length; i++) {
      offsets[i + 1] = (i + 1) * bytes.length;
      if (bytes.length) data.set(bytes, i * bytes.length);
    }
    return arrow.makeData({ type: type as arrow.Utf8, length, ...nullProps, valueOffsets: offsets, data });
  }
  if (arrow.DataType.isBool(type)) {
    const bits = new Uint8Array((length + 7) >> 3);
    if (value === true) bits.fill(0xff);
    return arrow.makeData({ type, length, ...nullProps, data: bits });
  }
  const ArrayType = (type as arrow.Int).ArrayType as unknown as new (n: number) => { fill(v: unknown): unknown };
  const values = new ArrayType(length);
  if (!isNull) values.fill(value);
  return makeAnyData({ type, length, ...nullProps, data: values });
}

/** One data file of a dataset and the raw partition values of its folders. */
export interface DatasetFile {
  path: string;
  partitions: { key: string; text: string | null }[];
}

/**
 * Lists the data files under a dataset folder, sorted by path (numbers in names ordered
 * numerically). Like pyarrow, files and folders whose names start with `.` or `_` are ignored
 * (temporary files, `_SUCCESS`, `_common_metadata`). Every file must sit under the same
 * partition keys, in the same order.
 */
export async function listDataset(root: string): Promise<DatasetFile[]> {
  const out: DatasetFile[] = [];
  const walk = async (dir: string, partitions: DatasetFile["partitions"]) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw ioError(dir, err);
    }
    entries.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
    for (const e of entries) {
      if (e.name.startsWith(".") || e.name.startsWith("_")) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        const eq = e.name.indexOf("=");
        const next = eq > 0 ? [...partitions, { key: e.name.slice(0, eq), text: unescapePartitionValue(e.name.slice(eq + 1)) }] : partitions;
        await walk(p, next);
      } else if (e.isFile() || e.isSymbolicLink()) {
        out.push({ path: p, partitions });
      }
    }
  };
  await walk(root, []);
  if (out.length > 0) {
    const keys = out[0].partitions.map((p) => p.key).join("/");
    for (const f of out) {
      const k = f.partitions.map((p) => p.key).join("/");
      if (k !== keys) {
        throw new DataIoError(
          `${root} is not a consistent partitioned dataset: ${out[0].path} is under partition keys [${keys}] but ${f.path} under [${k}]; ` +
            `move the odd files out of the folder.`,
          { path: f.path },
        );
      }
    }
  }
  return out;
}
