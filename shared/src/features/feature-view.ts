/**
 * Feature views: a versioned, typed group of features of one entity, read from one source. The zod
 * schema is the single declaration of the shape: it gives the TypeScript row type (`InferRow`), the
 * Arrow schema, the Postgres column types and run-time validation.
 */
import { createHash } from "node:crypto";
import * as arrow from "apache-arrow";
import { z } from "zod";
import { FeatureStoreError, InvalidArgumentError } from "../errors";
import { ZOD_ENUM_METADATA_KEY, zodFieldToArrow } from "../frame/schema";
import { type Entity, type ZodShape, checkName } from "./entity";
import type { FeatureSource } from "./sources";
import { type Ttl, ttlMicros } from "./ttl";

/**
 * Data-quality expectations of one feature, checked by `FeatureStore.validate`. Allowed values of a
 * `z.enum` feature and nullability come from the schema itself.
 * @example const e: FeatureExpectation = { min: 0, maxNullRate: 0.1 };
 */
export interface FeatureExpectation {
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** Largest allowed share of nulls, 0..1. */
  maxNullRate?: number;
  /** Allowed values (in addition to a `z.enum`'s own list, which always applies). */
  allowed?: readonly (string | number | boolean)[];
}

/** Expectations per feature of a schema. */
export type Expectations<S extends ZodShape> = { readonly [K in keyof S]?: FeatureExpectation };

/**
 * A typed reference to one feature of one view, e.g. `stats.f.orders_30d`. `T` is the value type and
 * `O` the output column name (the feature name unless renamed with `.as()`).
 * @example
 * const ref = stats.f.orders_30d;          // FeatureRef<"customer_stats", "orders_30d", number | null>
 * const renamed = ref.as("orders_last_30d");
 */
export interface FeatureRef<V extends string = string, F extends string = string, T = unknown, O extends string = F> {
  readonly kind: "featureRef";
  /** View name. */
  readonly view: V;
  /** Feature name within the view. */
  readonly feature: F;
  /** Output column name. */
  readonly outputName: O;
  /** The view that owns the feature. */
  readonly featureView: AnyFeatureView;
  /** Type-level only: the feature's value type (undefined at run time). */
  readonly valueType: T;
  /** The same feature under another output column name. */
  as<A extends string>(outputName: A): FeatureRef<V, F, T, A>;
  /** `"view:feature"`. */
  toString(): string;
}

/** The typed feature references of a view: `view.f.<feature>`. */
export type FeatureRefs<N extends string, S extends ZodShape> = {
  readonly [K in keyof S & string]: FeatureRef<N, K, z.output<S[K]>>;
};

/** The refs returned by `view.select(...)`, one per named feature, in order. */
export type SelectedRefs<N extends string, S extends ZodShape, F extends readonly (keyof S & string)[]> = {
  readonly [I in keyof F]: F[I] extends keyof S & string ? FeatureRef<N, F[I], z.output<S[F[I]]>> : never;
};

/**
 * What every feature view has, whatever its schema: the run-time shape the store works with. Every
 * {@link FeatureView} is one.
 * @example const views: AnyFeatureView[] = [stats, sales];
 */
export interface AnyFeatureView {
  readonly kind: "featureView";
  readonly name: string;
  readonly version: number;
  readonly entity: Entity;
  /** How old a feature row may be at retrieval time; `null` = no limit. */
  readonly ttl: Ttl | null;
  /** `ttl` in microseconds, `null` = no limit. */
  readonly ttlMicros: number | null;
  readonly source: FeatureSource;
  /** The feature columns and their zod types. */
  readonly schema: ZodShape;
  readonly expectations: { readonly [feature: string]: FeatureExpectation | undefined };
  readonly description?: string;
  /** Feature names in declaration order. */
  readonly features: readonly string[];
  /** References to every feature by name. */
  readonly f: { readonly [feature: string]: FeatureRef };
  /** Arrow fields of the features (types from the zod schema). */
  readonly featureFields: readonly arrow.Field[];
  /** SHA-256 of the canonical shape (entity keys and feature types); recorded in the registry. */
  readonly schemaHash: string;
  /** A zod object validating one full row (keys + features). */
  readonly rowSchema: z.ZodObject;
}

