/**
 * Column and row-group projection by footer surgery.
 *
 * parquet-wasm 0.8's synchronous reader ignores its `columns` option, and its asynchronous
 * reader panics (and never settles) on corrupt pages. So projection happens here: the byte ranges
 * of the wanted column chunks of the wanted row groups are read from disk into a new, smaller
 * Parquet buffer with a rewritten footer (offsets moved, other columns and row groups removed,
 * the embedded Arrow schema cut down to the kept fields), which the synchronous reader decodes
 * with proper error reporting. Unread columns are never read from disk, let alone decoded.
 */
import { closeSync, openSync, readSync } from "node:fs";
import * as arrow from "apache-arrow";
import { ioError, type ParquetFooter } from "./footer";
import { cloneStruct, listLike, writeThriftStruct, type ThriftStruct, type ThriftValue } from "./thrift";

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]);
const ARROW_SCHEMA_KEY = "ARROW:schema";
const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

function num(v: ThriftValue | undefined): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return undefined;
}

/**
 * The plan of a projected Parquet buffer: which byte ranges of the source file go where, and the
 * rewritten footer. Plain numbers and bytes, so it can be posted to a worker thread, which then
 * reads the ranges itself (see `worker.ts`).
 */
export interface ProjectedLayout {
  /** Byte ranges to copy, as (source offset, length, destination offset) triples. */
  ranges: number[];
  /** The encoded footer (thrift FileMetaData), placed after the data. */
  footer: Uint8Array;
  /** Size in bytes of the whole projected file. */
  size: number;
}

/**
 * Plans an in-memory Parquet file holding only `columns` (top-level names; all when undefined)
 * of the row groups `rowGroups` of a file with this footer.
 */
export function projectedLayout(footer: ParquetFooter, columns: readonly string[] | undefined, rowGroups: readonly number[]): ProjectedLayout {
  const keepTop = columns ? new Set(columns) : undefined;
  const keepLeaf = footer.leafTop.map((top) => !keepTop || keepTop.has(top));
  const rgList = footer.meta.get(4) as ThriftValue[];
  const ranges: number[] = [];
  let cursor = 4;
  const newRowGroups: ThriftValue[] = [];
  for (const r of rowGroups) {
    const rg = cloneStruct(rgList[r] as ThriftStruct);
    const chunks = rg.get(1) as ThriftValue[];
    const newChunks: ThriftValue[] = [];
    let rgStart = -1;
    let compressedTotal = 0;
    let uncompressedTotal = 0;
    for (let j = 0; j < chunks.length; j++) {
      if (!keepLeaf[j]) continue;
      const info = footer.rowGroups[r].columns[j];
      const newStart = cursor;
      ranges.push(info.start, info.compressedSize, newStart);
      cursor += info.compressedSize;
      if (rgStart < 0) rgStart = newStart;
      const delta = newStart - info.start;
      const cc = cloneStruct(chunks[j] as ThriftStruct);
      const md = cloneStruct(cc.get(3) as ThriftStruct);
      md.set(9, (num(md.get(9)) ?? 0) + delta);
      const dict = num(md.get(11));
      if (dict !== undefined && dict >= info.start) md.set(11, dict + delta);
      else md.delete(11);
      md.delete(10); // index page
      md.delete(14); // bloom filter offset
      md.delete(15); // bloom filter length
      compressedTotal += num(md.get(7)) ?? 0;
      uncompressedTotal += num(md.get(6)) ?? 0;
      cc.set(3, md);
      cc.set(2, newStart);
      for (const id of [1, 4, 5, 6, 7, 8, 9]) cc.delete(id); // file_path, page indexes, encryption
      newChunks.push(cc);
    }
    rg.set(1, listLike(chunks, newChunks));
    rg.set(2, uncompressedTotal);
    if (rg.has(5)) rg.set(5, Math.max(rgStart, 4));
    if (rg.has(6)) rg.set(6, compressedTotal);
    rg.delete(4); // sorting columns refer to old column indexes
    rg.delete(7); // ordinal
    newRowGroups.push(rg);
  }

  const meta = cloneStruct(footer.meta);
  meta.set(4, listLike(rgList, newRowGroups));
  meta.set(3, rowGroups.reduce((n, r) => n + footer.rowGroups[r].numRows, 0));
  if (keepTop) {
    meta.set(2, projectSchema(meta.get(2) as ThriftValue[], keepTop));
    const orders = meta.get(7) as ThriftValue[] | undefined;
    if (orders) meta.set(7, listLike(orders, orders.filter((_, j) => keepLeaf[j])));
    const kv = meta.get(5) as ThriftValue[] | undefined;
    if (kv) meta.set(5, listLike(kv, projectKeyValue(kv, keepTop)));
  }
  const footerBytes = writeThriftStruct(meta);
  return { ranges, footer: footerBytes, size: cursor + footerBytes.length + 8 };
}

