"""The registry of gate kinds: built-ins, hook implementations and entry points."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .api import Gate, Setting

ENTRY_POINT_GROUP = "pytest_gates"


class KindError(Exception):
    """A gate kind that cannot be registered."""


class KindRegistry:
    """Gate kinds by name; filled by ``pytest_gates_register_kinds`` and entry points."""

    def __init__(self) -> None:
        self._kinds: dict[str, type[Gate]] = {}
        self._sources: dict[str, str] = {}

    def add(self, cls: type[Gate], *, name: str | None = None, source: str = "") -> None:
        """Register ``cls`` as the kind ``name`` (default: ``cls.kind``)."""
        kind = name or getattr(cls, "kind", "")
        where = source or f"{cls.__module__}.{cls.__qualname__}"
        if not isinstance(kind, str) or not kind:
            raise KindError(f"gate kind {where} has no name (set the class attribute 'kind')")
        if not callable(getattr(cls, "evaluate", None)):
            raise KindError(f"gate kind {kind!r} ({where}) has no evaluate(ctx) method")
        schema = getattr(cls, "settings_schema", {})
        if not isinstance(schema, Mapping) or not all(
            isinstance(s, Setting) for s in schema.values()
        ):
            raise KindError(
                f"gate kind {kind!r} ({where}): settings_schema must map names to Setting"
            )
        if kind in self._kinds and self._kinds[kind] is not cls:
            raise KindError(
                f"gate kind {kind!r} is registered twice: by {self._sources[kind]} and by {where}"
            )
        self._kinds[kind] = cls
        self._sources[kind] = where

    @property
    def kinds(self) -> dict[str, type[Gate]]:
        return dict(self._kinds)

    @property
    def sources(self) -> dict[str, str]:
        """Where each kind was registered from (for ``--gate-list`` and error messages)."""
        return dict(self._sources)

    def load_entry_points(self) -> None:
        """Add the kinds of installed distributions (group ``pytest_gates``)."""
        from importlib.metadata import entry_points  # costly: only when gates run

        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist is not None else "?"
            where = f"entry point {ep.name} = {ep.value} of {dist}"
            try:
                cls: Any = ep.load()
            except Exception as exc:
                raise KindError(f"cannot load gate kind from {where}: {exc!r}") from exc
            self.add(cls, name=ep.name, source=where)
