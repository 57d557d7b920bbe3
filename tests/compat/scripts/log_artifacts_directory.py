"""log_artifact / log_artifacts with artifact_path, list and download them back."""
import pathlib

import mlflow

pathlib.Path("outputs/plots").mkdir(parents=True)
pathlib.Path("outputs/plots/a.txt").write_text("a")
pathlib.Path("outputs/summary.csv").write_text("x,y\n1,2\n")
pathlib.Path("notes.md").write_text("# notes")

with mlflow.start_run() as run:
    mlflow.log_artifacts("outputs", artifact_path="results")
    mlflow.log_artifact("notes.md")
    mlflow.log_artifact("notes.md", artifact_path="docs")
    uri = mlflow.get_artifact_uri("results")

assert uri.endswith("results")
client = mlflow.MlflowClient()
top = {f.path for f in client.list_artifacts(run.info.run_id)}
assert {"results", "notes.md", "docs"} <= top
inner = sorted(f.path for f in client.list_artifacts(run.info.run_id, "results"))
assert inner == ["results/plots", "results/summary.csv"]
local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="results",
                                            dst_path="restored")
assert pathlib.Path(local, "plots", "a.txt").read_text() == "a"
assert pathlib.Path(local, "summary.csv").read_text() == "x,y\n1,2\n"
