/**
 * Time-to-live of feature values: how far back from an entity row's timestamp a feature row may be.
 */
import { InvalidArgumentError } from "../errors";

/**
 * A duration as days, hours, minutes, seconds and milliseconds (summed). `null` means no limit.
 * @example const ttl: Ttl = { days: 30 };
 */
export interface Ttl {
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
}

const UNITS_US: Record<keyof Ttl, number> = {
  days: 86_400_000_000,
  hours: 3_600_000_000,
  minutes: 60_000_000,
  seconds: 1_000_000,
  milliseconds: 1_000,
};

/**
 * The TTL in microseconds, or `null` for no limit. Throws on negative or unknown parts.
 * @example ttlMicros({ days: 1 }) // 86_400_000_000
 */
export function ttlMicros(ttl: Ttl | null | undefined, owner = "ttl"): number | null {
  if (ttl === null || ttl === undefined) return null;
  if (typeof ttl !== "object") {
    throw new InvalidArgumentError(`${owner}: expected an object such as { days: 30 } or null for no limit, got ${JSON.stringify(ttl)}.`);
  }
  let total = 0;
  for (const [k, v] of Object.entries(ttl)) {
    if (!(k in UNITS_US)) {
      throw new InvalidArgumentError(`${owner}: unknown unit "${k}"; use days, hours, minutes, seconds or milliseconds.`);
    }
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new InvalidArgumentError(`${owner}.${k} must be a finite number >= 0, got ${JSON.stringify(v)}.`);
    }
    total += v * UNITS_US[k as keyof Ttl];
  }
  return Math.round(total);
}
