"""Building a signature by hand from mlflow.types, with an optional column."""
import numpy as np
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec
from mlflow.types.schema import Array, Map, Object, Property

inputs = Schema([
    ColSpec(DataType.double, "sepal_length"),
    ColSpec("string", "species", required=False),
    ColSpec(Array(DataType.long), "counts"),
    ColSpec(Object([Property("a", DataType.string), Property("b", DataType.double, required=False)]), "obj"),
    ColSpec(Map(DataType.long), "lookup"),
])
outputs = Schema([TensorSpec(np.dtype("float32"), (-1, 3))])
params = ParamSchema([ParamSpec("temperature", DataType.double, 0.7)])
signature = ModelSignature(inputs=inputs, outputs=outputs, params=params)

assert inputs.input_names() == ["sepal_length", "species", "counts", "obj", "lookup"]
assert inputs.required_input_names() == ["sepal_length", "counts", "obj", "lookup"]
assert inputs.optional_input_names() == ["species"]
d = signature.to_dict()
assert '"required": false' in d["inputs"]
again = ModelSignature.from_dict(d)
assert again.inputs.optional_input_names() == ["species"]
assert again.params.to_dict()[0]["default"] == 0.7
assert not ColSpec("long", "x", required=True).optional
