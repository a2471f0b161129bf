/**
 * Reads and decodes a Parquet file's footer: its validity (magic bytes, length), the top-level
 * columns, row groups, codecs and min/max statistics. Used to validate files before the WASM
 * engine sees them (a Rust panic inside WASM is not recoverable) and to prune row groups.
 */
import { open, type FileHandle } from "node:fs/promises";
import { DataIoError } from "../../errors";
import { readThriftStruct, ThriftDecodeError, type ThriftStruct, type ThriftValue } from "./thrift";

/** Parquet physical types (parquet.thrift `Type`). */
export const PhysicalType = {
  BOOLEAN: 0,
  INT32: 1,
  INT64: 2,
  INT96: 3,
  FLOAT: 4,
  DOUBLE: 5,
  BYTE_ARRAY: 6,
  FIXED_LEN_BYTE_ARRAY: 7,
} as const;

/** Codec names by parquet.thrift `CompressionCodec` value. */
export const CODEC_NAMES = ["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"] as const;
/** Codecs the bundled engine decodes (everything but LZO). */
const READABLE_CODECS = new Set([0, 1, 2, 4, 5, 6, 7]);

/** How a leaf column's bytes map to values that filters compare (see {@link decodeStat}). */
export type StatKind =
  | { kind: "bool" }
  | { kind: "int32"; unsigned: boolean }
  | { kind: "int64"; unsigned: boolean }
  | { kind: "float" }
  | { kind: "date32" }
  | { kind: "timestamp"; perMs: number }
  | { kind: "string" }
  | { kind: "none" };

/** One top-level primitive column of the file. */
export interface LeafColumn {
  name: string;
  physicalType: number;
  stat: StatKind;
}

/** Raw min/max statistics of one column chunk. */
export interface ChunkStats {
  min?: Uint8Array;
  max?: Uint8Array;
  nullCount?: number;
  /** True when min/max come from the deprecated fields, whose sort order is only reliable for signed numbers. */
  legacy: boolean;
}

/** One column chunk of one row group. */
export interface ColumnChunkInfo {
  /** Dotted path of the leaf column. */
  path: string;
  codec: number;
  stats?: ChunkStats;
  /** Byte range of the chunk's pages (dictionary page included). */
  start: number;
  compressedSize: number;
}

/** One row group. */
export interface RowGroupInfo {
  numRows: number;
  columns: ColumnChunkInfo[];
}

/** The decoded footer of one Parquet file. */
export interface ParquetFooter {
  numRows: number;
  /** Names of the top-level columns, in file order. */
  columns: string[];
  /** Top-level primitive columns by name (nested columns are not pruned by statistics). */
  leaves: Map<string, LeafColumn>;
  rowGroups: RowGroupInfo[];
  keyValue: Map<string, string>;
  /** For each leaf column (in column-chunk order), the top-level column it belongs to. */
  leafTop: string[];
  /** The decoded FileMetaData, kept to write projected footers. */
  meta: ThriftStruct;
  /** Size in bytes of the encoded footer. */
  footerLength: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function str(v: ThriftValue | undefined): string | undefined {
  return v instanceof Uint8Array ? utf8.decode(v) : undefined;
}
function num(v: ThriftValue | undefined): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return undefined;
}
function structOf(v: ThriftValue | undefined): ThriftStruct | undefined {
  return v instanceof Map ? v : undefined;
}
function listOf(v: ThriftValue | undefined): ThriftValue[] {
  return Array.isArray(v) ? v : [];
}

/**
 * Reads and decodes the footer of the Parquet file at `path`.
 * Throws {@link DataIoError} (with `path`) for a missing file, a file that is not Parquet, a
 * truncated file, a corrupt footer, or a codec the engine cannot decode.
 */
