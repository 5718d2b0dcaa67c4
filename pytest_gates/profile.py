"""Gate profiles: YAML files -> frozen dataclasses.

Finding a profile by name, following ``extends``, merging gates by id, expanding
``${VAR}`` / ``${VAR:-default}``, and validating every gate against its kind's settings
schema with ``file:line`` messages.  This module imports no pytest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .api import Gate
from .spec import GateSpec, MergedGate, Profile, ProfileError, ProfileNotFound
from .validate import check, expand, hint, validate

__all__ = [
    "GateSpec",
    "Profile",
    "ProfileError",
    "ProfileNotFound",
    "available",
    "check",
    "expand",
    "find",
    "load",
]

PROFILE_SUFFIXES = (".yaml", ".yml")
TOP_KEYS = ("description", "extends", "gates", "version")
# --- finding -------------------------------------------------------------------------


def available(dirs: Sequence[Path]) -> dict[str, Path]:
    """Profile names found in ``dirs``, earlier directories winning."""
    found: dict[str, Path] = {}
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in PROFILE_SUFFIXES and path.is_file():
                found.setdefault(path.stem, path)
    return found


def find(name: str, dirs: Sequence[Path], *, base: Path | None = None) -> Path:
    """The file for ``--gate NAME``: a path to a YAML file, or a name in ``dirs``."""
    if name.endswith(PROFILE_SUFFIXES) or "/" in name or "\\" in name:
        path = Path(name)
        if not path.is_absolute() and base is not None:
            path = base / path
        if path.is_file():
            return path
        raise ProfileNotFound(f"gate profile file not found: {path}")
    for folder in dirs:
        for suffix in PROFILE_SUFFIXES:
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    names = sorted(available(dirs))
    looked = ", ".join(str(d) for d in dirs)
    raise ProfileNotFound(
        f"unknown gate profile {name!r}; available: {', '.join(names) or '(none)'}"
        f" (looked in: {looked})"
    )


# --- YAML with line numbers --------------------------------------------------------


@dataclass
class _Doc:
    """A mapping read from YAML, with the line of every key."""

    values: dict[str, Any]
    lines: dict[str, int]
    line: int


def _read_yaml(path: Path) -> _Doc:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ProfileError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise ProfileError([f"{path}:1: not UTF-8 text"]) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ProfileError([f"{path}:1: the profile is empty (it needs a 'gates' mapping)"])
        return _mapping(node, loader, path, "the profile")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ProfileError([f"{path}:{line}: invalid YAML: {exc.problem or exc}"]) from None
    except yaml.YAMLError as exc:
        raise ProfileError([f"{path}: invalid YAML: {exc}"]) from None
    finally:
        loader.dispose()


def _mapping(node: yaml.Node, loader: yaml.SafeLoader, path: Path, what: str) -> _Doc:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        raise ProfileError([f"{path}:{line}: {what} must be a mapping"])
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key_line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            key = str(key)
        if key in values:
            raise ProfileError([f"{path}:{key_line}: duplicate key {key!r} in {what}"])
        lines[key] = key_line
        if isinstance(value_node, yaml.MappingNode) and what == "the profile" and key == "gates":
            values[key] = _gates(value_node, loader, path)
        else:
            values[key] = loader.construct_object(value_node, deep=True)
    return _Doc(values, lines, line)


def _gates(node: yaml.MappingNode, loader: yaml.SafeLoader, path: Path) -> dict[str, _Doc]:
    gates: dict[str, _Doc] = {}
    for key_node, value_node in node.value:
        gate_id = str(loader.construct_object(key_node, deep=True))
        line = key_node.start_mark.line + 1
        if gate_id in gates:
            raise ProfileError([f"{path}:{line}: duplicate gate id {gate_id!r}"])
        if value_node.tag == "tag:yaml.org,2002:null":
            doc = _Doc({}, {}, line)
        else:
            doc = _mapping(value_node, loader, path, f"gate {gate_id!r}")
        doc.line = line
        gates[gate_id] = doc
    return gates


# --- extends and merge ---------------------------------------------------------------


def load(
    name: str,
    dirs: Sequence[Path],
    kinds: Mapping[str, type[Gate]],
    environ: Mapping[str, str],
    *,
    base: Path | None = None,
) -> Profile:
    """Find, read, merge, expand and validate a profile.  Raises ProfileError/ProfileNotFound."""
    path = find(name, dirs, base=base)
    display = path.stem if path.suffix in PROFILE_SUFFIXES else path.name
    chain: list[str] = []
    description, merged = _resolve(path, dirs, chain, ())
    gates = validate(merged, kinds, environ)
    return Profile(display, path, description, tuple(gates), tuple(chain))


def _resolve(
    path: Path, dirs: Sequence[Path], chain: list[str], stack: tuple[Path, ...]
) -> tuple[str, dict[str, MergedGate]]:
    resolved = path.resolve()
    if resolved in stack:
        cycle = " -> ".join(p.stem for p in (*stack, resolved))
        raise ProfileError([f"{path}:1: 'extends' forms a cycle: {cycle}"])
    doc = _read_yaml(path)
    problems = []
    for key in doc.values:
        if key not in TOP_KEYS:
            problems.append(f"{path}:{doc.lines[key]}: unknown key {key!r}{hint(key, TOP_KEYS)}")
    version = doc.values.get("version", 1)
    if version != 1:
        problems.append(f"{path}:{doc.lines.get('version', 1)}: unsupported version {version!r}")
    if "gates" in doc.values and not isinstance(doc.values["gates"], dict):
        problems.append(f"{path}:{doc.lines['gates']}: 'gates' must be a mapping of gate ids")
    if problems:
        raise ProfileError(problems)

    merged: dict[str, MergedGate] = {}
    parents = doc.values.get("extends") or []
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ProfileError([f"{path}:{doc.lines['extends']}: 'extends' must be a name or a list"])
    for parent in parents:
        search = [path.parent, *dirs]
        if parent == path.stem:
            # A profile that extends its namesake (a project's pr.yaml with `extends: pr`)
            # means the next one on the search path, e.g. the built-in.
            here = path.parent.resolve()
            later = [i for i, d in enumerate(dirs) if d.resolve() == here]
            search = (
                list(dirs[later[0] + 1 :]) if later else [d for d in dirs if d.resolve() != here]
            )
        try:
            parent_path = find(parent, search, base=path.parent)
        except ProfileNotFound as exc:
            raise ProfileError([f"{path}:{doc.lines['extends']}: {exc}"]) from None
        _, inherited = _resolve(parent_path, dirs, chain, (*stack, resolved))
        for gate_id, gate in inherited.items():
            merged[gate_id] = _merge(merged.get(gate_id), gate)
    chain.append(path.stem)

    for gate_id, gdoc in (doc.values.get("gates") or {}).items():
        own = MergedGate(
            dict(gdoc.values),
            {k: (path, n) for k, n in gdoc.lines.items()},
            path,
            gdoc.line,
            path.stem,
        )
        merged[gate_id] = _merge(merged.get(gate_id), own)
    description = doc.values.get("description", "")
    return (description if isinstance(description, str) else str(description)), merged


def _merge(parent: MergedGate | None, child: MergedGate) -> MergedGate:
    if parent is None:
        return child
    child_kind = child.values.get("kind")
    if child_kind is not None and child_kind != parent.values.get("kind"):
        return child  # another kind: the parent's settings mean nothing to it
    return MergedGate(
        {**parent.values, **child.values},
        {**parent.lines, **child.lines},
        child.file,
        child.line,
        child.origin if parent.origin == child.origin else f"{child.origin} < {parent.origin}",
    )
