/**
 * Record batches across threads: a decoded batch becomes a plain tree of typed arrays (its
 * buffers, children and dictionaries) that `postMessage` can carry, with the large buffers
 * transferred rather than copied; the receiving thread rebuilds `arrow.Data` around the very same
 * memory, typed by the schema that travels beside it (Arrow IPC, a few hundred bytes).
 */
import * as arrow from "apache-arrow";

/** One `arrow.Data` as plain values (its type comes from the schema). */
export interface WireData {
  offset: number;
  length: number;
  nullCount: number;
  /** Buffers by `arrow.BufferType` index: value offsets, values, validity, type ids. */
  buffers: (ArrayBufferView | undefined)[];
  children: WireData[];
  /** The chunks of a dictionary-encoded column's dictionary. */
  dictionary?: WireData[];
  /** The data buffers of view types (Utf8View, BinaryView). */
  variadic?: ArrayBufferView[];
}

/** Decoded batches of one task, ready to post. */
export interface WireBatches {
  /** The batches' schema as an Arrow IPC stream with no batches. */
  schema: Uint8Array;
  batches: WireData[];
}

/** Buffers smaller than this are copied by the structured clone instead of transferred. */
const TRANSFER_MIN_BYTES = 4096;

function dataToWire(data: arrow.Data, transfer: Set<ArrayBuffer>, owned: boolean): WireData {
  const buffers: (ArrayBufferView | undefined)[] = [];
  for (let i = 0; i < 4; i++) {
    const b = (data.buffers as unknown as (ArrayBufferView | undefined)[])[i];
    buffers.push(b ?? undefined);
    // Only buffers that own their memory outright are transferred: a shared or larger backing
    // store (an IPC message, a constant) would be detached under the sender's other users. With
    // `owned` the sender vouches that each backing store serves these batches alone.
    const whole = b && b.byteOffset === 0 && b.buffer.byteLength === b.byteLength;
    if (b && b.byteLength >= TRANSFER_MIN_BYTES && (whole || owned) && b.buffer instanceof ArrayBuffer) {
      transfer.add(b.buffer);
    }
  }
  const wire: WireData = { offset: data.offset, length: data.length, nullCount: data.nullCount, buffers, children: data.children.map((c) => dataToWire(c, transfer, owned)) };
  if (data.dictionary) wire.dictionary = data.dictionary.data.map((d) => dataToWire(d, transfer, owned));
  if (data.variadicBuffers?.length) wire.variadic = [...data.variadicBuffers];
  return wire;
}

/**
 * Turns decoded batches (all of one schema) into a postable value and the list of buffers to
 * transfer with it; the sender must not use the batches afterwards. `owned`: every buffer's
 * backing store belongs to these batches alone (views into a larger store are transferred too).
 */
export function batchesToWire(schema: arrow.Schema, batches: arrow.RecordBatch[], owned = false): { wire: WireBatches; transfer: ArrayBuffer[] } {
  const transfer = new Set<ArrayBuffer>();
  const ipc = arrow.tableToIPC(new arrow.Table(schema, []), "stream");
  const wire = { schema: ipc, batches: batches.map((b) => dataToWire(b.data, transfer, owned)) };
  return { wire, transfer: [...transfer] };
}

function wireToData(type: arrow.DataType, wire: WireData): arrow.Data {
  const children = wire.children.map((c, i) => wireToData(type.children[i].type, c));
  let dictionary: arrow.Vector | undefined;
  if (arrow.DataType.isDictionary(type) && wire.dictionary) {
    dictionary = new arrow.Vector(wire.dictionary.map((d) => wireToData(type.dictionary, d)));
  }
  const buffers = wire.buffers;
  const DataClass = arrow.Data as unknown as new (...args: unknown[]) => arrow.Data;
  return new DataClass(type, wire.offset, wire.length, wire.nullCount, buffers, children, dictionary, wire.variadic ?? []);
}

/** Rebuilds the batches posted by {@link batchesToWire} (no copy of their buffers). */
export function wireToBatches(wire: WireBatches): { schema: arrow.Schema; batches: arrow.RecordBatch[] } {
  const schema = arrow.tableFromIPC(wire.schema).schema;
  const struct = new arrow.Struct(schema.fields);
  const batches = wire.batches.map((w) => new arrow.RecordBatch(schema, wireToData(struct, w) as arrow.Data<arrow.Struct>));
  return { schema, batches };
}
