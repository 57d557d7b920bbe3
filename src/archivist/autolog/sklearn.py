"""scikit-learn autologging with MLflow's semantics.

After :func:`autolog`, calling ``fit`` on any estimator (including ``Pipeline`` and the
searches ``GridSearchCV`` / ``RandomizedSearchCV``) logs, to the active run or to a new run
started for the fit and ended after it:

- params: ``get_params(deep=True)``;
- training metrics: ``training_score`` and, for classifiers, ``training_accuracy_score``,
  ``training_precision_score``, ``training_recall_score``, ``training_f1_score``,
  ``training_log_loss``, ``training_roc_auc``; for regressors
  ``training_mean_squared_error``, ``training_root_mean_squared_error``,
  ``training_mean_absolute_error``, ``training_r2_score``;
- tags ``estimator_name`` and ``estimator_class``;
- the model (``model``) with its signature and, if asked, an input example;
- the training data as a dataset input (context ``train``);
- for searches: ``best_<param>`` params, ``best_cv_score``, ``cv_results.csv``, the best
  estimator as ``best_estimator``, and a child run per candidate (the best ``max_tuning_runs``);
- post-training metrics: ``estimator.score(X_test, y_test)`` on a fitted estimator logs
  ``<Estimator>_score_<dataset variable>`` (e.g. ``LogisticRegression_score_X_test``) and the
  data as an input with context ``eval``, as MLflow does.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["autolog"]


@dataclass
class _Config:
    enabled: bool = False
    log_input_examples: bool = False
    log_model_signatures: bool = True
    log_models: bool = True
    log_datasets: bool = True
    exclusive: bool = False
    silent: bool = False
    max_tuning_runs: int | None = 5
    registered_model_name: str | None = None


_CONFIG = _Config()
_METRIC_INFO: dict[str, dict[str, str]] = {}  # run id -> post-training metric -> the call
_LOCAL = threading.local()
_PATCHED: dict[tuple[type, str], Callable[..., Any]] = {}


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)


def _depth() -> int:
    return int(getattr(_LOCAL, "depth", 0))


@contextlib.contextmanager
def _nested() -> Iterator[None]:
    _LOCAL.depth = _depth() + 1
    try:
        yield
    finally:
        _LOCAL.depth = _depth() - 1


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    if not _CONFIG.silent:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _truncate(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 6000 else text[:5997] + "..."


def _training_metrics(est: Any, X: Any, y: Any, sample_weight: Any) -> dict[str, float]:
    from sklearn import metrics as skm
    from sklearn.base import is_classifier, is_regressor

    out: dict[str, float] = {}
    if y is None:
        return out
    kw = {} if sample_weight is None else {"sample_weight": sample_weight}

    def put(name: str, fn: Callable[[], Any]) -> None:
        with contextlib.suppress(Exception):
            value = float(fn())
            if not math.isnan(value):
                out[name] = value

    if is_classifier(est):
        pred = est.predict(X)
        put("training_accuracy_score", lambda: skm.accuracy_score(y, pred, **kw))
        for name in ("precision_score", "recall_score", "f1_score"):
            fn = getattr(skm, name)
            put(f"training_{name}", functools.partial(fn, y, pred, average="weighted", **kw))
        if hasattr(est, "predict_proba"):
            with contextlib.suppress(Exception):
                proba = est.predict_proba(X)
                put("training_log_loss", lambda: skm.log_loss(y, proba, **kw))
                if proba.shape[1] == 2:
                    put("training_roc_auc", lambda: skm.roc_auc_score(y, proba[:, 1], **kw))
                else:
                    put("training_roc_auc", lambda: skm.roc_auc_score(y, proba, multi_class="ovo", **kw))
    elif is_regressor(est):
        pred = est.predict(X)
        put("training_mean_squared_error", lambda: skm.mean_squared_error(y, pred, **kw))
        put("training_root_mean_squared_error",
            lambda: math.sqrt(skm.mean_squared_error(y, pred, **kw)))
        put("training_mean_absolute_error", lambda: skm.mean_absolute_error(y, pred, **kw))
        put("training_r2_score", lambda: skm.r2_score(y, pred, **kw))
    if hasattr(est, "score"):
        put("training_score", lambda: est.score(X, y, **kw))
    return out


def _dataset(X: Any, y: Any) -> Any:
    import numpy as np

    from archivist import data

    try:
        import pandas as pd

        if isinstance(X, pd.DataFrame):
            df = X.copy()
            if y is not None:
                df["label" if "label" not in df.columns else "__label__"] = np.asarray(y)
                return data.from_pandas(df, targets="label" if "label" not in X.columns else "__label__")
            return data.from_pandas(df)
    except ImportError:
        pass
    return data.from_numpy(np.asarray(X), targets=None if y is None else np.asarray(y))


def _log_model(est: Any, X: Any, name: str, run_id: str) -> None:
    from archivist.flavors.sklearn import log_model

    signature = None
    example = None
    sample = X[:5] if not hasattr(X, "iloc") else X.iloc[:5]
    if _CONFIG.log_model_signatures:
        with contextlib.suppress(Exception):
            from archivist.models.signature import infer_signature

            signature = infer_signature(sample, est.predict(sample))
    if _CONFIG.log_input_examples:
        example = sample
    del run_id  # the autologged run is the active run
    log_model(est, name=name, signature=signature, input_example=example,
              registered_model_name=_CONFIG.registered_model_name if name == "model" else None)


def _log_search(client: Any, run_id: str, est: Any) -> None:
    import pandas as pd

    from archivist.entities import Metric, Param, RunTag

    best = {f"best_{k}": _truncate(v) for k, v in getattr(est, "best_params_", {}).items()}
    client.log_batch(run_id, params=[Param(k, v) for k, v in best.items()])
    if hasattr(est, "best_score_"):
        client.log_metric(run_id, "best_cv_score", float(est.best_score_))
    results = pd.DataFrame(est.cv_results_)
    client.log_text(run_id, results.to_csv(index=False), "cv_results.csv")
    order = results["rank_test_score"].argsort() if "rank_test_score" in results else range(len(results))
    limit = len(results) if _CONFIG.max_tuning_runs is None else _CONFIG.max_tuning_runs
    exp = client.get_run(run_id).info.experiment_id
    metric_cols = [c for c in results.columns if c.startswith(("mean_", "std_", "rank_"))]
    for i in list(order)[:limit]:
        row = results.iloc[int(i)]
        child = client.create_run(exp, tags={"mlflow.parentRunId": run_id,
                                             "mlflow.autologging": "sklearn"})
        cid = child.info.run_id
        params = {**{k: v for k, v in est.estimator.get_params(deep=False).items()}, **row["params"]}
        client.log_batch(cid, params=[Param(str(k), _truncate(v)) for k, v in params.items()],
                         metrics=[Metric(c, float(row[c]), _now_ms(), 0) for c in metric_cols
                                  if pd.api.types.is_number(row[c])],
                         tags=[RunTag("estimator_class", f"{type(est.estimator).__module__}."
                                      f"{type(est.estimator).__name__}")])
        client.set_terminated(cid)
    if hasattr(est, "best_estimator_") and _CONFIG.log_models:
        _log_model(est.best_estimator_, getattr(_LOCAL, "X", None), "best_estimator", run_id)


def _autologged_fit(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
    from archivist import fluent

    if not _CONFIG.enabled or _depth() > 0:
        with _nested():
            return original(self, *args, **kwargs)
    user_run = fluent.active_run()
    if user_run is not None and _CONFIG.exclusive:
        return original(self, *args, **kwargs)
    run = user_run or fluent.start_run(tags={"mlflow.autologging": "sklearn"})
    run_id = run.info.run_id
    client = fluent._client()
    bound = inspect.signature(original).bind_partial(self, *args, **kwargs).arguments
    X, y = bound.get("X"), bound.get("y")
    weight = bound.get("sample_weight")
    failed = True
    try:
        from archivist.entities import Metric, Param, RunTag

        with _quiet():
            # a search logs its own settings (as MLflow does); its candidates go to child runs
            params = self.get_params(deep=not hasattr(self, "param_grid")
                                     and not hasattr(self, "param_distributions"))
            client.log_batch(run_id, params=[Param(str(k), _truncate(v)) for k, v in params.items()],
                             tags=[RunTag("estimator_name", type(self).__name__),
                                   RunTag("estimator_class", f"{type(self).__module__}.{type(self).__name__}"),
                                   RunTag("mlflow.autologging", "sklearn")])
            with _nested():
                result = original(self, *args, **kwargs)
                _LOCAL.X = X
                metrics = _training_metrics(self, X, y, weight)
                if metrics:
                    client.log_batch(run_id, metrics=[Metric(k, v, _now_ms(), 0)
                                                      for k, v in metrics.items()])
                if _CONFIG.log_datasets and X is not None:
                    with contextlib.suppress(Exception):
                        client.log_input(run_id, _dataset(X, y), context="train")
                if hasattr(self, "cv_results_"):
                    _log_search(client, run_id, self)
                with contextlib.suppress(Exception):
                    from sklearn.utils import estimator_html_repr

                    client.log_text(run_id, estimator_html_repr(self), "estimator.html")
                if _CONFIG.log_models and X is not None:
                    _log_model(self, X, "model", run_id)
        failed = False
        return result
    finally:
        if user_run is None:
            fluent.end_run("FAILED" if failed else "FINISHED")


def _var_name(value: Any, frame_depth: int = 3) -> str | None:
    frame = inspect.currentframe()
    try:
        for _ in range(frame_depth):
            if frame is None:
                return None
            frame = frame.f_back
        if frame is None:
            return None
        for name, v in frame.f_locals.items():
            if v is value and not name.startswith("_"):
                return name
    finally:
        del frame
    return None


def _patched_score(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
    with _nested():  # the metric score() computes inside is not logged a second time
        score = original(self, *args, **kwargs)
    run_id = getattr(self, "_archivist_run_id", None)
    if _CONFIG.enabled and run_id and _depth() == 0 and args:
        name = _var_name(args[0], 3) or "eval_dataset"
        with contextlib.suppress(Exception):
            from archivist import fluent

            client = fluent._client()
            key = f"{type(self).__name__}_score_{name}"
            client.log_metric(run_id, key, float(score))
            y_name = _var_name(args[1], 3) if len(args) > 1 else None
            info = _METRIC_INFO.setdefault(run_id, {})
            info[key] = f"{type(self).__name__}.score(X={name}" + (f", y={y_name})" if y_name else ")")
            client.log_dict(run_id, info, "metric_info.json")
            if _CONFIG.log_datasets:
                client.log_input(run_id, _dataset(args[0], args[1] if len(args) > 1 else None),
                                 context="eval")
    return score


def _wrap(owner: Any, attr: str, wrapper: Callable[..., Any]) -> None:
    original = getattr(owner, attr)
    key = (owner, attr)
    if key in _PATCHED:
        return
    _PATCHED[key] = original
    if isinstance(owner, type):
        @functools.wraps(original)
        def method(self: Any, *a: Any, **k: Any) -> Any:
            return wrapper(original, self, *a, **k)
        setattr(owner, attr, method)
    else:
        @functools.wraps(original)
        def function(*a: Any, **k: Any) -> Any:
            return wrapper(original, *a, **k)
        setattr(owner, attr, function)


def _remember_run(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
    from archivist import fluent

    before = fluent.active_run()
    result = _autologged_fit(original, self, *args, **kwargs)
    if _CONFIG.enabled and _depth() == 0:
        last = before or fluent.last_active_run()
        if last is not None:
            with contextlib.suppress(Exception):
                object.__setattr__(self, "_archivist_run_id", last.info.run_id)
    return result


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    serialization_format: str = "cloudpickle",
    registered_model_name: str | None = None,
    pos_label: Any = None,
    extra_tags: dict[str, str] | None = None,
) -> None:
    """Log scikit-learn fits automatically (see the module docstring for what is logged).

    Args:
        log_input_examples: also save the first rows of the training data with the model.
        log_model_signatures: infer and save the model's signature.
        log_models: log the fitted model (and a search's best estimator).
        log_datasets: log the training data as a dataset input.
        disable: turn autologging off again.
        exclusive: do not log into runs the user started, only into runs autolog starts.
        silent: suppress warnings while autologging.
        max_tuning_runs: child runs for at most this many search candidates (None: all).
        log_post_training_metrics: log ``score`` and ``sklearn.metrics`` results after fit.
        registered_model_name: register each logged model under this name.
    """
    del disable_for_unsupported_versions, serialization_format, pos_label, extra_tags
    _CONFIG.enabled = not disable
    _CONFIG.log_input_examples = log_input_examples
    _CONFIG.log_model_signatures = log_model_signatures
    _CONFIG.log_models = log_models
    _CONFIG.log_datasets = log_datasets
    _CONFIG.exclusive = exclusive
    _CONFIG.silent = silent
    _CONFIG.max_tuning_runs = max_tuning_runs
    _CONFIG.registered_model_name = registered_model_name
    if disable:
        return
    from sklearn.utils import all_estimators

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimators = [cls for _, cls in all_estimators()]
    owners = {base for cls in estimators for base in cls.__mro__ if base is not object}
    for cls in owners:  # fit/score are often inherited (BaseSearchCV.fit, ClassifierMixin.score)
        if "fit" in vars(cls):
            _wrap(cls, "fit", _remember_run)
        if log_post_training_metrics and "score" in vars(cls):
            _wrap(cls, "score", _patched_score)
