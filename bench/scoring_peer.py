"""Peer of bench/scoring.ts: pandas + scikit-learn scoring the benchmark Parquet file into a Parquet
file (read_parquet, predict_proba, to_parquet) with the same pipeline, fitted on 200k rows of the
same table beforehand in a process of its own so that the scoring process's peak RSS is its own.
Prints one JSON object: the median milliseconds of `runs` scoring runs in one process, the first
run's, and the peak RSS in MB.
Usage: python3 scoring_peer.py <bench.parquet> <runs>. A reference only: nothing in Trellis depends on Python.
"""
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
except ImportError as err:  # pragma: no cover - depends on the machine
    print(f"scoring peer skipped: {err.name} is not installed (pip install numpy pandas pyarrow scikit-learn)", file=sys.stderr)
    sys.exit(3)

NUMERIC = [f"f{j}" for j in range(16)]
CATEGORICAL = ["cat5", "cat20", "cat200"]


def fit(path, model_path):
    df = pd.read_parquet(path).iloc[:200_000]
    rng = np.random.default_rng(42)
    logit = sum((rng.random() * 2 - 1) * np.nan_to_num(df[c].to_numpy()) for c in NUMERIC)
    y = (rng.random(len(df)) < 1 / (1 + np.exp(-logit))).astype(np.int32)
    model = Pipeline([
        ("prep", ColumnTransformer([
            ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), NUMERIC),
            ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", OneHotEncoder(handle_unknown="ignore"))]), CATEGORICAL),
        ])),
        ("clf", LogisticRegression(C=1.0, max_iter=1000)),
    ]).fit(df[NUMERIC + CATEGORICAL], y)
    with open(model_path, "wb") as f:
        pickle.dump(model, f)


def score(path, model_path, out, runs):
    with open(model_path, "rb") as f:
        model = pickle.load(f)
    times = []
    rows = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        df = pd.read_parquet(path)
        proba = model.predict_proba(df[NUMERIC + CATEGORICAL])
        result = pd.DataFrame({"customer_id": df["customer_id"], "prediction": model.classes_[proba.argmax(axis=1)]})
        for k, c in enumerate(model.classes_):
            result[f"proba_{c}"] = proba[:, k]
        result.to_parquet(out)
        times.append((time.perf_counter() - t0) * 1000)
        rows = len(result)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"ms": statistics.median(times), "firstMs": times[0], "rows": rows, "peakRssMB": round(peak)}))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        return
    path, runs = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as work:
        model_path = os.path.join(work, "model.pkl")
        fit(path, model_path)
        out = subprocess.run(
            [sys.executable, __file__, "score", path, model_path, os.path.join(work, "scores.parquet"), runs],
            capture_output=True, text=True, check=True,
        )
        print(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
