"""Models from code, and finding the local modules a model needs.

A models-from-code file defines a model and calls :func:`set_model`; logging it with
``pyfunc.log_model(python_model="model.py")`` stores the file instead of a pickle, and
loading runs the file again (MLflow's models-from-code). :func:`local_code_paths` finds the
modules of the working tree that a model imports, for ``infer_code_paths=True``.
"""

from __future__ import annotations

import ast
import os
import runpy
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from archivist.errors import InvalidArgument

__all__ = ["MODEL_CODE_PATH", "load_code_model", "local_code_paths", "set_model"]

#: The pyfunc flavor key naming the model's code file (MLflow's name).
MODEL_CODE_PATH = "model_code_path"

_lock = threading.Lock()
_set: list[Any] = []


def set_model(model: Any) -> None:
    """Name the model a models-from-code file defines (a ``PythonModel`` or a callable).

    Example (in ``model.py``)::

        class Echo(archivist.pyfunc.PythonModel):
            def predict(self, context, model_input):
                return model_input

        archivist.models.set_model(Echo())
    """
    from archivist.flavors.pyfunc import PythonModel

    if isinstance(model, str) or not (isinstance(model, PythonModel) or callable(model)):
        raise InvalidArgument(
            f"set_model takes a PythonModel instance or a callable, got {type(model).__name__}"
        )
    _set.append(model)


def load_code_model(path: str | os.PathLike[str]) -> Any:
    """Run the file at ``path`` and return the model it passed to :func:`set_model`."""
    file = Path(path)
    if file.suffix != ".py" or not file.is_file():
        raise InvalidArgument(
            f"model code path {os.fspath(path)!r} is not an existing .py file; give the "
            "file that defines the model and calls set_model()"
        )
    with _lock:
        _set.clear()
        runpy.run_path(str(file), run_name=f"__archivist_model_{file.stem}__")
        if not _set:
            raise InvalidArgument(
                f"model code file {str(file)!r} ran without calling set_model(model); add "
                "'mlflow.models.set_model(model)' (or archivist.models.set_model) at its end"
            )
        return _set.pop()


def imported_modules(path: str | os.PathLike[str]) -> set[str]:
    """The modules a Python file imports at any level (from its source, without running it)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _outside_environment(file: Path) -> bool:
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    parts = set(file.parts)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    return not any(file.is_relative_to(p) for p in prefixes)


def local_code_paths(modules: Iterable[str], root: str | os.PathLike[str] | None = None) -> list[str]:
    """Files or package folders under ``root`` (default: the working directory) that hold
    ``modules``; installed packages, the standard library and Archivist itself are skipped."""
    base = Path(root or os.getcwd()).resolve()
    found: dict[str, None] = {}
    for name in sorted(modules):
        top = name.split(".")[0]
        if top in ("archivist", "mlflow", "__main__"):
            continue
        module = sys.modules.get(top)
        if module is None:
            try:
                module = __import__(top)
            except Exception:  # not importable here: nothing to copy
                continue
        file = getattr(module, "__file__", None)
        if not file:
            continue
        where = Path(file).resolve()
        if where.name == "__init__.py":
            where = where.parent
        if where.is_relative_to(base) and _outside_environment(where):
            found[str(where)] = None
    return list(found)
