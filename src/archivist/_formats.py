"""Turning Python objects into artifact bytes and back (dicts, tables, images, figures)."""

from __future__ import annotations

import functools
import io
import json
import math
import posixpath
from collections.abc import Mapping
from typing import Any

from archivist.errors import InvalidArgument, missing

__all__ = [
    "bytes_to_dict",
    "bytes_to_table",
    "dict_to_bytes",
    "figure_to_bytes",
    "image_to_png",
    "table_to_bytes",
]

_YAML = (".yaml", ".yml")


def _ext(artifact_file: str) -> str:
    return posixpath.splitext(artifact_file)[1].lower()


def dict_to_bytes(dictionary: Any, artifact_file: str) -> bytes:
    if not isinstance(dictionary, dict):
        raise InvalidArgument(
            f"log_dict expects a dict, got {type(dictionary).__name__}; convert it first"
        )
    if _ext(artifact_file) in _YAML:
        import yaml

        try:
            text = yaml.dump(
                dictionary, Dumper=_yaml_dumper(), sort_keys=False, allow_unicode=True
            )
        except yaml.YAMLError as e:
            raise InvalidArgument(
                f"log_dict could not write {artifact_file!r} as YAML: {e}"
            ) from None
        return text.encode()
    try:
        return json.dumps(dictionary, indent=2, default=_json_default).encode()
    except TypeError as e:
        raise InvalidArgument(f"log_dict could not write {artifact_file!r} as JSON: {e}") from None


@functools.cache
def _yaml_dumper() -> Any:
    """yaml's safe dumper, also writing what JSON accepts: numpy values, other mappings, tuples."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent(dumper: Any, obj: Any) -> Any:
        if isinstance(obj, Mapping):
            return dumper.represent_dict(dict(obj))
        if isinstance(obj, tuple):
            return dumper.represent_list(list(obj))
        try:
            return dumper.represent_data(_json_default(obj))
        except TypeError as e:
            raise yaml.representer.RepresenterError(str(e)) from None

    Dumper.add_multi_representer(object, represent)
    return Dumper


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(
        f"a value of type {type(obj).__name__} cannot be written; use numbers, strings, "
        "booleans, lists, dicts, numpy values or dates"
    )


def bytes_to_dict(data: bytes, artifact_file: str) -> dict[str, Any]:
    if _ext(artifact_file) in _YAML:
        import yaml

        loaded = yaml.safe_load(data)
    else:
        loaded = json.loads(data)
    if not isinstance(loaded, dict):
        raise InvalidArgument(f"artifact {artifact_file!r} does not hold a dict")
    return loaded


def image_to_png(image: Any) -> bytes:
    """A numpy array (HxW, HxWx3, HxWx4; uint8 or floats in [0, 1]) or a PIL image."""
    try:
        from PIL import Image
    except ImportError:
        raise missing("pillow", "images", "log_image") from None
    if isinstance(image, Image.Image):
        img = image
    elif hasattr(image, "__array__") and hasattr(image, "shape"):
        import numpy as np

        arr = np.asarray(image)
        if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
            raise InvalidArgument(
                f"log_image got an array of shape {arr.shape}; expected (H, W), (H, W, 1), "
                "(H, W, 3) or (H, W, 4)"
            )
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[:, :, 0]
        if arr.dtype.kind == "f":
            if arr.size and (np.nanmin(arr) < 0 or np.nanmax(arr) > 1):
                raise InvalidArgument(
                    "log_image got a float array with values outside [0, 1]; scale it to "
                    "[0, 1] or convert it to uint8"
                )
            arr = (arr * 255).round().astype(np.uint8)
        elif arr.dtype.kind in "iub":
            if arr.size and (arr.min() < 0 or arr.max() > 255):
                raise InvalidArgument(
                    "log_image got integer values outside [0, 255]; convert it to uint8"
                )
            arr = arr.astype(np.uint8)
        else:
            raise InvalidArgument(f"log_image cannot use an array of dtype {arr.dtype}")
        img = Image.fromarray(arr)
    else:
        raise InvalidArgument(
            f"log_image expects a numpy array or a PIL image, got {type(image).__name__}"
        )
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def figure_to_bytes(
    figure: Any, artifact_file: str, save_kwargs: dict[str, Any] | None = None
) -> bytes:
    """A matplotlib Figure (any format it writes) or a plotly Figure (.html, .json, images).

    ``save_kwargs`` go to matplotlib's ``savefig`` or plotly's ``to_html`` / ``to_image``.
    """
    ext = _ext(artifact_file)
    kwargs = dict(save_kwargs or {})
    module = type(figure).__module__
    if module.startswith("matplotlib"):
        buf = io.BytesIO()
        figure.savefig(buf, **{"format": ext.lstrip(".") or "png", **kwargs})
        return buf.getvalue()
    if module.startswith("plotly"):
        if ext in (".html", ".htm", ""):
            html: str = figure.to_html(**{"include_plotlyjs": "cdn", "full_html": True, **kwargs})
            return html.encode()
        if ext == ".json":
            return str(figure.to_json(**kwargs)).encode()
        return bytes(figure.to_image(**{"format": ext.lstrip("."), **kwargs}))
    raise InvalidArgument(
        f"log_figure expects a matplotlib or plotly figure, got {type(figure).__name__}"
    )


def table_to_bytes(data: Any) -> bytes:
    """A dict of columns or a DataFrame, as ``{"columns": [...], "data": [[...]]}`` JSON."""
    if isinstance(data, dict):
        columns = [str(c) for c in data]
        values = [list(v) if not isinstance(v, (str, bytes)) and hasattr(v, "__iter__") else [v]
                  for v in data.values()]
        lengths = {len(v) for v in values}
        if len(lengths) > 1:
            raise InvalidArgument(
                f"log_table got columns of different lengths {sorted(lengths)}; every column "
                "must have the same number of rows"
            )
        rows = [list(r) for r in zip(*values, strict=True)] if values else []
    elif type(data).__name__ == "DataFrame":
        columns = [str(c) for c in data.columns]
        rows = data.to_numpy().tolist()
    else:
        raise InvalidArgument(
            f"log_table expects a dict of columns or a pandas DataFrame, got {type(data).__name__}"
        )
    return json.dumps(
        {"columns": columns, "data": [[_clean(v) for v in r] for r in rows]},
        default=_json_default,
    ).encode()


def _clean(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None if math.isnan(v) else v
    return v


def bytes_to_table(data: bytes) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise missing("pandas", "pandas", "load_table") from None
    loaded = json.loads(data)
    return pd.DataFrame(loaded["data"], columns=loaded["columns"])
