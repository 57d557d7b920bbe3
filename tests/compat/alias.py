"""An import alias: ``import mlflow.<x>`` gives ``archivist.<x>``, the very same module.

Installed as the first meta-path finder, so the real ``mlflow`` (if installed) is never
reached. Names map one to one (``mlflow.models.signature`` -> ``archivist.models.signature``);
a module MLflow has and we do not fails to import, naming what is missing, which is the
point: a script that needs it shows the gap.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

ALIAS = "mlflow"
TARGET = "archivist"


class _Loader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the archivist module was executed when it was imported."""


class MlflowAlias(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        real = TARGET + fullname[len(ALIAS) :]
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(real))


def install() -> None:
    """Put the alias first on ``sys.meta_path`` (idempotent)."""
    if not any(isinstance(f, MlflowAlias) for f in sys.meta_path):
        sys.meta_path.insert(0, MlflowAlias())