export async function readFooter(path: string): Promise<ParquetFooter> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (err) {
    throw ioError(path, err);
  }
  try {
    const size = (await fh.stat()).size;
    const head = await readAt(fh, 0, Math.min(4, size));
    const isParquetHead = head.length === 4 && isMagic(head, 0);
    if (size < 12) {
      throw new DataIoError(
        isParquetHead
          ? `${path} is a truncated Parquet file (${size} bytes): it ends before its footer; re-copy or re-write the file.`
          : `${path} is not a Parquet file (${size} bytes, no "PAR1" magic bytes); check the path or the file format.`,
        { path },
      );
    }
    const tail = await readAt(fh, size - 8, 8);
    if (!isMagic(tail, 4)) {
      throw new DataIoError(
        isParquetHead
          ? `${path} is a truncated Parquet file: it starts with "PAR1" but does not end with it (${size} bytes); re-copy or re-write the file.`
          : `${path} is not a Parquet file (no "PAR1" magic bytes); check the path or the file format.`,
        { path },
      );
    }
    if (!isParquetHead) {
      throw new DataIoError(`${path} is not a Parquet file (it does not start with "PAR1"); check the path or the file format.`, {
        path,
      });
    }
    const footerLen = new DataView(tail.buffer, tail.byteOffset, 8).getUint32(0, true);
    if (footerLen + 12 > size) {
      throw new DataIoError(
        `${path} is a truncated Parquet file: its footer claims ${footerLen} bytes but the file has ${size}; re-copy or re-write the file.`,
        { path, offset: size - 8 },
      );
    }
    const footerBytes = await readAt(fh, size - 8 - footerLen, footerLen);
    let meta: ThriftStruct;
    try {
      meta = readThriftStruct(footerBytes).value;
      return { ...decodeFileMetaData(path, meta, size), meta, footerLength: footerLen };
    } catch (err) {
      if (err instanceof DataIoError) throw err;
      const why = err instanceof ThriftDecodeError || err instanceof TypeError ? err.message : String(err);
      throw new DataIoError(`${path} has a corrupt Parquet footer (${why}); the file is damaged or was not fully written.`, {
        path,
        offset: size - 8 - footerLen,
        cause: err,
      });
    }
  } finally {
    await fh.close();
  }
}

function isMagic(b: Uint8Array, at: number): boolean {
  return b[at] === 0x50 && b[at + 1] === 0x41 && b[at + 2] === 0x52 && b[at + 3] === 0x31;
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? out : out.subarray(0, done);
}

/** Maps a filesystem error to a DataIoError naming the path. */
export function ioError(path: string, err: unknown): DataIoError {
  const code = (err as { code?: string } | null)?.code;
  if (code === "ENOENT") return new DataIoError(`cannot read ${path}: no such file or directory; check the path.`, { path, cause: err });
  if (code === "EACCES" || code === "EPERM")
    return new DataIoError(`cannot read ${path}: permission denied; check the file's permissions.`, { path, cause: err });
  if (code === "EISDIR") return new DataIoError(`cannot read ${path}: it is a directory.`, { path, cause: err });
  return new DataIoError(`cannot read ${path}: ${(err as Error)?.message ?? String(err)}`, { path, cause: err });
}

