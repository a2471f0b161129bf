import * as arrow from "apache-arrow";
import { beforeAll, describe, expect, it } from "vitest";
import { type Warehouse, arrowTypeToPg } from "@trellis/shared";
import { uniqueName, useWarehouses } from "../helpers/warehouses";

const targets = useWarehouses();

/** Microseconds since the epoch of a UTC wall-clock time (exact, as bigint). */
function us(iso: string, micros = 0): bigint {
  return BigInt(Date.parse(iso)) * 1000n + BigInt(micros);
}

/** Builds an Arrow vector from raw storage values and a validity list. */
function raw<T extends arrow.DataType>(type: T, values: T["TArray"], valid: boolean[]): arrow.Vector<T> {
  const bitmap = new Uint8Array(Math.ceil(valid.length / 8));
  valid.forEach((v, i) => {
    if (v) bitmap[i >> 3] |= 1 << (i & 7);
  });
  const nullCount = valid.filter((v) => !v).length;
  const props = { type, length: valid.length, nullCount, nullBitmap: bitmap, data: values };
  return arrow.makeVector(arrow.makeData(props as unknown as Parameters<typeof arrow.makeData>[0])) as unknown as arrow.Vector<T>;
}

/** Row values of a column read from any number of chunks (`get`), plus the raw int64 storage for timestamps. */
function values(t: arrow.Table, name: string): unknown[] {
  const col = t.getChild(name)!;
  const out: unknown[] = [];
  for (let i = 0; i < col.length; i++) {
    const v: unknown = col.get(i);
    if (v === null) out.push(null);
    else if (arrow.DataType.isTimestamp(col.type)) out.push(rawInt64(col, i));
    else if (v instanceof Uint8Array) out.push(Array.from(v));
    else out.push(v);
  }
  return out;
}

function rawInt64(col: arrow.Vector, i: number): bigint {
  let k = i;
  for (const d of col.data) {
    if (k < d.length) return (d.values as BigInt64Array)[d.offset + k];
    k -= d.length;
  }
  throw new Error("row out of range");
}

const PG_COLUMNS = `
  c_int2 int2, c_int4 int4, c_int8 int8, c_float4 float4, c_float8 float8, c_numeric numeric,
  c_bool bool, c_text text, c_varchar varchar(10), c_date date, c_ts timestamp, c_tstz timestamptz,
  c_jsonb jsonb, c_json json, c_bytea bytea`;

const PG_ROWS = `
  (-32768, -2147483648, 9007199254740993, 1.5, -0.1, 12345.678901, true, 'héllo ✓', 'abc', '1969-12-31',
   '1999-12-31 23:59:59.999999', '2024-01-02 03:04:05.123456+02', '{"b": [1, 2], "a": "x"}', '{"b":1}', '\\x00ff10'),
  (32767, 2147483647, -9223372036854775808, -3.25, 1e300, -0.5, false, '', 'x', '2024-02-29',
   '1900-01-01 00:00:00', '1970-01-01 00:00:00.000001+00', '[]', '"s"', '\\x'),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`;

const EXPECTED: Record<string, [string, unknown[]]> = {
  c_int2: ["Int16", [-32768, 32767, null]],
  c_int4: ["Int32", [-2147483648, 2147483647, null]],
  c_int8: ["Int64", [9007199254740993n, -9223372036854775808n, null]],
  c_float4: ["Float32", [1.5, -3.25, null]],
  c_float8: ["Float64", [-0.1, 1e300, null]],
  c_numeric: ["Float64", [12345.678901, -0.5, null]],
  c_bool: ["Bool", [true, false, null]],
  c_text: ["Utf8", ["héllo ✓", "", null]],
  c_varchar: ["Utf8", ["abc", "x", null]],
  c_date: ["Date32<DAY>", [Date.UTC(1969, 11, 31), Date.UTC(2024, 1, 29), null]],
  c_ts: ["Timestamp<MICROSECOND, UTC>", [us("1999-12-31T23:59:59.999Z", 999), us("1900-01-01T00:00:00Z"), null]],
  c_tstz: ["Timestamp<MICROSECOND, UTC>", [us("2024-01-02T01:04:05.123Z", 456), 1n, null]],
  c_jsonb: ["Utf8", ['{"a": "x", "b": [1, 2]}', "[]", null]],
  c_json: ["Utf8", ['{"b":1}', '"s"', null]],
  c_bytea: ["Binary", [[0, 255, 16], [], null]],
};

