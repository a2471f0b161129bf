// Scores a Parquet file with a saved model into a destination, printing a line per batch, so that
// score-batch.test.ts can kill it with SIGKILL half-way and check that nothing was left behind.
import { DeployedModel, scoreBatch } from "../../src/index";

const [modelDir, from, to, warehouse] = process.argv.slice(2);
const model = await DeployedModel.load(modelDir!);
await scoreBatch({
  model,
  from: from!,
  to: warehouse ? { warehouse, table: to! } : to!,
  batchSize: 5_000,
  runLog: false,
  onProgress: (p) => process.stdout.write(`${p.rowsRead}\n`),
});
process.stdout.write("done\n");