function decodeFileMetaData(path: string, meta: ThriftStruct, fileSize: number): Omit<ParquetFooter, "meta" | "footerLength"> {
  const schema = listOf(meta.get(2)).map((e) => structOf(e)!);
  if (schema.length === 0 || schema.some((e) => !e)) throw new ThriftDecodeError("footer has no schema");
  const columns: string[] = [];
  const leaves = new Map<string, LeafColumn>();
  // Walk the flattened schema tree: element 0 is the root; each group lists its child count.
  let i = 1;
  const rootChildren = num(schema[0].get(5)) ?? 0;
  const leafTop: string[] = [];
  const skipSubtree = (top: string) => {
    const el = schema[i++];
    if (!el) throw new ThriftDecodeError("schema tree is shorter than its declared children");
    const n = num(el.get(5)) ?? 0;
    if (n === 0) leafTop.push(top);
    for (let k = 0; k < n; k++) skipSubtree(top);
  };
  for (let c = 0; c < rootChildren; c++) {
    const el = schema[i];
    if (!el) throw new ThriftDecodeError("schema tree is shorter than its declared children");
    const name = str(el.get(4)) ?? "";
    columns.push(name);
    const children = num(el.get(5)) ?? 0;
    const physicalType = num(el.get(1));
    if (children === 0 && physicalType !== undefined) {
      leaves.set(name, { name, physicalType, stat: statKind(physicalType, el) });
    }
    skipSubtree(name);
  }
  const rowGroups: RowGroupInfo[] = listOf(meta.get(4)).map((rgv, rgIndex) => {
    const rg = structOf(rgv)!;
    const cols = listOf(rg.get(1)).map((ccv) => {
      const cc = structOf(ccv)!;
      const md = structOf(cc.get(3));
      if (!md) throw new ThriftDecodeError(`row group ${rgIndex} has a column chunk without metadata`);
      const colPath = listOf(md.get(3))
        .map((p) => str(p) ?? "")
        .join(".");
      const codec = num(md.get(4)) ?? 0;
      const st = structOf(md.get(12));
      let stats: ChunkStats | undefined;
      if (st) {
        const minValue = st.get(6);
        const maxValue = st.get(5);
        const modern = minValue instanceof Uint8Array || maxValue instanceof Uint8Array;
        stats = {
          min: (modern ? minValue : st.get(2)) as Uint8Array | undefined,
          max: (modern ? maxValue : st.get(1)) as Uint8Array | undefined,
          nullCount: num(st.get(3)),
          legacy: !modern,
        };
      }
      const dataOffset = num(md.get(9)) ?? 0;
      const compressed = num(md.get(7)) ?? 0;
      if (!READABLE_CODECS.has(codec)) {
        throw new DataIoError(
          `${path}: column ${JSON.stringify(colPath)} uses the unsupported compression ${CODEC_NAMES[codec] ?? `codec #${codec}`}; ` +
            `re-write the file with snappy, zstd, gzip, brotli, lz4 or no compression.`,
          { path },
        );
      }
      const dictOffset = num(md.get(11));
      const start = dictOffset !== undefined && dictOffset > 0 && dictOffset < dataOffset ? dictOffset : dataOffset;
      if (start + compressed > fileSize) {
        throw new DataIoError(
          `${path} is a truncated or corrupt Parquet file: column ${colPath} of row group ${rgIndex} points past the end of the file.`,
          { path, offset: start },
        );
      }
      return { path: colPath, codec, stats, start, compressedSize: compressed };
    });
    return { numRows: num(rg.get(3)) ?? 0, columns: cols };
  });
  const keyValue = new Map<string, string>();
  for (const kvv of listOf(meta.get(5))) {
    const kv = structOf(kvv);
    const k = str(kv?.get(1));
    if (k !== undefined) keyValue.set(k, str(kv?.get(2)) ?? "");
  }
  for (const [r, rg] of rowGroups.entries()) {
    if (rg.columns.length !== leafTop.length) {
      throw new ThriftDecodeError(`row group ${r} has ${rg.columns.length} column chunks but the schema has ${leafTop.length} leaf columns`);
    }
  }
  return { numRows: num(meta.get(3)) ?? 0, columns, leaves, rowGroups, keyValue, leafTop };
}