/**
 * A feature view definition (see {@link featureView}), typed by its name, entity and schema.
 * @example
 * type Row = InferRow<typeof stats>;
 */
export interface FeatureView<N extends string = string, E extends Entity = Entity, S extends ZodShape = ZodShape> extends AnyFeatureView {
  readonly name: N;
  readonly entity: E;
  readonly schema: S;
  readonly expectations: Expectations<S>;
  /** Feature names in declaration order. */
  readonly features: readonly (keyof S & string)[];
  /** Typed references to every feature: `view.f.orders_30d`. */
  readonly f: FeatureRefs<N, S>;
  /** Typed references to the named features, in order: `view.select("a", "b")`. */
  select<const F extends readonly (keyof S & string)[]>(...features: F): SelectedRefs<N, S, F>;
  /** A feature reference by name, checked at run time (for names only known at run time). */
  ref(feature: string): FeatureRef<N, keyof S & string, unknown>;
}

/** The feature values of a view as a TypeScript type: `{ orders_30d: number | null; ... }`. */
export type InferFeatures<V> = V extends FeatureView<string, Entity, infer S> ? { [K in keyof S]: z.output<S[K]> } : never;

/**
 * The row type of a view: its entity's join keys plus its features.
 * @example
 * type Row = InferRow<typeof stats>; // { customer_id: number; orders_30d: number | null; avg_basket: number | null; segment: "bronze" | "silver" | "gold" | null }
 */
export type InferRow<V> = V extends FeatureView<string, Entity<string, infer K extends ZodShape>, infer S>
  ? { [P in keyof K | keyof S]: P extends keyof K ? z.output<K[P]> : P extends keyof S ? z.output<S[P]> : never }
  : never;

/** The definition passed to {@link featureView}. */
export interface FeatureViewDefinition<N extends string, E extends Entity, S extends ZodShape> {
  name: N;
  /** A positive integer; bump it whenever the schema changes. */
  version: number;
  entity: E;
  /** Feature rows older than this (relative to the entity row's time) are not used. Omit for no limit. */
  ttl?: Ttl | null;
  source: FeatureSource;
  schema: S;
  expectations?: Expectations<S>;
  description?: string;
}

function makeRef(view: AnyFeatureView, feature: string, outputName: string): FeatureRef {
  const ref: FeatureRef = {
    kind: "featureRef",
    view: view.name,
    feature,
    outputName,
    featureView: view,
    valueType: undefined as unknown,
    as<A extends string>(name: A) {
      checkName(`output name of ${view.name}:${feature}`, name);
      return makeRef(view, feature, name) as FeatureRef<string, string, unknown, A>;
    },
    toString() {
      return `${view.name}:${feature}`;
    },
  };
  return Object.freeze(ref);
}

/** Canonical, order-stable description of a field for hashing. */
function fieldSignature(f: arrow.Field): Record<string, unknown> {
  const enumValues = f.metadata.get(ZOD_ENUM_METADATA_KEY);
  return { name: f.name, type: String(f.type), nullable: f.nullable, ...(enumValues ? { enum: JSON.parse(enumValues) as unknown } : {}) };
}

/**
 * Declares a feature view: versioned features of one entity from one source, typed by a zod schema.
 * @example
 * const stats = featureView({
 *   name: "customer_stats", version: 1, entity: customer, ttl: { days: 30 },
 *   source: warehouseTable({ table: "customer_features", timestamp: "event_ts", createdTimestamp: "created_ts" }),
 *   schema: { orders_30d: z.number().int().nullable(), avg_basket: z.number().nullable() },
 *   expectations: { avg_basket: { min: 0, maxNullRate: 0.1 } },
 * });
 * stats.f.orders_30d; // typed reference
 */
