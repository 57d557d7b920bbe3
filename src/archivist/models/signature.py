"""Model signatures: what a model takes and returns, in MLflow's JSON layout.

A :class:`ModelSignature` holds an input :class:`Schema`, an optional output
:class:`Schema` and an optional :class:`ParamSchema`. In an ``MLmodel`` file each part is
stored as a JSON string (``signature: {inputs: '[...]', outputs: '[...]', params: null}``)
with the same keys MLflow uses, so either tool reads the other's models.

This module gathers the three parts under MLflow's module name
(``mlflow.models.signature``); each name is defined once, in the module for its job:

- :mod:`archivist.models.schema`: the types (``DataType``, ``ColSpec``, ``Schema``, ...);
- :mod:`archivist.models.inference`: :func:`infer_signature` and friends;
- :mod:`archivist.models.enforcement`: :func:`enforce_schema` at predict time and
  :func:`validate_example` before an input example is saved.

numpy and pandas are imported only inside the functions that need them.
"""

from __future__ import annotations

from archivist.models import enforcement, inference, schema
from archivist.models.enforcement import *  # noqa: F403
from archivist.models.inference import *  # noqa: F403
from archivist.models.schema import *  # noqa: F403

__all__ = sorted({*schema.__all__, *inference.__all__, *enforcement.__all__})
