/**
 * Lineage facts recorded in a manifest: feature views, a digest of the training rows, the run id and
 * the git commit of the working folder.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { DataType, type Table } from "apache-arrow";
import { FeatureFrame, InvalidArgumentError, type AnyFeatureView } from "@trellis/shared";
import { isArrowTable } from "../base/matrix";
import type { RowObject } from "../base/frame";
import { canonicalJson } from "./canonical";
import type { LineageFeatureView, ModelLineage, TrainingDataLineage } from "./manifest";

/** The row encoding hashed by {@link trainingDataDigest}. */
export const TRAINING_DIGEST_METHOD = "trellis-rows/1";

/** Training rows: row objects, an Arrow table, or a feature-store result. */
export type TrainingRows = readonly RowObject[] | Table | FeatureFrame<unknown>;

/** What `saveModel` accepts as `lineage`. */
export interface LineageInput {
  /** The feature views (view objects, or `{ name, version }`) the training data was read from. */
  featureViews?: readonly (AnyFeatureView | { name: string; version: number })[];
  /** The training rows, hashed with {@link trainingDataDigest} (only the digest is stored). */
  trainingRows?: TrainingRows;
  /** The experiment run that produced the model. */
  runId?: string;
  /**
   * Record the git commit of this folder (default: the current working folder). `false` skips it.
   * Nothing is recorded when the folder is not in a git repository or git is not installed.
   */
  git?: boolean | { cwd: string };
}

const TAG_NULL = 0;
const TAG_NUMBER = 1;
const TAG_BIGINT = 2;
const TAG_STRING = 3;
const TAG_BOOLEAN = 4;
const TAG_TIME = 5;
const TAG_BYTES = 6;

class HashWriter {
  private readonly hash = createHash("sha256");
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private readonly encoder = new TextEncoder();

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(n);
      this.view = new DataView(this.buf.buffer);
    }
  }
  flush(): void {
    if (this.pos) this.hash.update(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }
  float(tag: number, x: number): void {
    this.room(9);
    this.buf[this.pos] = tag;
    // One NaN bit pattern whatever produced it.
    this.view.setFloat64(this.pos + 1, x === x ? x : NaN, true);
    this.pos += 9;
  }
  bytes(tag: number, b: Uint8Array): void {
    this.room(5 + b.length);
    this.buf[this.pos] = tag;
    this.view.setUint32(this.pos + 1, b.length, true);
    this.buf.set(b, this.pos + 5);
    this.pos += 5 + b.length;
  }
  text(tag: number, s: string): void {
    this.bytes(tag, this.encoder.encode(s));
  }
  digest(): string {
    this.flush();
    return this.hash.digest("hex");
  }
}

function writeValue(w: HashWriter, v: unknown, time: boolean, where: () => string): void {
  if (v === null || v === undefined) w.byte(TAG_NULL);
  else if (typeof v === "number") w.float(time ? TAG_TIME : TAG_NUMBER, v);
  else if (typeof v === "string") w.text(TAG_STRING, v);
  else if (typeof v === "boolean") {
    w.byte(TAG_BOOLEAN);
    w.byte(v ? 1 : 0);
  } else if (typeof v === "bigint") {
    if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) w.float(time ? TAG_TIME : TAG_NUMBER, Number(v));
    else w.text(TAG_BIGINT, v.toString());
  } else if (v instanceof Date) w.float(TAG_TIME, v.getTime());
  else if (v instanceof Uint8Array) w.bytes(TAG_BYTES, v);
  else throw new InvalidArgumentError(`trainingDataDigest: ${where()} holds a ${(v as object)?.constructor?.name ?? typeof v}; training rows may hold numbers, bigints, strings, booleans, dates, bytes and nulls.`);
}

/**
 * SHA-256 of the training rows' values, independent of how they are held (row objects, an Arrow
 * table of any chunking, Int64 or Float64 columns...). The encoding `trellis-rows/1`:
 * 1. the UTF-8 canonical JSON of `{ method: "trellis-rows/1", rows, columns }`, where `columns` are
 *    the column names sorted by UTF-16 code units (for row objects, every key seen in any row);
 * 2. then, column by column in that order, every row's value: `0x00` for null or absent; `0x01` +
 *    float64 little-endian for a number, or a bigint/Arrow integer in the safe range (one NaN bit
 *    pattern); `0x02` + length + decimal digits for a bigint beyond 2^53; `0x03` + uint32 LE byte
 *    length + UTF-8 for a string; `0x04` + `0x00|0x01` for a boolean; `0x05` + float64 LE epoch
 *    milliseconds for a Date or an Arrow date/timestamp; `0x06` + uint32 LE length + bytes for binary.
 * @example trainingDataDigest([{ a: 1, b: "x" }]).digest // 64 hex characters
 */
