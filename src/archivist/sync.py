"""Copy runs, logged models and registry entries from one store to another (push / pull).

Works store-to-store through the store interfaces only, so the same code pushes a local
SQLite store to a PostgreSQL one or to a server over HTTP, and pulls the other way.

- **Idempotent.** Runs and logged models keep their ids; experiments and registered
  models match by name; model versions match by the logged model (or source and run)
  they register. What the destination already has is not sent again: metric points are
  compared as multisets, artifacts by path and digest, and only blobs the destination
  lacks are transferred. Pushing twice changes nothing.
- **Resumable.** Each run is written in an order (run, params, tags, metrics, artifacts,
  then status and lifecycle) that a later push completes from wherever an interrupted
  one stopped.
- **No overwrite.** Facts that never change once logged (experiment, start time, user,
  params, metric points, an artifact path's content, a model's name and source run) are
  compared; a difference is a :class:`~archivist.errors.Conflict` naming the run and the
  fact, and nothing of that run is changed. Mutable state (tags, status, end time, run
  name, lifecycle) follows the source.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archivist.entities import (
    LifecycleStage,
    LoggedModel,
    Metric,
    Param,
    Run,
    RunTag,
    TreeEntry,
    ViewType,
)
from archivist.errors import Conflict, InvalidArgument, ResourceAlreadyExists, ResourceNotFound

if TYPE_CHECKING:
    from archivist.client import ArchivistClient

__all__ = ["Selection", "TransferReport", "transfer"]

_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Selection:
    """What to copy: some runs, the runs of some experiments, or everything."""

    run_ids: tuple[str, ...] = ()
    experiment_names: tuple[str, ...] = ()
    everything: bool = False

    def __post_init__(self) -> None:
        chosen = sum(bool(x) for x in (self.run_ids, self.experiment_names, self.everything))
        if chosen != 1:
            raise InvalidArgument(
                "choose exactly one of: run ids (--run), experiment names (--experiment) "
                "or everything (--all)"
            )


@dataclass
class TransferReport:
    """What a transfer did; all zeros (but ``runs_seen``) when the destination was current."""

    runs_seen: int = 0
    runs_created: int = 0
    runs_updated: int = 0
    params_sent: int = 0
    tags_sent: int = 0
    metrics_sent: int = 0
    entries_sent: int = 0
    blobs_sent: int = 0
    bytes_sent: int = 0
    models_created: int = 0
    versions_created: int = 0
    experiments_created: int = 0
    skipped: list[str] = field(default_factory=list)

    def changed(self) -> bool:
        return any(
            (self.runs_created, self.runs_updated, self.params_sent, self.tags_sent,
             self.metrics_sent, self.entries_sent, self.blobs_sent, self.models_created,
             self.versions_created, self.experiments_created)
        )

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _point(m: Metric) -> tuple[int, int, float | str]:
    value = float(m.value)
    return (int(m.step or 0), int(m.timestamp), "nan" if math.isnan(value) else value)


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class _Transfer:
    def __init__(
        self, src: ArchivistClient, dst: ArchivistClient, log: Callable[[str], object]
    ) -> None:
        self.src, self.dst, self.log = src, dst, log
        self.report = TransferReport()
        self._experiments: dict[str, str] = {}  # source id -> destination id
        self._deferred_deletes: list[str] = []

    # -- experiments -------------------------------------------------------------------
    def experiment(self, src_id: str) -> str:
        found = self._experiments.get(src_id)
        if found is not None:
            return found
        exp = self.src.get_experiment(src_id)
        there = self.dst.get_experiment_by_name(exp.name)
        if there is None:
            try:
                dst_id = self.dst.create_experiment(exp.name, tags=dict(exp.tags))
                self.report.experiments_created += 1
            except ResourceAlreadyExists:  # created concurrently
                again = self.dst.get_experiment_by_name(exp.name)
                assert again is not None
                dst_id = again.experiment_id
        else:
            dst_id = there.experiment_id
            if there.lifecycle_stage != LifecycleStage.ACTIVE.value:
                self.dst.restore_experiment(dst_id)
            for k, v in exp.tags.items():
                if there.tags.get(k) != v:
                    self.dst.set_experiment_tag(dst_id, k, v)
        self._experiments[src_id] = dst_id
        return dst_id

    # -- runs ----------------------------------------------------------------------------
    def run(self, run_id: str) -> None:
        src_run = self.src.get_run(run_id)
        self.report.runs_seen += 1
        info = src_run.info
        dst_exp = self.experiment(info.experiment_id)
        try:
            dst_run: Run | None = self.dst.get_run(run_id)
        except ResourceNotFound:
            dst_run = None
        before = self._work_done()
        dst_deleted = False
        if dst_run is None:
            tags = [RunTag(k, v) for k, v in src_run.data.tags.items()]
            self.dst.tracking_store.create_run(
                dst_exp, info.user_id, info.start_time, tags, info.run_name, run_id=run_id
            )
            self.report.runs_created += 1
            self.report.tags_sent += len(tags)
            dst_run = self.dst.get_run(run_id)
        else:
            self._check_same_run(src_run, dst_run, dst_exp)
            dst_deleted = dst_run.info.lifecycle_stage != LifecycleStage.ACTIVE.value
            if dst_deleted:  # restored to be written; deleted again at the end if need be
                self.dst.restore_run(run_id)
        self._params(src_run, dst_run)
        self._tags(src_run, dst_run)
        self._metrics(src_run, dst_run)
        self._artifacts(run_id)
        updated = self._work_done() != before
        if (info.status, info.end_time) != (dst_run.info.status, dst_run.info.end_time):
            self.dst.tracking_store.update_run_info(run_id, info.status, info.end_time, None)
            updated = True
        if info.lifecycle_stage != LifecycleStage.ACTIVE.value:
            self._deferred_deletes.append(run_id)
            updated = updated or not dst_deleted
        elif dst_deleted:
            updated = True  # restored
        if updated and before[0] == self.report.runs_created:
            self.report.runs_updated += 1

    def _work_done(self) -> tuple[int, ...]:
        r = self.report
        return (r.runs_created, r.params_sent, r.tags_sent, r.metrics_sent, r.entries_sent)

    def _conflict(self, what: str, detail: str) -> Conflict:
        return Conflict(
            f"{what} exists in {self.dst.tracking_uri} with other content ({detail}); nothing "
            f"of it was overwritten. Compare it with the copy in {self.src.tracking_uri}, and "
            "delete one of them (or push the others with --run) to go on"
        )

    def _check_same_run(self, src: Run, dst: Run, dst_exp: str) -> None:
        what = f"run {src.info.run_id}"
        if dst.info.experiment_id != dst_exp:
            raise self._conflict(what, f"it is in experiment {dst.info.experiment_id}, not "
                                 f"{dst_exp}")
        if dst.info.start_time != src.info.start_time:
            raise self._conflict(what, f"start time {dst.info.start_time} there, "
                                 f"{src.info.start_time} here")
        if dst.info.user_id != src.info.user_id:
            raise self._conflict(what, f"user {dst.info.user_id!r} there, "
                                 f"{src.info.user_id!r} here")
        for k, v in dst.data.params.items():
            if src.data.params.get(k) != v:
                here = src.data.params.get(k)
                raise self._conflict(what, f"param {k!r} is {v!r} there, {here!r} here")

    def _params(self, src: Run, dst: Run) -> None:
        new = [Param(k, v) for k, v in src.data.params.items() if k not in dst.data.params]
        for i in range(0, len(new), 100):
            self.dst.log_batch(src.info.run_id, params=new[i : i + 100])
        self.report.params_sent += len(new)

    def _tags(self, src: Run, dst: Run) -> None:
        new = [RunTag(k, v) for k, v in src.data.tags.items() if dst.data.tags.get(k) != v]
        for i in range(0, len(new), 100):
            self.dst.log_batch(src.info.run_id, tags=new[i : i + 100])
        self.report.tags_sent += len(new)

    def _metrics(self, src: Run, dst: Run) -> None:
        run_id = src.info.run_id
        for key in sorted(src.data.metrics):
            points = self.src.get_metric_history(run_id, key)
            there = Counter(
                _point(m) for m in self.dst.get_metric_history(run_id, key)
            ) if key in dst.data.metrics else Counter()
            todo: list[Metric] = []
            for m in points:
                p = _point(m)
                if there[p] > 0:
                    there[p] -= 1
                else:
                    todo.append(m)
            extra = +there
            if extra:
                step, ts, value = next(iter(extra))
                raise self._conflict(
                    f"run {run_id}",
                    f"metric {key!r} has a point (step {step}, timestamp {ts}, value {value}) "
                    "there that is not here",
                )
            for i in range(0, len(todo), _BATCH):
                self.dst.log_batch(run_id, metrics=todo[i : i + _BATCH])
            self.report.metrics_sent += len(todo)

    # -- artifacts (runs and logged models) --------------------------------------------------
    def _artifacts(self, owner_id: str) -> None:
        entries = self.src.tracking_store.list_tree_entries(owner_id)
        if not entries:
            return
        there = {e.path: e for e in self.dst.tracking_store.list_tree_entries(owner_id)}
        new: list[TreeEntry] = []
        for e in entries:
            old = there.get(e.path)
            if old is None:
                new.append(e)
            elif old.digest != e.digest:
                raise self._conflict(
                    f"artifact {e.path!r} of {owner_id}", f"{old.digest} there, {e.digest} here"
                )
        if not new:
            return
        sizes = {e.digest: e.size for e in new}
        src_art, dst_art = self.src.artifact_store, self.dst.artifact_store
        for digest in sorted(dst_art.missing_blobs(owner_id, sizes)):
            with src_art.open_blob(owner_id, digest) as reader:
                dst_art.put_blob(owner_id, digest, reader, sizes[digest])
            self.report.blobs_sent += 1
            self.report.bytes_sent += sizes[digest]
        dst_art.commit_entries(owner_id, new)
        self.report.entries_sent += len(new)

    # -- logged models ---------------------------------------------------------------------
    def model(self, m: LoggedModel) -> None:
        dst_exp = self.experiment(m.experiment_id)
        store = self.dst.tracking_store
        try:
            there: LoggedModel | None = store.get_logged_model(m.model_id)
        except ResourceNotFound:
            there = None
        if there is None:
            try:
                store.create_logged_model(
                    dst_exp, m.name, m.source_run_id, m.model_type, dict(m.params),
                    dict(m.tags), model_id=m.model_id,
                )
            except ResourceAlreadyExists:
                raise self._conflict(
                    f"logged model {m.model_id}", "it is deleted there; it was not restored"
                ) from None
            self.report.models_created += 1
        else:
            if (there.name, there.source_run_id, there.experiment_id) != (
                m.name, m.source_run_id, dst_exp
            ):
                raise self._conflict(
                    f"logged model {m.model_id}",
                    f"name/run/experiment {there.name!r}/{there.source_run_id}/"
                    f"{there.experiment_id} there, {m.name!r}/{m.source_run_id}/{dst_exp} here",
                )
            tags = {k: v for k, v in m.tags.items() if there.tags.get(k) != v}
            if tags:
                store.set_logged_model_tags(m.model_id, tags)
                self.report.tags_sent += len(tags)
        self._artifacts(m.model_id)
        status = there.status if there is not None else "PENDING"
        if m.status in ("READY", "FAILED") and status != m.status:
            store.finalize_logged_model(m.model_id, m.status)

    # -- registry ------------------------------------------------------------------------------
    def registered_model(self, name: str, run_ids: set[str] | None, model_ids: set[str]) -> None:
        """Copy ``name`` and its versions (only those of the runs/models given, unless None)."""
        src_rm = self.src.get_registered_model(name)
        try:
            dst_rm = self.dst.get_registered_model(name)
        except ResourceNotFound:
            dst_rm = self.dst.create_registered_model(
                name, dict(src_rm.tags), src_rm.description
            )
        for k, v in src_rm.tags.items():
            if dst_rm.tags.get(k) != v:
                self.dst.set_registered_model_tag(name, k, v)
        if src_rm.description and not dst_rm.description:
            self.dst.update_registered_model(name, src_rm.description)
        dst_versions = _all_versions(self.dst, name)
        mapped: dict[str, str] = {}
        for v in _all_versions(self.src, name):
            if run_ids is not None and v.run_id not in run_ids and v.model_id not in model_ids:
                continue
            match = next(
                (d for d in dst_versions
                 if (v.model_id and d.model_id == v.model_id)
                 or (not v.model_id and (d.source, d.run_id) == (v.source, v.run_id))),
                None,
            )
            if match is None:
                match = self.dst.create_model_version(
                    name, v.source, v.run_id, dict(v.tags), v.run_link, v.description,
                    v.model_id,
                )
                self.report.versions_created += 1
            else:
                for k, val in v.tags.items():
                    if match.tags.get(k) != val:
                        self.dst.set_model_version_tag(name, match.version, k, val)
            if v.current_stage != match.current_stage:
                self.dst.transition_model_version_stage(name, match.version, v.current_stage)
            mapped[v.version] = match.version
        for alias, version in src_rm.aliases.items():
            if version not in mapped:
                continue
            current = dst_rm.aliases.get(alias)
            if current is None:
                self.dst.set_registered_model_alias(name, alias, mapped[version])
            elif current != mapped[version]:
                raise self._conflict(
                    f"alias {name}@{alias}",
                    f"it points at version {current} there, which is not this store's "
                    f"version {version}",
                )

    def finish(self) -> None:
        for run_id in self._deferred_deletes:
            self.dst.delete_run(run_id)


def _all_versions(client: ArchivistClient, name: str) -> list[Any]:
    out: list[Any] = []
    token = None
    while True:
        page = client.search_model_versions(f"name = {_quote(name)}", 1000, None, token)
        out.extend(page)
        token = page.token
        if not token:
            return out


def _pages(fetch: Callable[[str | None], Any]) -> Iterable[Any]:
    token: str | None = None
    while True:
        page = fetch(token)
        yield from page
        token = page.token
        if not token:
            return


def transfer(
    src: ArchivistClient,
    dst: ArchivistClient,
    selection: Selection,
    *,
    log: Callable[[str], object] = lambda _: None,
) -> TransferReport:
    """Copy what ``selection`` names from ``src`` to ``dst``; see the module docstring.

    Args:
        src: client of the store to read.
        dst: client of the store to write (a server for push, a local store for pull).
        selection: the runs, experiments, or everything.
        log: called with one line per run or model copied.

    Returns:
        What was sent.

    Raises:
        Conflict: a run, model, artifact or alias exists in ``dst`` with other content.
        ResourceNotFound: a selected run or experiment does not exist in ``src``.
    """
    t = _Transfer(src, dst, log)
    if selection.everything:
        experiments = list(
            _pages(lambda tok: src.search_experiments(ViewType.ALL, 1000, None, None, tok))
        )
        exp_ids = [e.experiment_id for e in experiments]
    elif selection.experiment_names:
        exp_ids = []
        for name in selection.experiment_names:
            exp = src.get_experiment_by_name(name)
            if exp is None:
                raise ResourceNotFound(
                    f"experiment {name!r} does not exist in {src.tracking_uri}; list them with "
                    "'archivist experiments list'"
                )
            exp_ids.append(exp.experiment_id)
    else:
        exp_ids = []
    if exp_ids:
        run_ids = [
            r.info.run_id
            for r in _pages(
                lambda tok: src.search_runs(exp_ids, "", ViewType.ALL, 1000, None, tok)
            )
        ]
    else:
        run_ids = list(selection.run_ids)
        exp_ids = sorted({src.get_run(r).info.experiment_id for r in run_ids})
    for exp_id in exp_ids:
        t.experiment(exp_id)
    for run_id in run_ids:
        t.run(run_id)
        log(f"run {run_id}")
    wanted_runs = set(run_ids)
    models = [
        m for m in src.search_logged_models(exp_ids, max_results=50_000)
        if selection.everything or (m.source_run_id in wanted_runs)
    ]
    for m in models:
        t.model(m)
        log(f"logged model {m.model_id}")
    model_ids = {m.model_id for m in models}
    if selection.everything:
        names = [rm.name for rm in _pages(
            lambda tok: src.search_registered_models(None, 1000, None, tok)
        )]
        for name in names:
            t.registered_model(name, None, model_ids)
    else:
        names = sorted({
            v.name for v in _pages(lambda tok: src.search_model_versions(None, 1000, None, tok))
            if v.run_id in wanted_runs or v.model_id in model_ids
        })
        for name in names:
            t.registered_model(name, wanted_runs, model_ids)
    t.finish()
    if not t.report.changed():
        log("nothing to do: the destination has everything")
    return t.report
