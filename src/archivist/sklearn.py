"""``archivist.sklearn``: the scikit-learn flavor (see :mod:`archivist.flavors.sklearn`)."""

from archivist.autolog.sklearn import autolog
from archivist.flavors.sklearn import (
    SERIALIZATION_FORMAT_CLOUDPICKLE,
    SERIALIZATION_FORMAT_PICKLE,
    SERIALIZATION_FORMAT_SKOPS,
    SUPPORTED_SERIALIZATION_FORMATS,
    load_model,
    log_model,
    save_model,
)

__all__ = [
    "SERIALIZATION_FORMAT_CLOUDPICKLE",
    "SERIALIZATION_FORMAT_PICKLE",
    "SERIALIZATION_FORMAT_SKOPS",
    "SUPPORTED_SERIALIZATION_FORMATS",
    "autolog",
    "load_model",
    "log_model",
    "save_model",
]