/**
 * Reads the ranges of `layout` from the file at `path` into a Parquet buffer, from `alloc` when
 * given (a caller that consumes the result right away can lend reused memory, see `Scratch#bytes`).
 */
export function readProjected(path: string, layout: ProjectedLayout, alloc?: (bytes: number) => Uint8Array): Uint8Array {
  const out = alloc ? alloc(layout.size) : new Uint8Array(layout.size);
  out.set(MAGIC, 0);
  // Synchronous reads: the ranges are large and contiguous, and a thread-pool round trip per
  // column chunk costs more than it saves (decoding right after is synchronous anyway).
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw ioError(path, err);
  }
  let cursor = 4;
  try {
    const { ranges } = layout;
    for (let k = 0; k < ranges.length; k += 3) {
      const [start, length, dest] = [ranges[k], ranges[k + 1], ranges[k + 2]];
      let done = 0;
      while (done < length) {
        const bytesRead = readSync(fd, out, dest + done, length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      cursor = dest + length;
    }
  } finally {
    closeSync(fd);
  }
  out.set(layout.footer, cursor);
  cursor += layout.footer.length;
  new DataView(out.buffer, out.byteOffset).setUint32(cursor, layout.footer.length, true);
  out.set(MAGIC, cursor + 4);
  return out.subarray(0, cursor + 8);
}

/**
 * Builds an in-memory Parquet file holding only `columns` (top-level names; all when undefined)
 * of the row groups `rowGroups` of the file at `path`.
 */
export async function projectedParquetBuffer(
  path: string,
  footer: ParquetFooter,
  columns: readonly string[] | undefined,
  rowGroups: readonly number[],
  alloc?: (bytes: number) => Uint8Array,
): Promise<Uint8Array> {
  return readProjected(path, projectedLayout(footer, columns, rowGroups), alloc);
}

/** Keeps the root and the subtrees of the kept top-level columns of a flattened schema. */
function projectSchema(schema: ThriftValue[], keep: Set<string>): ThriftValue[] {
  const out: ThriftValue[] = [];
  const root = cloneStruct(schema[0] as ThriftStruct);
  out.push(root);
  let i = 1;
  let kept = 0;
  const take = (copy: boolean) => {
    const el = schema[i++] as ThriftStruct;
    if (copy) out.push(el);
    const n = num(el.get(5)) ?? 0;
    for (let k = 0; k < n; k++) take(copy);
  };
  const rootChildren = num(root.get(5)) ?? 0;
  for (let c = 0; c < rootChildren; c++) {
    const name = utf8d.decode((schema[i] as ThriftStruct).get(4) as Uint8Array);
    const copy = keep.has(name);
    if (copy) kept++;
    take(copy);
  }
  root.set(5, kept);
  return listLike(schema, out);
}

/** Cuts the embedded Arrow schema (ARROW:schema) down to the kept fields; drops it if it cannot. */
function projectKeyValue(kv: ThriftValue[], keep: Set<string>): ThriftValue[] {
  const out: ThriftValue[] = [];
  for (const entry of kv) {
    const s = entry as ThriftStruct;
    const key = utf8d.decode(s.get(1) as Uint8Array);
    if (key !== ARROW_SCHEMA_KEY) {
      out.push(s);
      continue;
    }
    const value = s.get(2);
    if (!(value instanceof Uint8Array)) continue;
    const projected = projectArrowSchema(utf8d.decode(value), keep);
    if (projected === undefined) continue;
    const copy = cloneStruct(s);
    copy.set(2, utf8.encode(projected));
    out.push(copy);
  }
  return out;
}

function projectArrowSchema(base64: string, keep: Set<string>): string | undefined {
  try {
    const msg = new Uint8Array(Buffer.from(base64, "base64"));
    // Old writers omit the 0xFFFFFFFF continuation marker before the message length.
    const prefix = new DataView(msg.buffer, msg.byteOffset).getUint32(0, true) === 0xffffffff ? 0 : 4;
    const stream = new Uint8Array(prefix + msg.length + 8).fill(0xff);
    stream.set(msg, prefix);
    stream.fill(0, prefix + msg.length + 4);
    const schema = arrow.tableFromIPC(stream).schema;
    const sub = new arrow.Schema(
      schema.fields.filter((f) => keep.has(f.name)),
      schema.metadata,
    );
    const ipc = arrow.tableToIPC(new arrow.Table(sub, []), "stream");
    // Drop the end-of-stream marker: ARROW:schema holds the schema message alone.
    return Buffer.from(ipc.subarray(0, ipc.length - 8)).toString("base64");
  } catch {
    return undefined;
  }
}
