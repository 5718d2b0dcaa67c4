"""The registry of gate kinds: built-ins, hook implementations and entry points."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
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
        self._lazy: dict[str, str] = {}  # name -> "module:Class", imported when first used

    def add_lazy(self, name: str, target: str, *, source: str = "") -> None:
        """Register the class at ``target`` ("module:Class") as kind ``name``, importing it
        only when a profile uses it (so a run pays for the kinds it uses)."""
        if name in self._kinds or name in self._lazy:
            raise KindError(
                f"gate kind {name!r} is registered twice: by {self._sources[name]} and by"
                f" {source or target}"
            )
        self._lazy[name] = target
        self._sources[name] = source or target

    def _load(self, name: str) -> type[Gate]:
        target = self._lazy[name]
        module, _, attr = target.partition(":")
        try:
            cls: type[Gate] = getattr(importlib.import_module(module), attr)
        except Exception as exc:  # a broken install: the profile is unusable, say why
            raise KindError(f"cannot load gate kind {name!r} from {target}: {exc!r}") from exc
        if getattr(cls, "kind", name) != name:
            raise KindError(f"{target} is kind {cls.kind!r}, registered as {name!r}")
        del self._lazy[name]
        source = self._sources.pop(name)
        self.add(cls, name=name, source=source)
        return cls

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
        if kind in self._lazy or (kind in self._kinds and self._kinds[kind] is not cls):
            raise KindError(
                f"gate kind {kind!r} is registered twice: by {self._sources[kind]} and by {where}"
            )
        self._kinds[kind] = cls
        self._sources[kind] = where

    @property
    def kinds(self) -> Mapping[str, type[Gate]]:
        """Every kind by name; a lazily registered one is imported on first lookup."""
        return _Kinds(self)

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


class _Kinds(Mapping[str, type[Gate]]):
    def __init__(self, registry: KindRegistry) -> None:
        self._registry = registry

    def __getitem__(self, name: str) -> type[Gate]:
        found = self._registry._kinds.get(name)
        if found is not None:
            return found
        if name in self._registry._lazy:
            return self._registry._load(name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({*self._registry._kinds, *self._registry._lazy}))

    def __len__(self) -> int:
        return len(self._registry._kinds) + len(self._registry._lazy)

    def __contains__(self, name: object) -> bool:
        return name in self._registry._kinds or name in self._registry._lazy