function statKind(physicalType: number, el: ThriftStruct): StatKind {
  const converted = num(el.get(6));
  const logical = structOf(el.get(10));
  const has = (id: number) => logical !== undefined && logical.has(id);
  switch (physicalType) {
    case PhysicalType.BOOLEAN:
      return { kind: "bool" };
    case PhysicalType.INT32: {
      if (has(6) || converted === 6) return { kind: "date32" };
      if (has(5) || has(7) || converted === 5 || converted === 7) return { kind: "none" }; // decimal, time
      const intType = structOf(logical?.get(10));
      const unsigned = intType ? intType.get(2) === false : converted !== undefined && converted >= 11 && converted <= 14;
      return { kind: "int32", unsigned };
    }
    case PhysicalType.INT64: {
      const ts = structOf(logical?.get(8));
      if (ts) {
        const unit = structOf(ts.get(2));
        const perMs = unit?.has(1) ? 1 : unit?.has(2) ? 1000 : unit?.has(3) ? 1_000_000 : 0;
        return perMs ? { kind: "timestamp", perMs } : { kind: "none" };
      }
      if (converted === 9) return { kind: "timestamp", perMs: 1 };
      if (converted === 10) return { kind: "timestamp", perMs: 1000 };
      if (has(5) || has(7) || converted === 5 || converted === 8) return { kind: "none" };
      const intType = structOf(logical?.get(10));
      const unsigned = intType ? intType.get(2) === false : converted === 14;
      return { kind: "int64", unsigned };
    }
    case PhysicalType.FLOAT:
    case PhysicalType.DOUBLE:
      return { kind: "float" };
    case PhysicalType.BYTE_ARRAY:
      // STRING (1), ENUM (4), JSON (12) logical types and the UTF8/ENUM/JSON converted types.
      if (has(1) || has(4) || has(12) || converted === 0 || converted === 4 || converted === 19) return { kind: "string" };
      return { kind: "none" };
    default:
      return { kind: "none" };
  }
}

/**
 * Decodes one statistics value into the domain Arrow JS uses for the column's values (bigint for
 * Int64, epoch milliseconds for dates and timestamps, JS strings), so filters compare them the
 * way they compare row values. `bound` says whether it is a lower or an upper bound, to round
 * sub-millisecond timestamps outwards. Returns `undefined` when the value cannot be trusted.
 */
export function decodeStat(leaf: LeafColumn, bytes: Uint8Array | undefined, legacy: boolean, bound: "min" | "max"): unknown {
  if (!bytes) return undefined;
  const s = leaf.stat;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (s.kind) {
    case "bool":
      return bytes.length >= 1 ? bytes[0] !== 0 : undefined;
    case "int32":
      if (bytes.length !== 4 || (legacy && s.unsigned)) return undefined;
      return s.unsigned ? view.getUint32(0, true) : view.getInt32(0, true);
    case "int64":
      if (bytes.length !== 8 || (legacy && s.unsigned)) return undefined;
      return s.unsigned ? view.getBigUint64(0, true) : view.getBigInt64(0, true);
    case "date32":
      return bytes.length === 4 ? view.getInt32(0, true) * 86_400_000 : undefined;
    case "timestamp": {
      if (bytes.length !== 8) return undefined;
      const v = view.getBigInt64(0, true);
      const per = BigInt(s.perMs);
      let ms = v / per;
      // BigInt division truncates toward zero; round outwards so the bound stays a bound.
      if (bound === "min" && v % per !== 0n && v < 0n) ms -= 1n;
      if (bound === "max" && v % per !== 0n && v > 0n) ms += 1n;
      return Number(ms);
    }
    case "float": {
      const f = bytes.length === 4 ? view.getFloat32(0, true) : bytes.length === 8 ? view.getFloat64(0, true) : NaN;
      return Number.isNaN(f) ? undefined : f;
    }
    case "string": {
      if (legacy) return undefined; // deprecated min/max used signed byte order for strings
      try {
        const text = utf8.decode(bytes);
        // Parquet orders strings by UTF-8 bytes, JS by UTF-16 units; they agree below U+D800.
        return /[\uD800-\uFFFF]/.test(text) ? undefined : text;
      } catch {
        return undefined; // truncated statistics may split a character
      }
    }
    default:
      return undefined;
  }
}
