/**
 * The brute-force point-in-time case shared by the in-process and the warehouse reference tests:
 * few keys on a coarse time grid (equal times, equal created times, full ties, null keys, times,
 * created times and values), entity times on the TTL edges, and the documented semantics computed
 * by brute force.
 */
import * as arrow from "apache-arrow";
import { rng } from "../helpers/random";

export const HOUR = 3_600_000;
export const T0 = Date.UTC(2025, 0, 1);
export const TTL_HOURS = 6;

export interface FeatureRow {
  id: number | null;
  region: string | null;
  ts: number | null;
  created: number | null;
  value: number | null;
  label: string | null;
  flag: boolean | null;
}
export interface EntityRow {
  id: number | null;
  region: string | null;
  ts: number;
}

const rand = rng(2026);
// Few keys and a coarse time grid, so equal times, equal created times and full ties are common.
export const features: FeatureRow[] = Array.from({ length: 600 }, () => {
  const ts = rand() < 0.03 ? null : T0 + Math.floor(rand() * 48) * HOUR;
  return {
    id: rand() < 0.03 ? null : Math.floor(rand() * 12),
    region: rand() < 0.03 ? null : rand() < 0.5 ? "north" : "south",
    ts,
    created: ts === null || rand() < 0.15 ? null : ts + Math.floor(rand() * 3) * HOUR,
    value: rand() < 0.1 ? null : Math.round(rand() * 1e4) / 100,
    label: rand() < 0.1 ? null : `label-${Math.floor(rand() * 7)}`,
    flag: rand() < 0.1 ? null : rand() < 0.5,
  };
});
// Entity times on the grid (equal to feature times), exactly one TTL after a feature time (the
// inclusive lower edge), one microsecond past it, and off the grid; keys 12..13 never appear.
export const entities: EntityRow[] = Array.from({ length: 400 }, () => {
  const base = T0 + Math.floor(rand() * 56) * HOUR;
  const r = rand();
  const ts = r < 0.4 ? base : r < 0.6 ? base + TTL_HOURS * HOUR : r < 0.7 ? base + TTL_HOURS * HOUR + 0.001 : base + Math.floor(rand() * HOUR);
  return { id: rand() < 0.02 ? null : Math.floor(rand() * 14), region: rand() < 0.5 ? "north" : "south", ts };
});
entities.push({ ...entities[5] }, { ...entities[5] }, { ...entities[9] });

/** The documented semantics, by brute force: the latest row (then latest created, then the later row). */
export function reference(rows: readonly FeatureRow[], composite: boolean, ttlHours: number | null, byCreated: boolean): (FeatureRow | null)[] {
  return entities.map((e) => {
    let best: FeatureRow | null = null;
    let bestCreated = -Infinity;
    for (const f of rows) {
      if (f.ts === null || f.id === null || e.id === null || f.id !== e.id) continue;
      if (composite && (f.region === null || f.region !== e.region)) continue;
      if (f.ts > e.ts || (ttlHours !== null && f.ts < e.ts - ttlHours * HOUR)) continue;
      const created = f.created ?? -Infinity;
      if (byCreated && created > e.ts) continue;
      if (best === null || f.ts > best.ts! || (f.ts === best.ts && created >= bestCreated)) {
        best = f;
        bestCreated = created;
      }
    }
    return best;
  });
}

/** A Timestamp(µs, UTC) vector of epoch-millisecond times (fractions kept to the microsecond). */
export function timestamps(ms: readonly (number | null)[]): arrow.Vector {
  const data = new BigInt64Array(ms.length);
  const bitmap = new Uint8Array(Math.ceil(ms.length / 8));
  let nullCount = 0;
  ms.forEach((t, i) => {
    if (t === null) nullCount++;
    else {
      data[i] = BigInt(Math.round(t * 1000));
      bitmap[i >> 3] |= 1 << (i & 7);
    }
  });
  return arrow.makeVector(arrow.makeData({ type: new arrow.TimestampMicrosecond("UTC"), length: ms.length, nullCount, nullBitmap: bitmap, data }));
}

export function featureTable(rows: readonly FeatureRow[], chunks: number): arrow.Table {
  const batch = (part: readonly FeatureRow[]) =>
    new arrow.Table({
      id: arrow.vectorFromArray(part.map((f) => (f.id === null ? null : BigInt(f.id))), new arrow.Int64()),
      region: arrow.vectorFromArray(part.map((f) => f.region), new arrow.Utf8()),
      event_ts: timestamps(part.map((f) => f.ts)),
      created_ts: timestamps(part.map((f) => f.created)),
      value: arrow.vectorFromArray(part.map((f) => f.value), new arrow.Float64()),
      label: arrow.vectorFromArray(part.map((f) => f.label), new arrow.Utf8()),
      flag: arrow.vectorFromArray(part.map((f) => f.flag), new arrow.Bool()),
    });
  const size = Math.ceil(rows.length / chunks);
  const parts = Array.from({ length: chunks }, (_, c) => batch(rows.slice(c * size, (c + 1) * size)));
  return parts.slice(1).reduce((t, p) => t.concat(p), parts[0]);
}

export function entityTable(): arrow.Table {
  return new arrow.Table({
    id: arrow.vectorFromArray(entities.map((e) => (e.id === null ? null : BigInt(e.id))), new arrow.Int64()),
    region: arrow.vectorFromArray(entities.map((e) => e.region), new arrow.Utf8()),
    event_ts: timestamps(entities.map((e) => e.ts)),
  });
}

/** Feature rows in time order (stable; rows without a time dropped or kept at their place). */
export function timeOrdered(keepNullTimes: boolean): FeatureRow[] {
  const timed = features.map((f, i) => ({ f, i })).filter(({ f }) => f.ts !== null);
  timed.sort((a, b) => a.f.ts! - b.f.ts! || a.i - b.i);
  if (!keepNullTimes) return timed.map(({ f }) => f);
  // Rows without a time go back to their original positions among the time-ordered ones.
  const out: FeatureRow[] = [];
  let k = 0;
  for (const f of features) out.push(f.ts === null ? f : timed[k++].f);
  return out;
}

