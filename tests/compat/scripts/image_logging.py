"""log_image with numpy arrays: a single file and a series over steps."""
import mlflow
import numpy as np

image = (np.random.default_rng(0).random((16, 16, 3)) * 255).astype(np.uint8)
with mlflow.start_run() as run:
    mlflow.log_image(image, "samples/first.png")
    for step in range(3):
        mlflow.log_image(image, key="progress", step=step)

client = mlflow.MlflowClient()
assert [f.path for f in client.list_artifacts(run.info.run_id, "samples")] == ["samples/first.png"]
series = [f.path for f in client.list_artifacts(run.info.run_id, "images")]
assert len(series) == 3 and all("progress+step+" in p for p in series)
loaded = mlflow.artifacts.load_image(f"runs:/{run.info.run_id}/samples/first.png")
assert loaded.size == (16, 16)
assert client.get_run(run.info.run_id).data.tags["mlflow.loggedImages"] == "True"
