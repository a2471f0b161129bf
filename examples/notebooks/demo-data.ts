/**
 * A realistic, seeded retail dataset for the demo: customers, their orders over one year, and a
 * daily customer-feature snapshot computed from the orders (as a feature pipeline would), plus
 * churn labels for training. The same seed gives the same data on every machine.
 */
import { Float64, Int32, type Table, Table as ArrowTable, TimestampMicrosecond, Utf8, makeVector, vectorFromArray } from "apache-arrow";

/** A small, fast, seeded PRNG (mulberry32): uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
/** Timestamps are microseconds in UTC, as in the warehouse and the lake. */
const TS = new TimestampMicrosecond("UTC");
export const YEAR_START = Date.UTC(2025, 0, 1);
export const DAYS = 365;
const REGIONS = ["emea", "amer", "apac"] as const;
const CHANNELS = ["web", "app", "store"] as const;
const SEGMENTS = ["bronze", "silver", "gold"] as const;

export interface DemoData {
  customers: Table;
  orders: Table;
  /** One row per customer and day: the feature snapshot as of the end of that day. */
  customerFeatures: Table;
  /** Training examples: a customer at a moment, and whether it churned in the next 30 days. */
  labels: Table;
}

/**
 * Generates the demo dataset. With the defaults: 600 customers, ~60k orders and ~219k daily
 * feature rows.
 * @example
 * const { customers, orders, customerFeatures, labels } = generateDemoData({ customers: 600, seed: 7 });
 */
export function generateDemoData(opts: { customers?: number; seed?: number } = {}): DemoData {
  const nCustomers = opts.customers ?? 600;
  const rand = mulberry32(opts.seed ?? 7);

  // Customers: an activity rate that decays for the ones who will churn.
  const custId = new Int32Array(nCustomers);
  const region: string[] = [];
  const channel: string[] = [];
  const signup: number[] = [];
  const rate = new Float64Array(nCustomers);
  const basket = new Float64Array(nCustomers);
  const churnDay = new Int32Array(nCustomers);
  for (let c = 0; c < nCustomers; c++) {
    custId[c] = 1000 + c;
    region.push(REGIONS[Math.floor(rand() * REGIONS.length)]);
    channel.push(CHANNELS[Math.floor(rand() * CHANNELS.length)]);
    signup.push(YEAR_START - Math.floor(rand() * 700) * DAY);
    rate[c] = 0.05 + rand() * 0.35; // orders per day
    basket[c] = 15 + rand() * 85 * (channel[c] === "store" ? 1.4 : 1);
    // About 40% churn at some day of the year; app users churn less.
    churnDay[c] = rand() < (channel[c] === "app" ? 0.25 : 0.45) ? 30 + Math.floor(rand() * (DAYS - 30)) : DAYS + 1000;
  }

  // Orders, day by day; activity fades over the 45 days before churn.
  const oId: number[] = [];
  const oCust: number[] = [];
  const oTs: number[] = [];
  const oAmount: number[] = [];
  const ordersByDay: number[][] = Array.from({ length: nCustomers }, () => new Array(DAYS).fill(0));
  const amountByDay: number[][] = Array.from({ length: nCustomers }, () => new Array(DAYS).fill(0));
  for (let c = 0; c < nCustomers; c++) {
    for (let d = 0; d < DAYS; d++) {
      const untilChurn = churnDay[c] - d;
      const fade = untilChurn <= 0 ? 0 : untilChurn < 45 ? untilChurn / 45 : 1;
      if (rand() < rate[c] * fade) {
        const amount = Math.round(basket[c] * (0.5 + rand()) * 100) / 100;
        oId.push(oId.length + 1);
        oCust.push(custId[c]);
        oTs.push(YEAR_START + d * DAY + Math.floor(rand() * DAY));
        oAmount.push(amount);
        ordersByDay[c][d] += 1;
        amountByDay[c][d] += amount;
      }
    }
  }

  // Daily feature snapshots over a 30-day window; created a few hours after the day closes.
  const n = nCustomers * DAYS;
  const fCust = new Int32Array(n);
  const fTs: number[] = new Array(n);
  const fCreated: number[] = new Array(n);
  const fOrders: (number | null)[] = new Array(n);
  const fBasket: (number | null)[] = new Array(n);
  const fSegment: (string | null)[] = new Array(n);
  let k = 0;
  for (let c = 0; c < nCustomers; c++) {
    let orders30 = 0;
    let amount30 = 0;
    for (let d = 0; d < DAYS; d++) {
      orders30 += ordersByDay[c][d];
      amount30 += amountByDay[c][d];
      if (d >= 30) {
        orders30 -= ordersByDay[c][d - 30];
        amount30 -= amountByDay[c][d - 30];
      }
      fCust[k] = custId[c];
      fTs[k] = YEAR_START + (d + 1) * DAY - 1000; // 23:59:59 of day d
      fCreated[k] = fTs[k] + (2 + Math.floor(rand() * 6)) * 3_600_000;
      const missing = rand() < 0.01; // the upstream job sometimes fails to compute a row's values
      fOrders[k] = missing ? null : orders30;
      fBasket[k] = missing || orders30 === 0 ? null : Math.round((amount30 / orders30) * 100) / 100;
      const spend = amount30;
      fSegment[k] = missing ? null : spend > 600 ? "gold" : spend > 200 ? "silver" : SEGMENTS[0];
      k++;
    }
  }

  // Labels: monthly snapshots per customer; churned = no order in the next 30 days.
  const lCust: number[] = [];
  const lTs: number[] = [];
  const lChurn: number[] = [];
  for (let c = 0; c < nCustomers; c++) {
    for (let d = 30; d + 30 < DAYS; d += 14) {
      let future = 0;
      for (let j = d + 1; j <= d + 30; j++) future += ordersByDay[c][j];
      let past = 0;
      for (let j = Math.max(0, d - 30); j <= d; j++) past += ordersByDay[c][j];
      if (past === 0 && churnDay[c] < d) continue; // already gone: not a training example
      lCust.push(custId[c]);
      lTs.push(YEAR_START + d * DAY + 12 * 3_600_000);
      lChurn.push(future === 0 ? 1 : 0);
    }
  }

  return {
    customers: new ArrowTable({
      customer_id: makeVector(custId),
      region: vectorFromArray(region, new Utf8()),
      channel: vectorFromArray(channel, new Utf8()),
      signup_ts: vectorFromArray(signup, TS),
    }),
    orders: new ArrowTable({
      order_id: vectorFromArray(oId, new Int32()),
      customer_id: vectorFromArray(oCust, new Int32()),
      order_ts: vectorFromArray(oTs, TS),
      amount: vectorFromArray(oAmount, new Float64()),
    }),
    customerFeatures: new ArrowTable({
      customer_id: makeVector(fCust),
      event_ts: vectorFromArray(fTs, TS),
      created_ts: vectorFromArray(fCreated, TS),
      orders_30d: vectorFromArray(fOrders, new Int32()),
      avg_basket: vectorFromArray(fBasket, new Float64()),
      segment: vectorFromArray(fSegment, new Utf8()),
    }),
    labels: new ArrowTable({
      customer_id: vectorFromArray(lCust, new Int32()),
      event_ts: vectorFromArray(lTs, TS),
      churned: vectorFromArray(lChurn, new Int32()),
    }),
  };
}
