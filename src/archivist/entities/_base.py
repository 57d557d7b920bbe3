"""What every entity shares with MLflow's: ``dict(entity)``, ``to_dictionary``, ``from_dictionary``.

MLflow's entities iterate as ``(property, value)`` pairs, so ``dict(run.info)`` and
``dict(model_version)`` work; ours are frozen dataclasses that do the same over their
fields (plus the derived properties MLflow also yields, listed in ``_derived``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, TypeVar

__all__ = ["Entity"]

E = TypeVar("E", bound="Entity")


def _plain(value: Any) -> Any:
    if isinstance(value, Entity):
        return value.to_dictionary()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Entity:
    """Mixin for entity dataclasses: iteration, ``to_dictionary`` and ``from_dictionary``."""

    __slots__ = ()
    #: read-only properties yielded after the fields (MLflow's names for the same data)
    _derived: ClassVar[tuple[str, ...]] = ()
    #: fields kept for our own use and left out of iteration and ``to_dictionary``
    _hidden: ClassVar[tuple[str, ...]] = ()
    #: field -> entity class, for fields holding nested entities (or lists of them)
    _nested: ClassVar[dict[str, type[Entity]]] = {}

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if f.name not in self._hidden:
                yield f.name, getattr(self, f.name)
        for name in self._derived:
            yield name, getattr(self, name)

    def to_dictionary(self) -> dict[str, Any]:
        """The entity as plain dicts and lists (nested entities included), as in MLflow."""
        return {k: _plain(v) for k, v in self if k not in self._derived}

    @classmethod
    def from_dictionary(cls: type[E], the_dict: Mapping[str, Any]) -> E:
        """Build the entity from ``to_dictionary()`` output; unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        kwargs: dict[str, Any] = {}
        for key, value in the_dict.items():
            if key not in names:
                continue
            nested = cls._nested.get(key)
            if nested is not None and isinstance(value, Mapping):
                value = nested.from_dictionary(value)
            elif nested is not None and isinstance(value, list):
                value = [nested.from_dictionary(v) if isinstance(v, Mapping) else v for v in value]
            kwargs[key] = value
        return cls(**kwargs)
