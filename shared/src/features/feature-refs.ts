/**
 * Feature references in requests: typed refs (`view.f.x`, `view.select(...)`) and Feast-style strings
 * (`"view:feature"`, typed by the store's views and checked at run time), and the row types they give.
 */
import type { z } from "zod";
import { FeatureStoreError, InvalidArgumentError } from "../errors";
import type { Entity, ZodShape } from "./entity";
import { type AnyFeatureView, type FeatureRef, type FeatureView, isFeatureRef } from "./feature-view";

/** `{ a: 1 } & { b: 2 }` shown as `{ a: 1; b: 2 }`. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Every `"view:feature"` string of a union of views. */
export type FeatureRefString<V> = V extends FeatureView<infer N, Entity, infer S> ? `${N}:${keyof S & string}` : never;

/** One item of a `features` list: a ref, a `select(...)` tuple, or a `"view:feature"` string. */
export type FeatureItem<V> = FeatureRef | readonly FeatureRef[] | FeatureRefString<V>;

type ItemRefs<I> = I extends readonly (infer R)[] ? R : I;

type StringRefValue<V, N extends string, F extends string> = V extends FeatureView<N, Entity, infer S extends ZodShape>
  ? F extends keyof S
    ? z.output<S[F]>
    : never
  : never;

/** The feature columns a `features` list produces: output name → value type, or null (no matching row). */
export type FeaturesRow<Items extends readonly unknown[], V> = Simplify<{
  [R in ItemRefs<Items[number]> as R extends FeatureRef<string, string, unknown, infer O> ? O : R extends `${string}:${infer F}` ? F : never]: R extends FeatureRef<
    string,
    string,
    infer T,
    string
  >
    ? T | null
    : R extends `${infer N}:${infer F}`
      ? StringRefValue<V, N, F> | null
      : never;
}>;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

type ViewOfItem<I, V> = I extends FeatureRef<infer N, string, unknown, string>
  ? Extract<V, { name: N }>
  : I extends `${infer N}:${string}`
    ? Extract<V, { name: N }>
    : never;

type KeyOfView<W> = W extends { readonly entity: Entity<string, infer K extends ZodShape> } ? { [P in keyof K]: z.output<K[P]> } : never;

/** The entity key object an online lookup needs for a `features` list: every join key of every view used. */
export type EntityKeyOf<Items extends readonly unknown[], V> = Simplify<UnionToIntersection<KeyOfView<ViewOfItem<ItemRefs<Items[number]>, V>>>>;

/** One view's part of a request: which features, under which output names. */
export interface ResolvedView {
  view: AnyFeatureView;
  features: { feature: string; outputName: string }[];
}

/**
 * Resolves a `features` list against the store's views, in order, grouped by view (first-use order).
 * Unknown views/features and duplicate output names throw a FeatureStoreError listing what exists.
 * @example resolveFeatures([stats.f.orders_30d, "customer_stats:segment"], views)
 */
export function resolveFeatures(items: readonly unknown[], views: ReadonlyMap<string, AnyFeatureView>): ResolvedView[] {
  if (!Array.isArray(items) || items.length === 0) {
    throw new InvalidArgumentError(
      `features must be a non-empty list of feature references (view.f.name, view.select(...), or "view:feature" strings), got ${JSON.stringify(items)}.`,
    );
  }
  const byView = new Map<string, ResolvedView>();
  const outputs = new Map<string, string>();
  const add = (view: AnyFeatureView, feature: string, outputName: string) => {
    const registered = views.get(view.name);
    if (!registered) {
      throw new FeatureStoreError(`unknown feature view "${view.name}"; the store's views are: ${[...views.keys()].join(", ") || "(none)"}. Pass it in FeatureStore.open({ views }).`);
    }
    if (registered !== view && registered.schemaHash !== view.schemaHash) {
      throw new FeatureStoreError(`feature view "${view.name}" differs from the one the store was opened with (version ${registered.version}); use the same definition.`);
    }
    if (!registered.features.includes(feature)) {
      throw new FeatureStoreError(`unknown feature "${feature}" in view "${view.name}"; its features are: ${registered.features.join(", ")}.`);
    }
    const ref = `${view.name}:${feature}`;
    const prior = outputs.get(outputName);
    if (prior !== undefined) {
      throw new FeatureStoreError(
        `output column "${outputName}" is requested twice (${prior} and ${ref}); rename one with .as("other_name").`,
      );
    }
    outputs.set(outputName, ref);
    let part = byView.get(view.name);
    if (!part) {
      part = { view: registered, features: [] };
      byView.set(view.name, part);
    }
    part.features.push({ feature, outputName });
  };
  const visit = (item: unknown) => {
    if (isFeatureRef(item)) add(item.featureView, item.feature, item.outputName);
    else if (typeof item === "string") {
      const m = /^([^:]+):([^:]+)$/.exec(item);
      if (!m) throw new FeatureStoreError(`feature reference ${JSON.stringify(item)} is not of the form "view:feature" (e.g. "customer_stats:orders_30d").`);
      const view = views.get(m[1]);
      if (!view) {
        throw new FeatureStoreError(`unknown feature view "${m[1]}" in ${JSON.stringify(item)}; the store's views are: ${[...views.keys()].join(", ") || "(none)"}.`);
      }
      add(view, m[2], m[2]);
    } else if (Array.isArray(item)) item.forEach(visit);
    else throw new FeatureStoreError(`feature reference ${String(item)} is neither view.f.<name>, view.select(...) nor a "view:feature" string.`);
  };
  items.forEach(visit);
  return [...byView.values()];
}
