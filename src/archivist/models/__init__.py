"""The MLmodel format: signatures, the ``MLmodel`` file, input examples, environments.

Names are re-exported lazily, so ``import archivist.models`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archivist.models.code import set_model
    from archivist.models.environment import (
        check_versions,
        conda_yaml,
        environment_info,
        process_requirements,
        python_env_yaml,
        requirements_from_pickle,
        warn_mismatches,
        write_environment,
    )
    from archivist.models.info import get_model_info, set_signature
    from archivist.models.model import Model, load_input_example, save_input_example
    from archivist.models.signature import (
        AnyType,
        Array,
        ColSpec,
        DataType,
        Map,
        ModelSignature,
        Object,
        ParamSchema,
        ParamSpec,
        Property,
        Schema,
        TensorSpec,
        enforce_params,
        enforce_schema,
        infer_param_schema,
        infer_schema,
        infer_signature,
        validate_example,
    )

_EXPORTS = {
    "archivist.models.signature": (
        "AnyType",
        "Array",
        "ColSpec",
        "DataType",
        "Map",
        "ModelSignature",
        "Object",
        "ParamSchema",
        "ParamSpec",
        "Property",
        "Schema",
        "TensorSpec",
        "enforce_params",
        "enforce_schema",
        "infer_param_schema",
        "infer_schema",
        "infer_signature",
        "validate_example",
    ),
    "archivist.models.model": ("Model", "load_input_example", "save_input_example"),
    "archivist.models.info": ("get_model_info", "set_signature"),
    "archivist.models.code": ("set_model",),
    "archivist.models.environment": (
        "check_versions",
        "conda_yaml",
        "environment_info",
        "process_requirements",
        "python_env_yaml",
        "requirements_from_pickle",
        "warn_mismatches",
        "write_environment",
    ),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "AnyType",
    "Array",
    "ColSpec",
    "DataType",
    "Map",
    "Model",
    "ModelSignature",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "Property",
    "Schema",
    "TensorSpec",
    "check_versions",
    "conda_yaml",
    "enforce_params",
    "enforce_schema",
    "environment_info",
    "get_model_info",
    "infer_param_schema",
    "infer_schema",
    "infer_signature",
    "load_input_example",
    "process_requirements",
    "python_env_yaml",
    "requirements_from_pickle",
    "save_input_example",
    "set_model",
    "set_signature",
    "validate_example",
    "warn_mismatches",
    "write_environment",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'archivist.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
