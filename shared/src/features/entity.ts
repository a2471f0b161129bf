/**
 * Entities: the thing features describe (a customer, a store and day...), named by one or more join
 * key columns with a zod type each.
 */
import * as arrow from "apache-arrow";
import { z } from "zod";
import { InvalidArgumentError } from "../errors";
import { zodFieldToArrow } from "../frame/schema";

/** A record of zod schemas, one per column. */
export type ZodShape = Record<string, z.ZodType>;

/**
 * An entity: a name and its join key column(s) with their zod types.
 * @example
 * const customer: Entity<"customer", { customer_id: z.ZodNumber }> = entity({ name: "customer", joinKey: "customer_id", type: z.number().int() });
 */
export interface Entity<N extends string = string, K extends ZodShape = ZodShape> {
  readonly kind: "entity";
  readonly name: N;
  /** Join key column names, in order (composite keys have several). */
  readonly joinKeys: readonly string[];
  /** The zod type of each join key column. */
  readonly keys: K;
  /** The Arrow type of each join key column, derived from `keys`. */
  readonly keyFields: readonly arrow.Field[];
  readonly description?: string;
}

/**
 * The TypeScript type of an entity's key: `{ customer_id: number }`.
 * @example
 * type Key = InferKey<typeof customer>; // { customer_id: number }
 */
export type InferKey<E> = E extends Entity<string, infer K> ? { [P in keyof K]: z.output<K[P]> } : never;

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Validates a definition name (entity, feature view): letters, digits and underscores. */
export function checkName(what: string, name: unknown): string {
  if (typeof name !== "string" || !NAME_RE.test(name) || name.length > 48) {
    throw new InvalidArgumentError(
      `${what} name ${JSON.stringify(name)} is invalid; use 1-48 letters, digits and underscores, starting with a letter or underscore (e.g. "customer_stats").`,
    );
  }
  return name;
}

function keyField(entityName: string, column: string, type: unknown): arrow.Field {
  if (!(type instanceof z.ZodType)) {
    throw new InvalidArgumentError(`entity "${entityName}": key "${column}" needs a zod type such as z.number().int() or z.string(), got ${String(type)}.`);
  }
  const field = zodFieldToArrow(column, type);
  const t = field.type;
  if (!(arrow.DataType.isInt(t) || arrow.DataType.isUtf8(t))) {
    throw new InvalidArgumentError(
      `entity "${entityName}": key "${column}" has Arrow type ${String(t)}; join keys must be integers (z.number().int(), z.int32(), z.bigint()) or strings (z.string(), z.enum()).`,
    );
  }
  return new arrow.Field(column, t, false);
}

/**
 * Declares an entity with one join key (`joinKey` + `type`) or a composite key (`joinKeys`, a record
 * of column → zod type, in key order). Keys must be integers or strings.
 * @example
 * const customer = entity({ name: "customer", joinKey: "customer_id", type: z.number().int() });
 * const storeDay = entity({ name: "store_day", joinKeys: { store_id: z.int32(), day: z.string() } });
 */
export function entity<const N extends string, const J extends string, T extends z.ZodType>(def: {
  name: N;
  joinKey: J;
  type: T;
  description?: string;
}): Entity<N, { [P in J]: T }>;
export function entity<const N extends string, K extends ZodShape>(def: { name: N; joinKeys: K; description?: string }): Entity<N, K>;
export function entity(def: { name: string; joinKey?: string; type?: z.ZodType; joinKeys?: ZodShape; description?: string }): Entity {
  if (def === null || typeof def !== "object") {
    throw new InvalidArgumentError(`entity: expected a definition object such as { name: "customer", joinKey: "customer_id", type: z.number().int() }.`);
  }
  const name = checkName("entity", def.name);
  let keys: ZodShape;
  if (def.joinKeys !== undefined) {
    if (def.joinKey !== undefined) {
      throw new InvalidArgumentError(`entity "${name}": give either joinKey + type (one key) or joinKeys (composite), not both.`);
    }
    keys = { ...def.joinKeys };
  } else {
    if (typeof def.joinKey !== "string") {
      throw new InvalidArgumentError(`entity "${name}": joinKey must be a column name, got ${JSON.stringify(def.joinKey)}.`);
    }
    keys = { [def.joinKey]: def.type as z.ZodType };
  }
  const joinKeys = Object.keys(keys);
  if (joinKeys.length === 0) throw new InvalidArgumentError(`entity "${name}": joinKeys must name at least one column.`);
  for (const k of joinKeys) checkName(`entity "${name}" join key`, k);
  const keyFields = joinKeys.map((k) => keyField(name, k, keys[k]));
  return Object.freeze({ kind: "entity" as const, name, joinKeys, keys, keyFields, description: def.description });
}
