"""code_paths= and infer_code_paths=True carry the project's own modules with the model."""
import os
import pathlib
import subprocess
import sys

import mlflow

mlflow.set_tracking_uri(f"sqlite:///{os.path.abspath('mlflow.db')}")
pathlib.Path("featurize").mkdir()
pathlib.Path("featurize/__init__.py").write_text("def double(xs):\n    return [2 * x for x in xs]\n")
pathlib.Path("helpers.py").write_text("def shift(xs):\n    return [x + 1 for x in xs]\n")
sys.path.insert(0, os.getcwd())

import featurize  # noqa: E402
import helpers  # noqa: E402


class Pipeline(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return helpers.shift(featurize.double(list(model_input)))


with mlflow.start_run():
    inferred = mlflow.pyfunc.log_model(name="inferred", python_model=Pipeline(), infer_code_paths=True)
    explicit = mlflow.pyfunc.log_model(
        name="explicit", python_model=Pipeline(), code_paths=["featurize", "helpers.py"]
    )

for info in (inferred, explicit):
    local = mlflow.artifacts.download_artifacts(artifact_uri=info.model_uri)
    code = sorted(os.listdir(os.path.join(local, "code")))
    assert code == ["featurize", "helpers.py"], code

# a fresh interpreter elsewhere, without the project on its path, loads and runs the model
check = (
    "import sys; sys.path.insert(0, sys.argv[2]); import alias; alias.install()\n"
    "import mlflow\n"
    f"mlflow.set_tracking_uri({mlflow.get_tracking_uri()!r})\n"
    "m = mlflow.pyfunc.load_model(sys.argv[1])\n"
    "assert list(m.predict([1, 2])) == [3, 5], m.predict([1, 2])\n"
)
os.mkdir("elsewhere")
runner_dir = os.path.dirname(sys.modules["alias"].__file__)
subprocess.run(
    [sys.executable, "-c", check, inferred.model_uri, runner_dir], check=True, cwd="elsewhere"
)
