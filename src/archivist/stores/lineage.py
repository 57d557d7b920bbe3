"""Build a lineage graph from what the tracking store recorded.

The graph is derived, not stored: dataset inputs (dataset -> run), logged models (run ->
model), registered versions (model -> version) and aliases (version -> alias) come from
their own tables; ``lineage_edges`` adds what users declared with ``derived_from=``; and a
dataset whose digest equals an artifact's is linked to it (same bytes, same data).

:func:`lineage_graph` is the one entry point, for the client, the CLI and the server.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from sqlalchemy import Table, select

from archivist.entities.lineage import LineageEdge, LineageGraph, LineageNode
from archivist.errors import InvalidArgument, ResourceNotFound
from archivist.stores.db.schema import (
    ArtifactEntryRow,
    DatasetInputRow,
    DatasetRow,
    LineageEdgeRow,
    LoggedModelRow,
    ModelVersionRow,
    RegisteredModelAliasRow,
    RunRow,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from archivist.stores.tracking.sql import SqlTrackingStore

__all__ = ["ACCEPTED", "lineage_graph", "normalize_uri"]

DATASETS: Table = DatasetRow.__table__  # type: ignore[assignment]
INPUTS: Table = DatasetInputRow.__table__  # type: ignore[assignment]
EDGES: Table = LineageEdgeRow.__table__  # type: ignore[assignment]
MODELS: Table = LoggedModelRow.__table__  # type: ignore[assignment]
VERSIONS: Table = ModelVersionRow.__table__  # type: ignore[assignment]
ALIASES: Table = RegisteredModelAliasRow.__table__  # type: ignore[assignment]
RUNS: Table = RunRow.__table__  # type: ignore[assignment]
ENTRIES: Table = ArtifactEntryRow.__table__  # type: ignore[assignment]

ACCEPTED = (
    "datasets:/<dataset_id>, datasets:/<name>[/<digest prefix>], runs:/<run_id>[/<artifact path>], "
    "models:/<model_id>, models:/<name>/<version>, models:/<name>@<alias>, or a bare run id"
)
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_MAX_FANOUT = 500  # per node and direction: a dataset used by 10k runs stays printable


def _kind(uri: str) -> str:
    if not uri.startswith(("datasets:/", "runs:/", "models:/")):
        return "external"
    if uri.startswith("datasets:/"):
        return "dataset"
    if uri.startswith("runs:/"):
        return "artifact" if "/" in uri[len("runs:/") :] else "run"
    rest = uri[len("models:/") :]
    if rest.startswith("m-") and "/" not in rest:
        return "logged_model"
    name, sep, _ = rest.rpartition("/")
    if sep and name and "@" not in rest[len(name) :]:
        return "model_version"
    return "alias"


def normalize_uri(store: SqlTrackingStore, uri: str) -> str:
    """The canonical node URI for what the user typed (a dataset name resolves to its id)."""
    uri = uri.strip()
    if _HEX32.match(uri):
        return f"runs:/{uri}"
    if uri.startswith("runs:/"):
        rid, _, path = uri[len("runs:/") :].partition("/")
        if not _HEX32.match(rid):
            raise InvalidArgument(f"lineage URI {uri!r}: {rid!r} is not a run id; use {ACCEPTED}")
        store.get_run(rid)
        return f"runs:/{rid}/{path.strip('/')}" if path.strip("/") else f"runs:/{rid}"
    if uri.startswith("datasets:/"):
        rest = uri[len("datasets:/") :].strip("/")
        with store.db.read() as conn:
            if conn.execute(select(DATASETS.c.dataset_id).where(DATASETS.c.dataset_id == rest)).first():
                return f"datasets:/{rest}"
        name, _, digest = rest.partition("/")
        found = store.find_datasets(name, digest or None)
        if not found:
            raise ResourceNotFound(
                f"no dataset matches {uri!r}; list them with `archivist datasets list`"
            )
        if len(found) > 1 and digest:
            raise InvalidArgument(
                f"{uri!r} matches {len(found)} datasets; give more of the digest "
                f"({', '.join(d.digest[:20] for d in found[:3])}...)"
            )
        return f"datasets:/{found[0].dataset_id}"  # newest of that name
    if uri.startswith("models:/"):
        rest = uri[len("models:/") :]
        if rest.startswith("m-"):
            model_id = rest.split("/")[0]
            store.get_logged_model(model_id)
            return f"models:/{model_id}"
        name, sep, version = rest.rpartition("/")
        with store.db.read() as conn:
            if sep and version == "latest":
                latest = conn.execute(
                    select(VERSIONS.c.version).where(VERSIONS.c.name == name)
                    .order_by(VERSIONS.c.version.desc()).limit(1)
                ).scalar()
                if latest is None:
                    raise ResourceNotFound(f"registered model {name!r} has no versions")
                return f"models:/{name}/{latest}"
            if sep and version.isdigit():
                if conn.execute(select(VERSIONS.c.version).where(
                        VERSIONS.c.name == name, VERSIONS.c.version == int(version))).first() is None:
                    raise ResourceNotFound(f"model version {name!r} {version} does not exist")
                return f"models:/{name}/{int(version)}"
            name, sep, alias = rest.rpartition("@")
            if sep and conn.execute(select(ALIASES.c.version).where(
                    ALIASES.c.name == name, ALIASES.c.alias == alias)).first() is not None:
                return f"models:/{name}@{alias}"
        raise ResourceNotFound(f"model URI {uri!r} names no logged model, version or alias")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", uri):
        with store.db.read() as conn:
            known = conn.execute(select(EDGES.c.child).where(
                (EDGES.c.parent == uri) | (EDGES.c.child == uri)).limit(1)).first()
        if known is not None:
            return uri  # an outside location that lineage names (s3://..., https://...)
    raise InvalidArgument(f"lineage URI {uri!r} is not understood; use {ACCEPTED}")


class _Builder:
    def __init__(self, store: SqlTrackingStore, conn: Connection) -> None:
        self.store = store
        self.conn = conn
        self.graph: LineageGraph | None = None
        self._edges: set[tuple[str, str, str]] = set()

    # -- nodes -----------------------------------------------------------------
    def node(self, uri: str) -> LineageNode:
        kind = _kind(uri)
        c = self.conn
        if kind == "dataset":
            r = c.execute(select(DATASETS).where(DATASETS.c.dataset_id == uri[len("datasets:/") :])).first()
            if r is None:
                return LineageNode(uri, kind, "(unknown dataset)")
            profile = json.loads(r.profile) if r.profile else {}
            return LineageNode(uri, kind, f"{r.name} ({r.digest[:19]})",
                               {"name": r.name, "digest": r.digest, "source_type": r.source_type,
                                "source": r.source, "profile": profile})
        if kind in ("run", "artifact"):
            rid, _, path = uri[len("runs:/") :].partition("/")
            r = c.execute(select(RUNS.c.name, RUNS.c.experiment_id, RUNS.c.status)
                          .where(RUNS.c.run_id == rid)).first()
            name = r.name if r else "(unknown run)"
            if kind == "artifact":
                e = c.execute(select(ENTRIES.c.digest, ENTRIES.c.size)
                              .where(ENTRIES.c.owner_id == rid, ENTRIES.c.path == path)).first()
                attrs = {"run_id": rid, "path": path}
                if e is not None:
                    attrs.update(digest=e.digest, size=e.size)
                return LineageNode(uri, kind, f"{path} (run {name})", attrs)
            attrs = {"run_id": rid} if r is None else {
                "run_id": rid, "experiment_id": str(r.experiment_id), "status": r.status}
            return LineageNode(uri, kind, f"{name} ({rid[:8]})", attrs)
        if kind == "external":
            return LineageNode(uri, kind, uri)
        if kind == "logged_model":
            mid = uri[len("models:/") :]
            r = c.execute(select(MODELS.c.name, MODELS.c.source_run_id).where(MODELS.c.model_id == mid)).first()
            return LineageNode(uri, kind, f"{r.name if r else '?'} ({mid})",
                               {"model_id": mid, "source_run_id": r.source_run_id if r else None})
        if kind == "model_version":
            name, _, version = uri[len("models:/") :].rpartition("/")
            return LineageNode(uri, kind, f"{name} v{version}", {"name": name, "version": version})
        name, _, alias = uri[len("models:/") :].rpartition("@")
        return LineageNode(uri, kind, f"{name}@{alias}", {"name": name, "alias": alias})

    # -- edges -----------------------------------------------------------------
    def up(self, uri: str) -> list[LineageEdge]:
        kind = _kind(uri)
        c = self.conn
        out = [LineageEdge(r.parent, uri, "derived_from")
               for r in c.execute(select(EDGES.c.parent).where(EDGES.c.child == uri).limit(_MAX_FANOUT))]
        if kind == "dataset":
            did = uri[len("datasets:/") :]
            digest = c.execute(select(DATASETS.c.digest).where(DATASETS.c.dataset_id == did)).scalar()
            for r in c.execute(select(ENTRIES.c.owner_id, ENTRIES.c.path)
                               .where(ENTRIES.c.digest == digest).limit(_MAX_FANOUT)):
                if _HEX32.match(r.owner_id):
                    out.append(LineageEdge(f"runs:/{r.owner_id}/{r.path}", uri, "same_content"))
        elif kind == "run":
            rid = uri[len("runs:/") :]
            for r in c.execute(select(INPUTS.c.dataset_id, INPUTS.c.context)
                               .where(INPUTS.c.run_id == rid).limit(_MAX_FANOUT)):
                out.append(LineageEdge(f"datasets:/{r.dataset_id}", uri, "input", r.context))
        elif kind == "artifact":
            out.append(LineageEdge(f"runs:/{uri[len('runs:/'):].partition('/')[0]}", uri, "logged"))
        elif kind == "logged_model":
            src = c.execute(select(MODELS.c.source_run_id)
                            .where(MODELS.c.model_id == uri[len("models:/") :])).scalar()
            if src:
                out.append(LineageEdge(f"runs:/{src}", uri, "output"))
        elif kind == "model_version":
            name, _, version = uri[len("models:/") :].rpartition("/")
            mv = c.execute(select(VERSIONS.c.model_id, VERSIONS.c.run_id).where(
                VERSIONS.c.name == name, VERSIONS.c.version == int(version))).first()
            if mv is not None and mv.model_id:
                out.append(LineageEdge(f"models:/{mv.model_id}", uri, "registered"))
            elif mv is not None and mv.run_id:
                out.append(LineageEdge(f"runs:/{mv.run_id}", uri, "registered"))
        elif kind == "alias":
            name, _, alias = uri[len("models:/") :].rpartition("@")
            target = c.execute(select(ALIASES.c.version).where(
                ALIASES.c.name == name, ALIASES.c.alias == alias)).scalar()
            if target is not None:
                out.append(LineageEdge(f"models:/{name}/{target}", uri, "alias"))
        return out

    def down(self, uri: str) -> list[LineageEdge]:
        kind = _kind(uri)
        c = self.conn
        out = [LineageEdge(uri, r.child, "derived_from")
               for r in c.execute(select(EDGES.c.child).where(EDGES.c.parent == uri).limit(_MAX_FANOUT))]
        if kind == "dataset":
            for r in c.execute(select(INPUTS.c.run_id, INPUTS.c.context).where(
                    INPUTS.c.dataset_id == uri[len("datasets:/") :]).limit(_MAX_FANOUT)):
                out.append(LineageEdge(uri, f"runs:/{r.run_id}", "input", r.context))
        elif kind == "run":
            rid = uri[len("runs:/") :]
            for r in c.execute(select(MODELS.c.model_id).where(
                    MODELS.c.source_run_id == rid, MODELS.c.lifecycle_stage == "active",
                    MODELS.c.status != "FAILED").limit(_MAX_FANOUT)):
                out.append(LineageEdge(uri, f"models:/{r.model_id}", "output"))
            # artifacts that lineage names (declared edges, or a dataset with the same bytes)
            declared = select(EDGES.c.child).where(EDGES.c.child.startswith(uri + "/", autoescape=True))
            for r in c.execute(declared.union(
                    select(EDGES.c.parent).where(EDGES.c.parent.startswith(uri + "/", autoescape=True)))
                    .limit(_MAX_FANOUT)):
                out.append(LineageEdge(uri, r[0], "logged"))
            for r in c.execute(select(ENTRIES.c.path).join(DATASETS, DATASETS.c.digest == ENTRIES.c.digest)
                               .where(ENTRIES.c.owner_id == rid).distinct().limit(_MAX_FANOUT)):
                out.append(LineageEdge(uri, f"{uri}/{r.path}", "logged"))
        elif kind == "artifact":
            rid, _, path = uri[len("runs:/") :].partition("/")
            digest = c.execute(select(ENTRIES.c.digest).where(
                ENTRIES.c.owner_id == rid, ENTRIES.c.path == path)).scalar()
            if digest is not None:
                for r in c.execute(select(DATASETS.c.dataset_id).where(DATASETS.c.digest == digest)):
                    out.append(LineageEdge(uri, f"datasets:/{r.dataset_id}", "same_content"))
        elif kind == "logged_model":
            for r in c.execute(select(VERSIONS.c.name, VERSIONS.c.version).where(
                    VERSIONS.c.model_id == uri[len("models:/") :],
                    VERSIONS.c.current_stage != "Deleted_Internal").limit(_MAX_FANOUT)):
                out.append(LineageEdge(uri, f"models:/{r.name}/{r.version}", "registered"))
        elif kind == "model_version":
            name, _, version = uri[len("models:/") :].rpartition("/")
            for r in c.execute(select(ALIASES.c.alias).where(
                    ALIASES.c.name == name, ALIASES.c.version == int(version))):
                out.append(LineageEdge(uri, f"models:/{name}@{r.alias}", "alias"))
        return out


def lineage_graph(
    store: SqlTrackingStore, uri: str, *, direction: str = "both", depth: int = 10
) -> LineageGraph:
    """The lineage of ``uri``: nodes up to ``depth`` steps upstream and/or downstream.

    Args:
        store: the SQL tracking store (registry tables live in the same database).
        uri: see :data:`ACCEPTED`.
        direction: ``"up"``, ``"down"`` or ``"both"``.
        depth: how many steps to follow in each direction.

    Raises:
        InvalidArgument: the URI or an option is malformed.
        ResourceNotFound: the URI names nothing in this store.
    """
    if direction not in ("up", "down", "both"):
        raise InvalidArgument(f"direction {direction!r} is unknown; use up, down or both")
    if not isinstance(depth, int) or depth < 0:
        raise InvalidArgument(f"depth {depth!r} must be a non-negative integer")
    root = normalize_uri(store, uri)
    graph = LineageGraph(root)
    with store.db.read() as conn:
        b = _Builder(store, conn)
        graph.nodes[root] = b.node(root)
        seen: set[tuple[str, str, str]] = set()
        for way in ("up", "down"):
            if direction not in (way, "both"):
                continue
            frontier = [root]
            visited = {root}
            for _ in range(depth):
                nxt = []
                for u in frontier:
                    for e in (b.up(u) if way == "up" else b.down(u)):
                        key = (e.source, e.target, e.kind)
                        if key not in seen:
                            seen.add(key)
                            graph.edges.append(e)
                        other = e.source if way == "up" else e.target
                        if other not in graph.nodes:
                            graph.nodes[other] = b.node(other)
                        if other not in visited:
                            visited.add(other)
                            nxt.append(other)
                frontier = nxt
                if not frontier:
                    break
    return graph


