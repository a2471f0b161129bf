"""scikit-learn's side of the search benchmark (`npm run bench -- search`): GridSearchCV(n_jobs=N)
over the same 8 candidates and the same 5 unshuffled folds of the same pipeline as bench/search.ts,
on the rows and labels that bench/search.ts wrote to an Arrow IPC file.

    python3 bench/search_peer.py bench/data/search-200k.arrow [runs] [n_jobs]

Prints one JSON object: the median time in ms, the mean test scores and the best parameters. Needs
pyarrow, pandas, numpy and scikit-learn; exits with status 3 and a message otherwise. A reference
only: nothing in Trellis depends on Python.
"""
import json
import statistics
import sys
import time

try:
    import pyarrow as pa
    import sklearn
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
except ImportError as err:  # pragma: no cover - depends on the machine
    print(f"search peer skipped: {err.name} is not installed (pip install numpy pandas pyarrow scikit-learn)", file=sys.stderr)
    sys.exit(3)


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    n_jobs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    with pa.memory_map(path) as source:
        table = pa.ipc.open_file(source).read_all()
    df = table.to_pandas()
    y = df.pop("y").to_numpy()
    numeric = [f"f{j}" for j in range(16)]
    categorical = ["cat5", "cat20", "cat200"]
    pipe = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [
                        ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
                        ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", OneHotEncoder(handle_unknown="ignore"))]), categorical),
                    ]
                ),
            ),
            ("clf", LogisticRegression(C=1.0)),
        ]
    )
    grid = {"clf__C": [0.01, 0.1, 1, 10], "prep__num__impute__strategy": ["mean", "median"]}
    times = []
    for _ in range(runs):
        search = GridSearchCV(pipe, grid, scoring="roc_auc", cv=KFold(5), n_jobs=n_jobs)
        t0 = time.perf_counter()
        search.fit(df, y)
        times.append((time.perf_counter() - t0) * 1000)
    best = {k: (v.item() if hasattr(v, "item") else v) for k, v in search.best_params_.items()}
    print(json.dumps({"medianMs": statistics.median(times), "runs": runs, "means": [float(m) for m in search.cv_results_["mean_test_score"]], "best": best, "sklearn": sklearn.__version__}))


if __name__ == "__main__":
    main()
