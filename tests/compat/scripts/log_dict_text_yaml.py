"""log_dict (JSON and YAML), log_text, and loading them back by artifact URI."""
import mlflow

config = {"model": {"layers": [64, 32], "dropout": 0.1}, "seed": 7}
with mlflow.start_run() as run:
    mlflow.log_dict(config, "config.json")
    mlflow.log_dict(config, "configs/config.yaml")
    mlflow.log_text("accuracy: 0.9\n", "reports/summary.txt")

base = f"runs:/{run.info.run_id}"
assert mlflow.artifacts.load_dict(f"{base}/config.json") == config
assert mlflow.artifacts.load_dict(f"{base}/configs/config.yaml") == config
assert mlflow.artifacts.load_text(f"{base}/reports/summary.txt") == "accuracy: 0.9\n"
listed = {f.path: f.is_dir for f in mlflow.MlflowClient().list_artifacts(run.info.run_id)}
assert listed["configs"] is True and listed["config.json"] is False
