import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidArgumentError } from "../../src/errors";
import { arrowSchemaToZod, zodToArrowSchema, zodToPgColumns } from "../../src/frame/schema";
import { rowsOf, tableFromRows } from "../../src/frame/table";

const Shape = z.object({
  a: z.int32(),
  b: z.number().int(),
  c: z.int(),
  d: z.bigint(),
  e: z.int64(),
  f: z.float32(),
  g: z.number(),
  h: z.string(),
  i: z.enum(["red", "green"]),
  j: z.boolean(),
  k: z.date(),
  l: z.number().nullable(),
  m: z.string().optional(),
  n: z.number().default(3),
  o: z.instanceof(Uint8Array),
});

describe("zodToArrowSchema", () => {
  it("maps every supported zod type to its Arrow type", () => {
    const s = zodToArrowSchema(Shape);
    expect(s.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`)).toEqual([
      "a:Int32:false",
      "b:Int64:false",
      "c:Int64:false",
      "d:Int64:false",
      "e:Int64:false",
      "f:Float32:false",
      "g:Float64:false",
      "h:Utf8:false",
      "i:Utf8:false",
      "j:Bool:false",
      "k:Timestamp<MICROSECOND, UTC>:false",
      "l:Float64:true",
      "m:Utf8:true",
      "n:Float64:false",
      "o:Binary:false",
    ]);
  });

  it("accepts a plain record of field schemas", () => {
    expect(zodToArrowSchema({ x: z.int32().nullish() }).fields[0].nullable).toBe(true);
  });

  it("names the field of an unsupported type", () => {
    expect(() => zodToArrowSchema({ tags: z.array(z.string()) })).toThrow(InvalidArgumentError);
    expect(() => zodToArrowSchema({ tags: z.array(z.string()) })).toThrow(/field "tags" has zod type "array"/);
  });
});

describe("arrowSchemaToZod", () => {
  it("round-trips a zod shape through Arrow", () => {
    const back = arrowSchemaToZod(zodToArrowSchema(Shape));
    const row = {
      a: 1, b: 2, c: 3, d: 4n, e: 5n, f: 1.5, g: 2.5, h: "x", i: "green", j: true,
      k: new Date(0), l: null, m: null, n: 1, o: new Uint8Array([1]),
    };
    expect(back.parse(row)).toEqual(row);
    expect(back.safeParse({ ...row, i: "blue" }).success).toBe(false);
    expect(back.safeParse({ ...row, a: 2 ** 31 }).success).toBe(false);
    expect(back.safeParse({ ...row, d: 4 }).success).toBe(false);
    expect(back.safeParse({ ...row, l: undefined }).success).toBe(false);
  });

  it("validates rowsOf output of a table built from a schema", () => {
    const schema = new arrow.Schema([
      new arrow.Field("id", new arrow.Int64(), false),
      new arrow.Field("v", new arrow.Int16(), true),
      new arrow.Field("at", new arrow.DateDay(), true),
    ]);
    const t = tableFromRows([{ id: 1, v: 3, at: new Date(86_400_000) }, { id: 2, v: null, at: null }], schema);
    const Row = arrowSchemaToZod(t.schema);
    expect(rowsOf(t).map((r) => Row.parse(r))).toEqual([
      { id: 1, v: 3, at: new Date(86_400_000) },
      { id: 2, v: null, at: null },
    ]);
    expect(Row.safeParse({ id: 1, v: 40000, at: null }).success).toBe(false);
    expect(arrowSchemaToZod(t.schema, { int64: "bigint" }).safeParse({ id: 1n, v: 1, at: null }).success).toBe(true);
  });

  it("names the field of an unsupported Arrow type", () => {
    const s = new arrow.Schema([new arrow.Field("m", new arrow.Struct([new arrow.Field("x", new arrow.Int32(), true)]), true)]);
    expect(() => arrowSchemaToZod(s)).toThrow(/field "m" has Arrow type/);
  });
});

describe("zodToPgColumns", () => {
  it("gives Postgres column definitions for a zod shape", () => {
    const cols = zodToPgColumns(
      z.object({ id: z.int64(), n: z.int32(), score: z.number().nullable(), f: z.float32(), name: z.string(), ok: z.boolean().optional(), at: z.date(), 'we"ird': z.enum(["a"]) }),
    );
    expect(cols.map((c) => c.definition)).toEqual([
      '"id" bigint NOT NULL',
      '"n" integer NOT NULL',
      '"score" double precision',
      '"f" real NOT NULL',
      '"name" text NOT NULL',
      '"ok" boolean',
      '"at" timestamptz NOT NULL',
      '"we""ird" text NOT NULL',
    ]);
    expect(cols[2]).toEqual({ name: "score", type: "double precision", nullable: true, definition: '"score" double precision' });
  });
});