describe.each(targets)("PostgreSQL → Arrow types on $name", (target) => {
  let wh: Warehouse;
  let table: string;
  beforeAll(async () => {
    wh = await target.open();
    table = uniqueName("types");
    await wh.exec(`CREATE TABLE ${table} (ord int, ${PG_COLUMNS})`);
    await wh.exec(`INSERT INTO ${table} (${Object.keys(EXPECTED).join(", ")}) VALUES ${PG_ROWS}`);
    await wh.exec(`UPDATE ${table} SET ord = v.n FROM (SELECT ctid AS c, row_number() OVER () AS n FROM ${table}) v WHERE ctid = v.c`);
  });

  const check = (t: arrow.Table) => {
    for (const [name, [type, expected]] of Object.entries(EXPECTED)) {
      expect([name, String(t.getChild(name)?.type)]).toEqual([name, type]);
      expect([name, values(t, name)]).toEqual([name, expected]);
    }
  };

  it("reads every type through query()", async () => {
    check(await wh.query(`SELECT ${Object.keys(EXPECTED).join(", ")} FROM ${table} ORDER BY c_int2 NULLS LAST`));
  });

  it("reads every type from INSERT … RETURNING (the text protocol on both backends)", async () => {
    const copy = uniqueName("types_copy");
    await wh.exec(`CREATE TABLE ${copy} (LIKE ${table})`);
    const cols = Object.keys(EXPECTED).join(", ");
    check(await wh.query(`INSERT INTO ${copy} (${cols}) SELECT ${cols} FROM ${table} ORDER BY c_int2 NULLS LAST RETURNING ${cols}`));
  });

  it("reads every type through readTable() (binary COPY)", async () => {
    const t = await wh.readTable(table, { columns: Object.keys(EXPECTED) });
    // Table order is insertion order for this small heap table; sort defensively by c_int2.
    const order = values(t, "c_int2");
    expect(order).toEqual([-32768, 32767, null]);
    check(t);
  });

  it("reads every type through stream()", async () => {
    const batches: arrow.RecordBatch[] = [];
    for await (const b of wh.stream(`SELECT ${Object.keys(EXPECTED).join(", ")} FROM ${table} ORDER BY c_int2 NULLS LAST`, { batchSize: 2 })) {
      batches.push(b);
    }
    expect(batches.map((b) => b.numRows)).toEqual([2, 1]);
    check(new arrow.Table(batches));
  });

  it("reads a parameterised filter on a timestamp through readTable()", async () => {
    const t = await wh.readTable(table, { columns: ["c_int4"], filter: [["c_tstz", ">", new Date("2000-01-01T00:00:00Z")]] });
    expect(values(t, "c_int4")).toEqual([-2147483648]);
  });

  it("reads types without a native mapping as their text form", async () => {
    const sql = "SELECT '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid AS u, ARRAY[1, 2]::int4[] AS a, interval '1 day' AS i";
    const viaQuery = await wh.query(sql);
    const viaStream: arrow.RecordBatch[] = [];
    for await (const b of wh.stream(sql)) viaStream.push(b);
    for (const t of [viaQuery, new arrow.Table(viaStream)]) {
      expect(t.schema.fields.map((f) => String(f.type))).toEqual(["Utf8", "Utf8", "Utf8"]);
      expect(t.get(0)!.toJSON()).toEqual({ u: "6ba7b810-9dad-11d1-80b4-00c04fd430c8", a: "{1,2}", i: "1 day" });
    }
  });
});