export function featureView<const N extends string, E extends Entity, S extends ZodShape>(def: FeatureViewDefinition<N, E, S>): FeatureView<N, E, S> {
  if (def === null || typeof def !== "object") {
    throw new InvalidArgumentError("featureView: expected a definition object with name, version, entity, source and schema.");
  }
  const name = checkName("feature view", def.name);
  if (!Number.isSafeInteger(def.version) || def.version < 1) {
    throw new InvalidArgumentError(`feature view "${name}": version must be a positive integer, got ${JSON.stringify(def.version)}.`);
  }
  if (!def.entity || def.entity.kind !== "entity") {
    throw new InvalidArgumentError(`feature view "${name}": entity must come from entity({...}), got ${String(def.entity)}.`);
  }
  const src = def.source as FeatureSource | undefined;
  if (!src || !["warehouseTable", "sqlQuery", "lakeDataset"].includes(src.kind)) {
    throw new InvalidArgumentError(`feature view "${name}": source must come from warehouseTable(), sqlQuery() or lakeDataset().`);
  }
  if (def.schema === null || typeof def.schema !== "object" || Object.keys(def.schema).length === 0) {
    throw new InvalidArgumentError(`feature view "${name}": schema must declare at least one feature, e.g. { orders_30d: z.number().int().nullable() }.`);
  }
  const features = Object.keys(def.schema);
  const reserved = new Set([...def.entity.joinKeys, src.timestamp, ...(src.createdTimestamp ? [src.createdTimestamp] : [])]);
  for (const f of features) {
    checkName(`feature view "${name}" feature`, f);
    if (reserved.has(f)) {
      throw new InvalidArgumentError(`feature view "${name}": feature "${f}" has the name of a key or timestamp column; rename the feature.`);
    }
  }
  const featureFields = features.map((f) => zodFieldToArrow(f, def.schema[f]));
  const expectations = (def.expectations ?? {}) as Expectations<S>;
  for (const [k, e] of Object.entries(expectations as Record<string, FeatureExpectation | undefined>)) {
    if (!features.includes(k)) {
      throw new InvalidArgumentError(`feature view "${name}": expectations name "${k}", which is not a feature; features: ${features.join(", ")}.`);
    }
    if (e?.maxNullRate !== undefined && !(e.maxNullRate >= 0 && e.maxNullRate <= 1)) {
      throw new InvalidArgumentError(`feature view "${name}": expectations.${k}.maxNullRate must be between 0 and 1, got ${e.maxNullRate}.`);
    }
  }
  const ttl = def.ttl ?? null;
  const ttlUs = ttlMicros(ttl, `feature view "${name}" ttl`);
  const schemaHash = createHash("sha256")
    .update(
      JSON.stringify({
        entity: def.entity.name,
        keys: def.entity.keyFields.map(fieldSignature),
        features: featureFields.map(fieldSignature),
      }),
    )
    .digest("hex");
  const rowSchema = z.object({ ...def.entity.keys, ...def.schema });

  const view = {
    kind: "featureView" as const,
    name,
    version: def.version,
    entity: def.entity,
    ttl,
    ttlMicros: ttlUs,
    source: src,
    schema: def.schema,
    expectations,
    description: def.description,
    features,
    featureFields,
    schemaHash,
    rowSchema,
  } as Omit<AnyFeatureView, "f"> as AnyFeatureView;
  const refs: Record<string, FeatureRef> = {};
  for (const f of features) refs[f] = makeRef(view, f, f);
  const mutable = view as unknown as Record<string, unknown>;
  mutable.f = Object.freeze(refs);
  mutable.select = (...names: string[]) => names.map((n) => lookupFeature(view, n));
  mutable.ref = (n: string) => lookupFeature(view, n);
  return Object.freeze(view) as unknown as FeatureView<N, E, S>;
}

function lookupFeature(view: AnyFeatureView, feature: string): FeatureRef {
  const ref = view.f[feature] as FeatureRef | undefined;
  if (!ref || !Object.prototype.hasOwnProperty.call(view.f, feature)) {
    throw new FeatureStoreError(`unknown feature "${feature}" in view "${view.name}"; its features are: ${view.features.join(", ")}.`);
  }
  return ref;
}

/**
 * True when `x` is a feature reference (`view.f.x`).
 * @example isFeatureRef(stats.f.orders_30d) // true
 */
export function isFeatureRef(x: unknown): x is FeatureRef {
  return typeof x === "object" && x !== null && (x as { kind?: unknown }).kind === "featureRef";
}
