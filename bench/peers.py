"""Peer figures on the same machine and in the same run as Trellis's own (`npm run bench -- peers`).

scikit-learn's mixed pipeline (median / most-frequent imputation, scaling, one-hot, logistic
regression with its default lbfgs solver) fitted on 200k rows of the benchmark table and scoring
1M rows, pandas' merge_asof for the point-in-time join of 200k entity rows against it (in memory, and
end to end with read_parquet), and pyarrow's warm full read of the file (one thread, all cores). Reads the
cached benchmark Parquet file (bench/data/bench.parquet, written by the lake group). Prints one JSON
object per figure. Needs pyarrow, pandas, numpy and scikit-learn; exits with status 3 and a message
naming what is missing otherwise. A reference only: nothing in Trellis depends on Python.
"""
import json
import os
import statistics
import sys
import time

try:
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
except ImportError as err:  # pragma: no cover - depends on the machine
    print(f"peers skipped: {err.name} is not installed (pip install numpy pandas pyarrow scikit-learn)", file=sys.stderr)
    sys.exit(3)

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = 3


def timed(fn, runs=RUNS, warmup=False):
    if warmup:
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def emit(name, ms, runs, **extra):
    print(json.dumps({"name": name, "medianMs": ms, "runs": runs, "extra": extra}))


def main():
    path = os.path.join(HERE, "data", "bench.parquet")
    if not os.path.exists(path):
        print(f"peers skipped: {path} is missing; run the lake group first (npm run bench -- lake)", file=sys.stderr)
        sys.exit(3)
    df = pq.read_table(path).to_pandas()
    numeric = [f"f{j}" for j in range(16)]
    categorical = ["cat5", "cat20", "cat200"]
    rng = np.random.default_rng(42)
    logit = np.zeros(len(df))
    for c in numeric:
        logit += (rng.random() * 2 - 1) * np.nan_to_num(df[c].to_numpy())
    for c in categorical:
        codes, _ = pd.factorize(df[c])
        effect = rng.random(codes.max() + 2) * 2 - 1
        logit += np.where(codes >= 0, effect[codes], 0)
    y = (rng.random(len(df)) < 1 / (1 + np.exp(-logit))).astype(np.int32)
    X = df[numeric + categorical]

    def model():
        return Pipeline([
            ("prep", ColumnTransformer([
                ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
                ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", OneHotEncoder(handle_unknown="ignore"))]), categorical),
            ])),
            ("clf", LogisticRegression(C=1.0, max_iter=1000)),
        ])

    fitted = {}

    def fit():
        fitted["m"] = model().fit(X.iloc[:200_000], y[:200_000])

    emit("peer scikit-learn: mixed pipeline fit (200k rows, lbfgs)", timed(fit), RUNS)
    emit("peer scikit-learn: mixed pipeline predict_proba (1M rows)", timed(lambda: fitted["m"].predict_proba(X)), RUNS)

    # Point-in-time join: 200k entity rows against the 1M-row table, 30-day tolerance, 5 features.
    ent = pd.DataFrame({
        "customer_id": rng.integers(0, 50_000, 200_000, dtype=np.int64),
        "event_ts": pd.to_datetime(
            pd.Timestamp("2024-01-01", tz="UTC").value // 1000 + rng.integers(0, 366 * 86_400_000_000, 200_000), unit="us", utc=True
        ),
    })
    feats = df[["customer_id", "event_ts", "f0", "f1", "f2", "f3", "cat5"]]

    def asof():
        e = ent.sort_values("event_ts", kind="stable")
        f = feats.sort_values("event_ts", kind="stable")
        pd.merge_asof(e, f, on="event_ts", by="customer_id", direction="backward", tolerance=pd.Timedelta(days=30))

    emit("peer pandas: merge_asof point-in-time join (200k × 1M, sorts included)", timed(asof, runs=5, warmup=True), 5)

    # The same join end to end from the lake: read the 7 columns it needs (pyarrow's reader, all
    # cores), then sort and merge_asof — the peer of getHistoricalFeatures from the Parquet lake.
    lake_columns = ["customer_id", "event_ts", "f0", "f1", "f2", "f3", "cat5"]

    def lake_asof():
        f = pd.read_parquet(path, columns=lake_columns).sort_values("event_ts", kind="stable")
        e = ent.sort_values("event_ts", kind="stable")
        pd.merge_asof(e, f, on="event_ts", by="customer_id", direction="backward", tolerance=pd.Timedelta(days=30))

    emit("peer pandas: read_parquet (7 columns) + merge_asof (200k × 1M, end to end from the lake)", timed(lake_asof, runs=5, warmup=True), 5)
    # Full reads of the whole file, warm: pyarrow on one thread and on all cores.
    emit("peer pyarrow: read_table full read, one thread (warm)", timed(lambda: pq.read_table(path, use_threads=False), runs=5, warmup=True), 5)
    emit("peer pyarrow: read_table full read, all cores (warm)", timed(lambda: pq.read_table(path), runs=5, warmup=True), 5, cores=os.cpu_count())
    es = ent.sort_values("event_ts", kind="stable")
    fs = feats.sort_values("event_ts", kind="stable")
    merge_only = lambda: pd.merge_asof(es, fs, on="event_ts", by="customer_id", direction="backward", tolerance=pd.Timedelta(days=30))
    emit("peer pandas: merge_asof alone (inputs already sorted by time)", timed(merge_only, runs=5, warmup=True), 5)


if __name__ == "__main__":
    main()
