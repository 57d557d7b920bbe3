"""Autologging: ``archivist.autolog()`` and ``archivist.sklearn.autolog()``."""

from archivist.autolog.sklearn import autolog as sklearn_autolog

__all__ = ["autolog", "sklearn_autolog"]


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    silent: bool = False,
) -> None:
    """Turn on autologging for every supported library that is installed (scikit-learn).

    Same options as :func:`archivist.sklearn.autolog`.
    """
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return
    sklearn_autolog(
        log_input_examples=log_input_examples, log_model_signatures=log_model_signatures,
        log_models=log_models, log_datasets=log_datasets, disable=disable, exclusive=exclusive,
        silent=silent,
    )
