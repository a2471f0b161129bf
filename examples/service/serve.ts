/**
 * Step 2: serves `churn@production` from the demo's warehouse on 127.0.0.1:8080 (PORT), logging
 * predictions to the same warehouse; Ctrl-C stops it gracefully.
 *
 *   npm run service:serve -w @trellis/examples
 *   curl -s 127.0.0.1:8080/v2/models/churn/predict -H 'content-type: application/json' \
 *     -d '{"orders_30d": 2, "avg_basket": 41.5, "segment": "gold", "region": "emea", "channel": "web"}'
 */
import { serve } from "@trellis/prod";
import { MODEL_REF, PORT, WAREHOUSE } from "./common";

serve({
  models: { churn: MODEL_REF },
  warehouse: WAREHOUSE,
  port: PORT,
  logPredictions: { warehouse: WAREHOUSE },
  handleSignals: true,
  onShutdown: () => process.exit(0),
}).then(
  (svc) => console.log(`serving ${MODEL_REF} at ${svc.url} (metadata: ${svc.url}/v2/models/churn, metrics: ${svc.url}/metrics)`),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
