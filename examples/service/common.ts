/**
 * What the service example shares: the warehouse (the demo's embedded one by default), the
 * registry reference it serves, and the demo's churn model recipe (the same features and pipeline
 * as examples/src/demo.ts), trained on the demo data with an in-process as-of join.
 */
import { z } from "zod";
import { ColumnTransformer, LogisticRegression, OneHotEncoder, Pipeline, SimpleImputer, StandardScaler } from "@trellis/prod";
import { generateDemoData } from "../notebooks/demo-data";

export const WAREHOUSE = process.env.TRELLIS_DEMO_WAREHOUSE ?? "embedded:.trellis/warehouse";
export const MODEL_REF = "churn@production";
export const PORT = Number(process.env.PORT ?? 8080);

/** The churn model's input: what the online store and the customer table give at request time. */
export const ChurnRow = z.object({
  orders_30d: z.int().min(0).nullable(),
  avg_basket: z.number().nullable(),
  segment: z.string().nullable(),
  region: z.string(),
  channel: z.string(),
});
export type ChurnInput = z.infer<typeof ChurnRow>;

const ts = (v: unknown): number => (v instanceof Date ? v.getTime() : Number(v));

/**
 * The demo's training examples as rows: each label joined as of its time with the customer's
 * latest daily feature snapshot, plus the customer's region and channel. Also returns the rows of
 * the last day, the traffic the example sends.
 */
export function demoRows(): { train: ChurnInput[]; y: number[]; lastDay: ChurnInput[] } {
  const { customers, customerFeatures, labels } = generateDemoData();
  const who = new Map<number, { region: string; channel: string }>();
  for (const r of customers) who.set(Number(r.customer_id), { region: String(r.region), channel: String(r.channel) });
  const snaps = new Map<number, { at: number[]; rows: { orders_30d: number | null; avg_basket: number | null; segment: string | null }[] }>();
  let lastTs = 0;
  for (const r of customerFeatures) {
    const c = Number(r.customer_id);
    let s = snaps.get(c);
    if (!s) snaps.set(c, (s = { at: [], rows: [] }));
    const at = ts(r.event_ts);
    lastTs = Math.max(lastTs, at);
    s.at.push(at);
    s.rows.push({ orders_30d: r.orders_30d ?? null, avg_basket: r.avg_basket ?? null, segment: r.segment ?? null });
  }
  const asOf = (c: number, at: number) => {
    const s = snaps.get(c);
    if (!s) return null;
    let lo = 0;
    let hi = s.at.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s.at[mid] <= at) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? null : s.rows[found];
  };
  const train: ChurnInput[] = [];
  const y: number[] = [];
  for (const r of labels) {
    const c = Number(r.customer_id);
    const f = asOf(c, ts(r.event_ts));
    const w = who.get(c);
    if (!f || !w) continue;
    train.push({ ...f, ...w });
    y.push(Number(r.churned));
  }
  const lastDay: ChurnInput[] = [];
  for (const [c, s] of snaps) {
    const i = s.at.lastIndexOf(lastTs);
    const w = who.get(c);
    if (i >= 0 && w) lastDay.push({ ...s.rows[i], ...w });
  }
  return { train, y, lastDay };
}

/** The demo's churn pipeline (examples/src/demo.ts). */
export function churnPipeline(): Pipeline<LogisticRegression> {
  return new Pipeline({
    steps: [
      [
        "prep",
        new ColumnTransformer({
          transformers: [
            ["num", new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "median" })], ["scale", new StandardScaler()]] }), ["orders_30d", "avg_basket"]],
            [
              "cat",
              new Pipeline({ steps: [["impute", new SimpleImputer({ strategy: "most_frequent" })], ["onehot", new OneHotEncoder({ handleUnknown: "ignore" })]] }),
              ["segment", "region", "channel"],
            ],
          ],
        }),
      ],
      ["clf", new LogisticRegression({ C: 1, maxIter: 500 })],
    ],
  });
}
