"""The FastAPI + uvicorn peer of the service benchmark (bench/service.ts): the same scikit-learn
pipeline as bench/peers.py (median / most-frequent imputation, scaling, one-hot, logistic
regression) fitted on the rows the Node side wrote, served as POST /predict taking one row object
and answering its prediction and class probabilities. Prints `PORT <n>` once listening on
127.0.0.1. Exits with status 3 and a message naming what is missing when fastapi, uvicorn,
pandas or scikit-learn are not installed. A reference only: nothing in Trellis depends on Python.
"""
import json
import socket
import sys

try:
    import pandas as pd
    import uvicorn
    from fastapi import FastAPI, Request
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
except ImportError as err:  # pragma: no cover - depends on the machine
    print(f"service peer skipped: {err.name} is not installed (pip install fastapi uvicorn pandas scikit-learn)", file=sys.stderr)
    sys.exit(3)

with open(sys.argv[1]) as f:
    spec = json.load(f)
numeric, categorical = spec["numeric"], spec["categorical"]
df = pd.DataFrame(spec["rows"], columns=numeric + categorical)
pipe = Pipeline([
    ("prep", ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
        ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", OneHotEncoder(handle_unknown="ignore"))]), categorical),
    ])),
    ("clf", LogisticRegression(C=1.0)),
]).fit(df, spec["y"])
classes = [int(c) for c in pipe.classes_]
app = FastAPI()


@app.post("/predict")
async def predict(request: Request):
    row = await request.json()
    x = pd.DataFrame([row], columns=numeric + categorical)
    p = pipe.predict_proba(x)[0]
    return {"predictions": [classes[int(p.argmax())]], "probabilities": [{str(c): float(v) for c, v in zip(classes, p)}]}


sock = socket.socket()
sock.bind(("127.0.0.1", 0))
port = sock.getsockname()[1]
sock.close()
print(f"PORT {port}", flush=True)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