export function trainingDataDigest(rows: TrainingRows): TrainingDataLineage {
  const table = rows instanceof FeatureFrame ? rows.table : rows;
  const w = new HashWriter();
  if (isArrowTable(table)) {
    const t = table as Table;
    const fields = [...t.schema.fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const columns = fields.map((f) => f.name);
    w.text(TAG_STRING, canonicalJson({ method: TRAINING_DIGEST_METHOD, rows: t.numRows, columns }));
    for (const f of fields) {
      const vec = t.getChild(f.name)!;
      const time = DataType.isTimestamp(f.type) || DataType.isDate(f.type);
      for (let i = 0; i < t.numRows; i++) writeValue(w, vec.get(i), time, () => `column ${JSON.stringify(f.name)} row ${i}`);
    }
    return { digest: w.digest(), method: TRAINING_DIGEST_METHOD, rows: t.numRows, columns };
  }
  if (!Array.isArray(table)) {
    throw new InvalidArgumentError(`trainingDataDigest: expected row objects, an Arrow table or a FeatureFrame, got ${table === null ? "null" : typeof table}.`);
  }
  const list = table as readonly RowObject[];
  const names = new Set<string>();
  for (const r of list) for (const k of Object.keys(r)) names.add(k);
  const columns = [...names].sort();
  w.text(TAG_STRING, canonicalJson({ method: TRAINING_DIGEST_METHOD, rows: list.length, columns }));
  for (const name of columns) {
    for (let i = 0; i < list.length; i++) writeValue(w, list[i][name], false, () => `row ${i} field ${JSON.stringify(name)}`);
  }
  return { digest: w.digest(), method: TRAINING_DIGEST_METHOD, rows: list.length, columns };
}

/**
 * The git commit of a folder and whether its work tree has changes (tracked or untracked), or null
 * when the folder is not in a git repository or git is not available. Each git call is bounded by
 * a timeout.
 * @example gitState(process.cwd()) // { commit: "89bd686…", dirty: false }
 */
export function gitState(cwd: string, timeoutMs = 3000): { commit: string; dirty: boolean } | null {
  const run = (args: string[]): string | null => {
    try {
      return execFileSync("git", args, { cwd, timeout: timeoutMs, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], windowsHide: true });
    } catch {
      return null;
    }
  };
  const head = run(["rev-parse", "HEAD"]);
  if (head === null || !/^[0-9a-f]{40,64}\s*$/.test(head)) return null;
  const status = run(["status", "--porcelain"]);
  return { commit: head.trim(), dirty: status === null ? true : status.trim().length > 0 };
}

function isFeatureViewObject(v: unknown): v is AnyFeatureView {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "featureView";
}

/** Normalises `saveModel`'s lineage option into the manifest's form. */
export function buildLineage(input: LineageInput | undefined, caller: string): ModelLineage {
  const featureViews: LineageFeatureView[] = [];
  for (const [k, v] of (input?.featureViews ?? []).entries()) {
    if (isFeatureViewObject(v)) featureViews.push({ name: v.name, version: v.version, schemaHash: v.schemaHash });
    else if (v && typeof v === "object" && typeof v.name === "string" && typeof v.version === "number" && Number.isFinite(v.version)) {
      featureViews.push({ name: v.name, version: v.version, schemaHash: null });
    } else {
      throw new InvalidArgumentError(`${caller}: lineage.featureViews[${k}] is not a feature view or { name, version }; pass the view objects used to build the training set.`);
    }
  }
  if (input?.runId !== undefined && typeof input.runId !== "string") {
    throw new InvalidArgumentError(`${caller}: lineage.runId must be a string, got ${typeof input.runId}.`);
  }
  const git = input?.git ?? true;
  return {
    featureViews,
    trainingData: input?.trainingRows === undefined ? null : trainingDataDigest(input.trainingRows),
    runId: input?.runId ?? null,
    git: git === false ? null : gitState(git === true ? process.cwd() : git.cwd),
  };
}
