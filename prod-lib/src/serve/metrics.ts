/**
 * The service's Prometheus metrics (text exposition format 0.0.4): counters and one latency
 * histogram kept in plain maps, rendered on `GET /metrics`. No client library: the format is a
 * few lines of text.
 */

/**
 * Upper bounds (seconds) of the request latency histogram's buckets.
 * @example LATENCY_BUCKETS[1] // 0.001 (1 ms)
 */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labels(pairs: readonly (readonly [string, string])[]): string {
  return pairs.length === 0 ? "" : `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

interface Histogram {
  model: string;
  route: string;
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * The counters of one handler. `observe` is called once per response; the rest by the routes.
 * @example const m = new ServiceMetrics(); m.observe("churn", "predict", 200, 0.0004); m.render();
 */
export class ServiceMetrics {
  private readonly requests = new Map<string, { model: string; route: string; status: number; n: number }>();
  private readonly latency = new Map<string, Histogram>();
  private readonly invalid = new Map<string, number>();
  private readonly scored = new Map<string, number>();
  private readonly dropped = new Map<string, number>();
  private readonly info: { model: string; version: string; digest: string }[] = [];

  /**
   * Counts one answered request and its latency in seconds.
   * @example metrics.observe("churn", "infer", 400, 0.0002)
   */
  observe(model: string, route: string, status: number, seconds: number): void {
    const key = `${model}\u0000${route}\u0000${status}`;
    const r = this.requests.get(key);
    if (r) r.n++;
    else this.requests.set(key, { model, route, status, n: 1 });
    const hk = `${model}\u0000${route}`;
    let h = this.latency.get(hk);
    if (!h) {
      h = { model, route, counts: new Float64Array(LATENCY_BUCKETS.length), sum: 0, count: 0 };
      this.latency.set(hk, h);
    }
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]) h.counts[i]++;
    h.sum += seconds;
    h.count++;
  }

  /**
   * Adds rows scored by a model.
   * @example metrics.rowsScored("churn", 1)
   */
  rowsScored(model: string, n: number): void {
    this.scored.set(model, (this.scored.get(model) ?? 0) + n);
  }

  /**
   * Adds rows refused by a model's input validation.
   * @example metrics.invalidRows("churn", 2)
   */
  invalidRows(model: string, n: number): void {
    this.invalid.set(model, (this.invalid.get(model) ?? 0) + n);
  }

  /**
   * Adds served rows the prediction log dropped (queue full or a failed write).
   * @example metrics.logDropped("churn", 10)
   */
  logDropped(model: string, n: number): void {
    this.dropped.set(model, (this.dropped.get(model) ?? 0) + n);
  }

  /**
   * Declares a served model (its `trellis_model_info` line).
   * @example metrics.modelInfo("churn", "3", "9f86d08...")
   */
  modelInfo(model: string, version: string, digest: string): void {
    this.info.push({ model, version, digest });
  }

  /**
   * The metrics in Prometheus text format 0.0.4.
   * @example res.end(metrics.render())
   */
  render(): string {
    const out: string[] = [];
    out.push("# HELP trellis_requests_total HTTP requests answered, by model, route and status.", "# TYPE trellis_requests_total counter");
    for (const r of this.requests.values()) out.push(`trellis_requests_total${labels([["model", r.model], ["route", r.route], ["status", String(r.status)]])} ${r.n}`);
    out.push("# HELP trellis_request_duration_seconds Time from request to response, by model and route.", "# TYPE trellis_request_duration_seconds histogram");
    for (const h of this.latency.values()) {
      const base: [string, string][] = [["model", h.model], ["route", h.route]];
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) out.push(`trellis_request_duration_seconds_bucket${labels([...base, ["le", String(LATENCY_BUCKETS[i])]])} ${h.counts[i]}`);
      out.push(`trellis_request_duration_seconds_bucket${labels([...base, ["le", "+Inf"]])} ${h.count}`);
      out.push(`trellis_request_duration_seconds_sum${labels(base)} ${h.sum}`);
      out.push(`trellis_request_duration_seconds_count${labels(base)} ${h.count}`);
    }
    const counter = (name: string, help: string, m: Map<string, number>) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [model, n] of m) out.push(`${name}${labels([["model", model]])} ${n}`);
    };
    counter("trellis_rows_scored_total", "Rows scored, by model.", this.scored);
    counter("trellis_invalid_rows_total", "Rows refused by the model's input validation, by model.", this.invalid);
    counter("trellis_prediction_log_dropped_rows_total", "Served rows the prediction log dropped (queue full or failed write), by model.", this.dropped);
    out.push("# HELP trellis_model_info The served model version and digest.", "# TYPE trellis_model_info gauge");
    for (const i of this.info) out.push(`trellis_model_info${labels([["model", i.model], ["version", i.version], ["digest", i.digest]])} 1`);
    return out.join("\n") + "\n";
  }
}
