"""A lineage graph: what a thing was made from (upstream) and what was made from it.

Nodes are named by URI (``datasets:/<id>``, ``runs:/<run_id>``, ``runs:/<run_id>/<path>``,
``models:/<model_id>``, ``models:/<name>/<version>``, ``models:/<name>@<alias>``); an edge
goes from the upstream node to the downstream one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LineageEdge", "LineageGraph", "LineageNode"]


@dataclass(frozen=True, slots=True)
class LineageNode:
    uri: str
    kind: str  # dataset | run | artifact | logged_model | model_version | alias
    label: str
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LineageEdge:
    source: str  # upstream
    target: str  # downstream
    kind: str  # input | output | logged | registered | alias | derived_from | same_content
    label: str | None = None


@dataclass(slots=True)
class LineageGraph:
    """Nodes reachable from ``root`` upstream and downstream, and the edges between them."""

    root: str
    nodes: dict[str, LineageNode] = field(default_factory=dict)
    edges: list[LineageEdge] = field(default_factory=list)

    def parents(self, uri: str) -> list[LineageEdge]:
        return [e for e in self.edges if e.target == uri]

    def children(self, uri: str) -> list[LineageEdge]:
        return [e for e in self.edges if e.source == uri]

    def downstream(self, uri: str | None = None) -> list[LineageNode]:
        """Every node reachable downstream of ``uri`` (default: the root), nearest first."""
        return self._reach(uri or self.root, self.children, lambda e: e.target)

    def upstream(self, uri: str | None = None) -> list[LineageNode]:
        return self._reach(uri or self.root, self.parents, lambda e: e.source)

    def _reach(self, start: str, step: Any, other: Any) -> list[LineageNode]:
        seen = {start}
        order: list[LineageNode] = []
        frontier = [start]
        while frontier:
            nxt = []
            for uri in frontier:
                for e in step(uri):
                    u = other(e)
                    if u not in seen and u in self.nodes:
                        seen.add(u)
                        order.append(self.nodes[u])
                        nxt.append(u)
            frontier = nxt
        return order

    def registered_versions(self) -> list[LineageNode]:
        """Registered model versions downstream of the root (e.g. trained on a dataset)."""
        return [n for n in self.downstream() if n.kind == "model_version"]

    # --------------------------------------------------------------- renderings
    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "nodes": [
                {"uri": n.uri, "kind": n.kind, "label": n.label, **({"attrs": n.attrs} if n.attrs else {})}
                for n in self.nodes.values()
            ],
            "edges": [
                {"source": e.source, "target": e.target, "kind": e.kind,
                 **({"label": e.label} if e.label else {})}
                for e in self.edges
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    def to_dot(self) -> str:
        ids = {uri: f"n{i}" for i, uri in enumerate(self.nodes)}
        shapes = {"dataset": "cylinder", "run": "box", "artifact": "note",
                  "logged_model": "component", "model_version": "box3d", "alias": "tab"}
        lines = ["digraph lineage {", "  rankdir=LR;"]
        for uri, n in self.nodes.items():
            style = ", penwidth=2" if uri == self.root else ""
            lines.append(
                f"  {ids[uri]} [label={_dot_str(n.kind + chr(10) + n.label)}, "
                f"shape={shapes.get(n.kind, 'ellipse')}, tooltip={_dot_str(uri)}{style}];"
            )
        for e in self.edges:
            label = e.kind if not e.label else f"{e.kind}: {e.label}"
            lines.append(f"  {ids[e.source]} -> {ids[e.target]} [label={_dot_str(label)}];")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_mermaid(self) -> str:
        ids = {uri: f"n{i}" for i, uri in enumerate(self.nodes)}
        lines = ["flowchart LR"]
        for uri, n in self.nodes.items():
            text = f"{n.kind}: {n.label}".replace('"', "#quot;")
            lines.append(f'  {ids[uri]}["{text}"]')
        for e in self.edges:
            label = (e.kind if not e.label else f"{e.kind}: {e.label}").replace('"', "#quot;")
            lines.append(f'  {ids[e.source]} -->|"{label}"| {ids[e.target]}')
        if self.root in ids:
            lines.append(f"  style {ids[self.root]} stroke-width:3px")
        return "\n".join(lines) + "\n"

    def to_tree(self) -> str:
        """Upstream and downstream of the root as indented trees (repeats marked ``(seen)``)."""
        root = self.nodes.get(self.root)
        head = f"{root.kind} {root.label}  [{root.uri}]" if root else self.root
        out = [head, "upstream:"]
        self._tree(self.root, self.parents, lambda e: e.source, "  ", out, {self.root})
        if len(out) == 2:
            out.append("  (nothing recorded)")
        mark = len(out)
        out.append("downstream:")
        self._tree(self.root, self.children, lambda e: e.target, "  ", out, {self.root})
        if len(out) == mark + 1:
            out.append("  (nothing recorded)")
        return "\n".join(out) + "\n"

    def _tree(self, uri: str, step: Any, other: Any, indent: str, out: list[str], path: set[str]) -> None:
        for e in step(uri):
            u = other(e)
            n = self.nodes.get(u)
            if n is None:
                continue
            how = e.kind if not e.label else f"{e.kind} {e.label}"
            seen = u in path
            out.append(f"{indent}<- {how} -- {n.kind} {n.label}  [{u}]" if step == self.parents
                       else f"{indent}-- {how} -> {n.kind} {n.label}  [{u}]")
            if seen:
                out[-1] += " (cycle)"
                continue
            self._tree(u, step, other, indent + "   ", out, path | {u})


def _dot_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
