"""mlflow.log_stream logs bytes from a file-like object."""
import io

import mlflow

with mlflow.start_run() as run:
    mlflow.log_stream(io.BytesIO(b"\x00binary\xff" * 1000), "blobs/data.bin")
    with open(__file__, "rb") as f:
        mlflow.log_stream(f, "source.py")

path = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="blobs/data.bin")
with open(path, "rb") as f:
    assert f.read() == b"\x00binary\xff" * 1000
names = {a.path for a in mlflow.artifacts.list_artifacts(run_id=run.info.run_id)}
assert {"blobs", "source.py"} <= names, names
