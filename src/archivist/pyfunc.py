"""``archivist.pyfunc``: load any model generically; custom Python models."""

from archivist.flavors.pyfunc import (
    PyFuncModel,
    PythonModel,
    PythonModelContext,
    load_model,
    log_model,
    save_model,
)

__all__ = ["PyFuncModel", "PythonModel", "PythonModelContext", "load_model", "log_model", "save_model"]
