"""Models from code: log a .py file that calls mlflow.models.set_model; loading runs it."""
import pathlib

import mlflow
import pandas as pd

pathlib.Path("my_model.py").write_text('''
import mlflow
from mlflow.models import set_model


class AddN(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        n = (context.model_config or {}).get("n", 1)
        return model_input + n


set_model(AddN())
''')

frame = pd.DataFrame({"x": [1, 2]})
with mlflow.start_run():
    info = mlflow.pyfunc.log_model(
        name="add", python_model="my_model.py", model_config={"n": 10}, input_example=frame
    )
assert info.signature is not None
assert "model_code_path" in info.flavors["python_function"]
pathlib.Path("my_model.py").unlink()  # the model keeps its own copy of the code
loaded = mlflow.pyfunc.load_model(info.model_uri)
assert list(loaded.predict(frame)["x"]) == [11, 12]

pathlib.Path("no_set_model.py").write_text("x = 1\n")
try:
    mlflow.pyfunc.log_model(name="bad", python_model="no_set_model.py")
except mlflow.MlflowException as e:
    assert "set_model" in str(e)
else:
    raise AssertionError("a code file without set_model was accepted")