function arrowSample(): arrow.Table {
  const valid = [true, true, false];
  const dict = arrow.vectorFromArray(["red", "blue", null], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
  return new arrow.Table({
    i8: raw(new arrow.Int8(), Int8Array.from([-128, 127, 0]), valid),
    i16: raw(new arrow.Int16(), Int16Array.from([-32768, 32767, 0]), valid),
    i32: raw(new arrow.Int32(), Int32Array.from([-2147483648, 2147483647, 0]), valid),
    i64: raw(new arrow.Int64(), BigInt64Array.from([-9223372036854775808n, 9007199254740993n, 0n]), valid),
    u8: raw(new arrow.Uint8(), Uint8Array.from([0, 255, 0]), valid),
    u16: raw(new arrow.Uint16(), Uint16Array.from([0, 65535, 0]), valid),
    u32: raw(new arrow.Uint32(), Uint32Array.from([0, 4294967295, 0]), valid),
    f32: raw(new arrow.Float32(), Float32Array.from([1.5, -2.25, 0]), valid),
    f64: raw(new arrow.Float64(), Float64Array.from([-0.1, 1e-300, 0]), valid),
    b: arrow.vectorFromArray([true, false, null], new arrow.Bool()),
    s: arrow.vectorFromArray(["héllo ✓", "", null], new arrow.Utf8()),
    ls: arrow.vectorFromArray(["large", "x".repeat(100), null], new arrow.LargeUtf8()),
    bin: arrow.vectorFromArray([Uint8Array.from([0, 255]), new Uint8Array(0), null], new arrow.Binary()),
    d: raw(new arrow.DateDay(), Int32Array.from([-1, 19782, 0]), valid),
    dms: raw(new arrow.DateMillisecond(), BigInt64Array.from([-86_400_000n, 1_709_164_800_000n, 0n]), valid),
    ts_s: raw(new arrow.TimestampSecond(), BigInt64Array.from([-1n, 1_700_000_000n, 0n]), valid),
    ts_ms: raw(new arrow.TimestampMillisecond(), BigInt64Array.from([-1n, 1_700_000_000_123n, 0n]), valid),
    ts_us: raw(new arrow.TimestampMicrosecond("UTC"), BigInt64Array.from([-1n, 1_700_000_000_123_456n, 0n]), valid),
    ts_ns: raw(new arrow.TimestampNanosecond(), BigInt64Array.from([-1000n, 1_700_000_000_123_456_789n, 0n]), valid),
    dict,
  });
}

const ARROW_BACK: Record<string, [string, string, unknown[]]> = {
  i8: ["smallint", "Int16", [-128, 127, null]],
  i16: ["smallint", "Int16", [-32768, 32767, null]],
  i32: ["integer", "Int32", [-2147483648, 2147483647, null]],
  i64: ["bigint", "Int64", [-9223372036854775808n, 9007199254740993n, null]],
  u8: ["smallint", "Int16", [0, 255, null]],
  u16: ["integer", "Int32", [0, 65535, null]],
  u32: ["bigint", "Int64", [0n, 4294967295n, null]],
  f32: ["real", "Float32", [1.5, -2.25, null]],
  f64: ["double precision", "Float64", [-0.1, 1e-300, null]],
  b: ["boolean", "Bool", [true, false, null]],
  s: ["text", "Utf8", ["héllo ✓", "", null]],
  ls: ["text", "Utf8", ["large", "x".repeat(100), null]],
  bin: ["bytea", "Binary", [[0, 255], [], null]],
  d: ["date", "Date32<DAY>", [-86_400_000, Date.UTC(2024, 1, 29), null]],
  dms: ["date", "Date32<DAY>", [-86_400_000, Date.UTC(2024, 1, 29), null]],
  ts_s: ["timestamp with time zone", "Timestamp<MICROSECOND, UTC>", [-1_000_000n, 1_700_000_000_000_000n, null]],
  ts_ms: ["timestamp with time zone", "Timestamp<MICROSECOND, UTC>", [-1000n, 1_700_000_000_123_000n, null]],
  ts_us: ["timestamp with time zone", "Timestamp<MICROSECOND, UTC>", [-1n, 1_700_000_000_123_456n, null]],
  ts_ns: ["timestamp with time zone", "Timestamp<MICROSECOND, UTC>", [-1n, 1_700_000_000_123_456n, null]],
  dict: ["text", "Utf8", ["red", "blue", null]],
};

describe.each(targets)("Arrow → PostgreSQL types on $name", (target) => {
  let wh: Warehouse;
  beforeAll(async () => {
    wh = await target.open();
  });

  it("creates columns of the documented types and reads the values back", async () => {
    const table = uniqueName("arrow");
    const data = arrowSample();
    expect(await wh.load(data, table)).toEqual({ rows: 3 });
    const cols = await wh.query(
      "SELECT attname, format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 ORDER BY attnum",
      [table],
    );
    const pgTypes = Object.fromEntries(cols.toArray().map((r) => [r.attname as string, r.t as string]));
    for (const f of data.schema.fields) {
      expect([f.name, pgTypes[f.name]]).toEqual([f.name, ARROW_BACK[f.name][0]]);
      // arrowTypeToPg names the same type (short spelling).
      const short: Record<string, string> = { "timestamp with time zone": "timestamptz" };
      expect(arrowTypeToPg(f.type)).toBe(short[ARROW_BACK[f.name][0]] ?? ARROW_BACK[f.name][0]);
    }
    const back = await wh.readTable(table);
    for (const [name, [, type, expected]] of Object.entries(ARROW_BACK)) {
      expect([name, String(back.getChild(name)?.type)]).toEqual([name, type]);
      expect([name, values(back, name)]).toEqual([name, expected]);
    }
    // The server's own rendering agrees (timestamps are UTC instants).
    const text = await wh.query(`SELECT ts_us::text AS a, ts_ns::text AS b, d::text AS c FROM ${table} WHERE i8 = 127`);
    expect(text.get(0)!.toJSON()).toEqual({ a: "2023-11-14 22:13:20.123456+00", b: "2023-11-14 22:13:20.123456+00", c: "2024-02-29" });
  });

  it("converts into existing columns of other types (direct and through a cast)", async () => {
    const table = uniqueName("conv");
    await wh.exec(`CREATE TABLE ${table} (a bigint, b integer, c numeric, d uuid, e jsonb, f double precision, g timestamp)`);
    const data = new arrow.Table({
      a: arrow.vectorFromArray([1, 2], new arrow.Int32()),
      b: arrow.vectorFromArray([3, 4], new arrow.Float64()),
      c: arrow.vectorFromArray([1.25, -2], new arrow.Float64()),
      d: arrow.vectorFromArray(["6ba7b810-9dad-11d1-80b4-00c04fd430c8", "6ba7b811-9dad-11d1-80b4-00c04fd430c8"], new arrow.Utf8()),
      e: arrow.vectorFromArray(['{"k": 1}', "[1, 2]"], new arrow.Utf8()),
      f: arrow.vectorFromArray([5n, -6n], new arrow.Int64()),
      g: raw(new arrow.TimestampMillisecond(), BigInt64Array.from([0n, 86_400_000n]), [true, true]),
    });
    expect(await wh.load(data, table)).toEqual({ rows: 2 });
    const t = await wh.query(`SELECT a, b, c::text AS c, d::text AS d, e::text AS e, f, g::text AS g FROM ${table} ORDER BY a`);
    expect(t.toArray().map((r) => r.toJSON())).toEqual([
      { a: 1n, b: 3, c: "1.25", d: "6ba7b810-9dad-11d1-80b4-00c04fd430c8", e: '{"k": 1}', f: 5, g: "1970-01-01 00:00:00" },
      { a: 2n, b: 4, c: "-2", d: "6ba7b811-9dad-11d1-80b4-00c04fd430c8", e: "[1, 2]", f: -6, g: "1970-01-02 00:00:00" },
    ]);
  });

  it("refuses a fractional float into an integer column, naming the column, row and value", async () => {
    const table = uniqueName("frac");
    await wh.exec(`CREATE TABLE ${table} (b integer)`);
    const data = new arrow.Table({ b: arrow.vectorFromArray([1, 2.5], new arrow.Float64()) });
    await expect(wh.load(data, table)).rejects.toThrow(/column "b": row 1 holds 2\.5, which is not an integer/);
    const t = await wh.query(`SELECT count(*)::int4 AS n FROM ${table}`);
    expect(t.get(0)!.n).toBe(0);
  });

  it("refuses out-of-range integers for a narrower column", async () => {
    const table = uniqueName("range");
    await wh.exec(`CREATE TABLE ${table} (b smallint)`);
    const data = new arrow.Table({ b: arrow.vectorFromArray([1, 40000], new arrow.Int32()) });
    await expect(wh.load(data, table)).rejects.toThrow(/row 1 holds 40000, out of range for PostgreSQL smallint/);
  });
});
