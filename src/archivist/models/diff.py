"""Compare two models: files, params, metrics, signature, requirements and environment.

``archivist models diff URI_A URI_B`` and :func:`diff_models` answer "what changed between
these versions?" from what the store already knows: the two artifact trees (path, digest,
size: no download), the ``MLmodel`` files, ``requirements.txt`` and ``python_env.yaml``,
the logged models' params and their runs' params, metrics and ``archivist.env.*`` tags.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archivist.client import ArchivistClient
    from archivist.entities import TreeEntry

__all__ = ["ModelDiff", "diff_models"]


@dataclass
class ModelDiff:
    """What differs from model A to model B; each ``{key: [a, b]}`` lists changed keys only."""

    a: str
    b: str
    files_added: list[dict[str, Any]] = field(default_factory=list)
    files_removed: list[dict[str, Any]] = field(default_factory=list)
    files_changed: list[dict[str, Any]] = field(default_factory=list)
    files_unchanged: int = 0
    bytes_different: int = 0
    params: dict[str, list[Any]] = field(default_factory=dict)
    metrics: dict[str, list[Any]] = field(default_factory=dict)
    signature: dict[str, list[Any]] = field(default_factory=dict)
    requirements: dict[str, list[Any]] = field(default_factory=dict)
    environment: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def identical(self) -> bool:
        return not (self.files_added or self.files_removed or self.files_changed or self.params
                    or self.metrics or self.signature or self.requirements or self.environment)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "identical": self.identical}


@dataclass
class _Side:
    uri: str
    entries: dict[str, TreeEntry]
    read: Any
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]


def _side(client: ArchivistClient, uri: str) -> _Side:
    from archivist.models.resolve import model_source

    src = model_source(uri, client)
    params: dict[str, str] = {}
    metrics: dict[str, float] = {}
    tags: dict[str, str] = {}
    if src.run_id:
        run = client.get_run(src.run_id)
        params.update(run.data.params)
        metrics.update(run.data.metrics)
        tags = {k: v for k, v in run.data.tags.items() if k.startswith("archivist.env.")}
    if src.model_id:
        logged = client.get_logged_model(src.model_id)
        params.update(logged.params)
        owner, prefix = src.model_id, ""
    else:
        owner, prefix = str(src.run_id), (src.run_path or "").strip("/")
    entries = {}
    for e in client.tracking_store.list_tree_entries(owner, prefix):
        rel = e.path[len(prefix) + 1 :] if prefix else e.path
        entries[rel] = e

    def read(rel: str) -> bytes | None:
        if rel not in entries:
            return None
        return client.artifact_store.read_bytes(owner, entries[rel].path)

    return _Side(uri, entries, read, params, metrics, tags)


def _changed(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [a.get(k), b.get(k)] for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


def _yaml(data: bytes | None) -> dict[str, Any]:
    if data is None:
        return {}
    import yaml

    loaded = yaml.safe_load(data)
    return loaded if isinstance(loaded, dict) else {}


def _columns(spec: str | None) -> dict[str, str]:
    """``{column name or #i: type}`` of a signature's JSON inputs/outputs."""
    import json

    if not spec:
        return {}
    out = {}
    for i, col in enumerate(json.loads(spec)):
        t = col.get("type")
        if t == "tensor":
            t = f"tensor {col.get('tensor-spec', {}).get('dtype')} {col.get('tensor-spec', {}).get('shape')}"
        out[str(col.get("name", f"#{i}"))] = f"{t}{'' if col.get('required', True) else ' (optional)'}"
    return out


def _requirements(data: bytes | None) -> dict[str, str]:
    out = {}
    for line in (data or b"").decode(errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", line)
        if m:
            out[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2).strip() or "(any)"
    return out


def diff_models(client: ArchivistClient, uri_a: str, uri_b: str) -> ModelDiff:
    """Compare the models at ``uri_a`` and ``uri_b`` (any model URI form).

    Example:
        >>> d = diff_models(client, "models:/iris/1", "models:/iris@champion")
        >>> d.requirements   # {"scikit-learn": ["==1.4.2", "==1.5.0"]}
    """
    a, b = _side(client, uri_a), _side(client, uri_b)
    d = ModelDiff(a=uri_a, b=uri_b)
    for path in sorted(set(a.entries) | set(b.entries)):
        ea, eb = a.entries.get(path), b.entries.get(path)
        if ea is None and eb is not None:
            d.files_added.append({"path": path, "size": eb.size})
            d.bytes_different += eb.size
        elif eb is None and ea is not None:
            d.files_removed.append({"path": path, "size": ea.size})
        elif ea is not None and eb is not None and ea.digest != eb.digest:
            d.files_changed.append({"path": path, "size_a": ea.size, "size_b": eb.size})
            d.bytes_different += eb.size
        else:
            d.files_unchanged += 1
    d.params = _changed(a.params, b.params)
    d.metrics = _changed(a.metrics, b.metrics)
    ma, mb = _yaml(a.read("MLmodel")), _yaml(b.read("MLmodel"))
    sa, sb = ma.get("signature") or {}, mb.get("signature") or {}
    for part in ("inputs", "outputs"):
        for col, (ta, tb) in _changed(_columns(sa.get(part)), _columns(sb.get(part))).items():
            d.signature[f"{part}.{col}"] = [ta, tb]
    if sa.get("params") != sb.get("params"):
        d.signature["params"] = [sa.get("params"), sb.get("params")]
    d.requirements = _changed(_requirements(a.read("requirements.txt")),
                              _requirements(b.read("requirements.txt")))
    pa, pb = _yaml(a.read("python_env.yaml")), _yaml(b.read("python_env.yaml"))
    env = _changed({"python": pa.get("python"), "flavors": sorted(ma.get("flavors") or {}),
                    "mlflow_version": ma.get("mlflow_version")},
                   {"python": pb.get("python"), "flavors": sorted(mb.get("flavors") or {}),
                    "mlflow_version": mb.get("mlflow_version")})
    env.update(_changed(a.tags, b.tags))
    d.environment = env
    return d
