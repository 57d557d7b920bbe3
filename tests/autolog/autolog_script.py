"""The same autologged script, run with mlflow (its venv) or archivist: prints what each run holds."""

import importlib
import json
import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

lib = sys.argv[1]
m = importlib.import_module(lib)
m.set_tracking_uri(sys.argv[2])
m.sklearn.autolog(log_input_examples=True)
rng = np.random.default_rng(0)
X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
y = (X["a"] > 0).astype(int)
X_test = X.iloc[:20]
y_test = y.iloc[:20]
out = {}
est = LogisticRegression().fit(X, y)
est.score(X_test, y_test)
accuracy_score(y_test, est.predict(X_test))
out["plain"] = m.last_active_run().info.run_id
Pipeline([("s", StandardScaler()), ("lr", LogisticRegression())]).fit(X, y)
out["pipe"] = m.last_active_run().info.run_id
GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0, 10.0]}, cv=3).fit(X, y)
out["grid"] = m.last_active_run().info.run_id
c = m.MlflowClient()
skip = ("mlflow.source", "mlflow.user", "archivist.env", "mlflow.runName", "mlflow.log-model", "archivist.git")
res = {}
for k, rid in out.items():
    run = c.get_run(rid)
    kids = [x for x in c.search_runs([run.info.experiment_id]) if x.data.tags.get("mlflow.parentRunId") == rid]
    res[k] = {
        "params": sorted(run.data.params), "metrics": sorted(run.data.metrics),
        "tags": sorted(t for t in run.data.tags if not t.startswith(skip)),
        "inputs": [(d.dataset.source_type, [(t.key, t.value) for t in d.tags]) for d in run.inputs.dataset_inputs],
        "children": len(kids),
        "child_params": sorted(kids[0].data.params) if kids else [],
        "child_metrics": sorted(kids[0].data.metrics) if kids else [],
        "artifacts": sorted(f.path for f in c.list_artifacts(rid)),
    }
print(json.dumps(res, indent=1))
