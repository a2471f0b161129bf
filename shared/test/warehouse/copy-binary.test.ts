import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { DataIoError } from "@trellis/shared";
import { COPY_HEADER, COPY_TRAILER, CopyBinaryDecoder, CopyBinaryEncoder, naturalKind } from "../../src/warehouse/copy-binary";

function sampleTable(n: number): arrow.Table {
  const ids = new BigInt64Array(n);
  const ts = new BigInt64Array(n);
  const x = new Float64Array(n);
  const s: (string | null)[] = [];
  const flags: (boolean | null)[] = [];
  for (let i = 0; i < n; i++) {
    ids[i] = BigInt(i) * 1_000_000_007n - 5n;
    ts[i] = 1_700_000_000_000_000n + BigInt(i) * 1_234_567n;
    x[i] = i / 3;
    s.push(i % 4 === 0 ? null : "é".repeat(i % 9) + String(i));
    flags.push(i % 3 === 0 ? null : i % 2 === 0);
  }
  return new arrow.Table({
    id: arrow.makeVector(ids),
    ts: arrow.makeVector(arrow.makeData({ type: new arrow.TimestampMicrosecond("UTC"), length: n, data: ts })),
    x: arrow.makeVector(x),
    s: arrow.vectorFromArray(s, new arrow.Utf8()),
    flag: arrow.vectorFromArray(flags, new arrow.Bool()),
  });
}

function encodeAll(table: arrow.Table): Uint8Array {
  const enc = new CopyBinaryEncoder(table.schema.fields.map((f) => ({ name: f.name, type: f.type, kind: naturalKind(f.type) })));
  const parts: Uint8Array[] = [COPY_HEADER];
  for (const b of table.batches) for (const c of enc.encode(b, 7)) parts.push(c);
  parts.push(COPY_TRAILER);
  return new Uint8Array(Buffer.concat(parts));
}

function decodeInChunks(bytes: Uint8Array, fields: { name: string; kind: ReturnType<typeof naturalKind> }[], chunk: number, batchSize: number): arrow.RecordBatch[] {
  const dec = new CopyBinaryDecoder(fields, batchSize);
  const out: arrow.RecordBatch[] = [];
  for (let o = 0; o < bytes.length; o += chunk) out.push(...dec.push(bytes.subarray(o, o + chunk)));
  const last = dec.end();
  if (last) out.push(last);
  return out;
}

describe("binary COPY codec", () => {
  const table = sampleTable(50);
  const bytes = encodeAll(table);
  const fields = table.schema.fields.map((f) => ({ name: f.name, kind: naturalKind(f.type) }));

  it("decodes what it encodes, whatever the chunk boundaries", () => {
    for (const chunk of [1, 2, 3, 5, 17, 64, 1000, bytes.length]) {
      const batches = decodeInChunks(bytes, fields, chunk, 16);
      expect([chunk, batches.map((b) => b.numRows)]).toEqual([chunk, [16, 16, 16, 2]]);
      const back = new arrow.Table(batches);
      for (const f of table.schema.fields) {
        const want = table.getChild(f.name)!;
        const got = back.getChild(f.name)!;
        for (let i = 0; i < table.numRows; i++) {
          const a: unknown = want.get(i);
          const b: unknown = got.get(i);
          if (a !== b) expect([chunk, f.name, i, b]).toEqual([chunk, f.name, i, a]);
        }
      }
    }
  });

  it("reports a stream cut in the middle of a row", () => {
    expect(() => decodeInChunks(bytes.subarray(0, bytes.length - 10), fields, 100, 16)).toThrow(DataIoError);
    expect(() => decodeInChunks(bytes.subarray(0, bytes.length - 10), fields, 100, 16)).toThrow(/ended in the middle of row 49/);
  });

  it("rejects bytes that are not a binary COPY stream", () => {
    const dec = new CopyBinaryDecoder(fields, 16);
    expect(() => dec.push(new TextEncoder().encode("id,ts,x,s,flag\n1,2,3,4,5\n"))).toThrow(/PGCOPY signature/);
  });
});
