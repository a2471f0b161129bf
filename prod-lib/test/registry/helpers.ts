import { join } from "node:path";
import { z } from "zod";
import { LinearRegression, saveModel, type SavedModel } from "@trellis/prod";

/** The input schema of the small models the registry tests register. */
export const XRow = z.object({ a: z.number(), b: z.number() });

const rows = Array.from({ length: 40 }, (_, i) => ({ a: i, b: (i * 7) % 11 }));
const y = rows.map((r) => 2 * r.a - r.b + 1);

/** Saves `count` distinct artifacts (distinct digests) of a small linear model under `dir`. */
export async function saveArtifacts(dir: string, count: number, prefix = "m"): Promise<SavedModel[]> {
  const model = new LinearRegression().fit(rows, y);
  const out: SavedModel[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      await saveModel(model, join(dir, `${prefix}${i}`), {
        inputSchema: XRow,
        name: "linear",
        description: `artifact ${prefix}${i}`,
        metrics: { index: i },
        lineage: { runId: `run-${prefix}${i}`, featureViews: [{ name: "stats", version: 2 }] },
      }),
    );
  }
  return out;
}
