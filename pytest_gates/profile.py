"""Gate profiles: YAML files -> frozen dataclasses.

Finding a profile by name, following ``extends``, merging gates by id, expanding
``${VAR}`` / ``${VAR:-default}``, and validating every gate against its kind's settings
schema with ``file:line`` messages.  This module imports no pytest.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .api import Gate, Setting

PROFILE_SUFFIXES = (".yaml", ".yml")
TOP_KEYS = ("description", "extends", "gates", "version")
COMMON_KEYS: dict[str, Setting] = {
    "kind": Setting(str, required=True, help="the gate kind"),
    "description": Setting(str, default="", help="shown in reports"),
    "blocking": Setting(bool, default=True, help="false = advisory: reported, never fails"),
    "timeout": Setting(float, default=None, minimum=0.001, help="seconds"),
    "enabled": Setting(bool, default=True, help="false drops an inherited gate"),
}
GATE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ProfileError(Exception):
    """A profile that cannot be used; each line of the message is ``file:line: problem``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ProfileNotFound(Exception):
    """``--gate NAME`` named no profile in the search path."""


@dataclass(frozen=True)
class GateSpec:
    """One gate of a resolved profile."""

    id: str
    kind: str
    settings: Mapping[str, Any]
    raw_settings: Mapping[str, Any]
    description: str = ""
    blocking: bool = True
    timeout: float | None = None
    origin: str = ""
    file: Path = Path()
    line: int = 0
    error: str | None = None

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    description: str
    gates: tuple[GateSpec, ...]
    chain: tuple[str, ...] = field(default=())

    def gate(self, gate_id: str) -> GateSpec:
        for spec in self.gates:
            if spec.id == gate_id:
                return spec
        raise KeyError(gate_id)


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


@dataclass
class _Merged:
    values: dict[str, Any]
    lines: dict[str, tuple[Path, int]]
    file: Path
    line: int
    origin: str


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
    gates = _validate(merged, kinds, environ)
    return Profile(display, path, description, tuple(gates), tuple(chain))


def _resolve(
    path: Path, dirs: Sequence[Path], chain: list[str], stack: tuple[Path, ...]
) -> tuple[str, dict[str, _Merged]]:
    resolved = path.resolve()
    if resolved in stack:
        cycle = " -> ".join(p.stem for p in (*stack, resolved))
        raise ProfileError([f"{path}:1: 'extends' forms a cycle: {cycle}"])
    doc = _read_yaml(path)
    problems = []
    for key in doc.values:
        if key not in TOP_KEYS:
            problems.append(f"{path}:{doc.lines[key]}: unknown key {key!r}{_hint(key, TOP_KEYS)}")
    version = doc.values.get("version", 1)
    if version != 1:
        problems.append(f"{path}:{doc.lines.get('version', 1)}: unsupported version {version!r}")
    if "gates" in doc.values and not isinstance(doc.values["gates"], dict):
        problems.append(f"{path}:{doc.lines['gates']}: 'gates' must be a mapping of gate ids")
    if problems:
        raise ProfileError(problems)

    merged: dict[str, _Merged] = {}
    parents = doc.values.get("extends") or []
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ProfileError([f"{path}:{doc.lines['extends']}: 'extends' must be a name or a list"])
    for parent in parents:
        try:
            parent_path = find(parent, [path.parent, *dirs], base=path.parent)
        except ProfileNotFound as exc:
            raise ProfileError([f"{path}:{doc.lines['extends']}: {exc}"]) from None
        _, inherited = _resolve(parent_path, dirs, chain, (*stack, resolved))
        for gate_id, gate in inherited.items():
            merged[gate_id] = _merge(merged.get(gate_id), gate)
    chain.append(path.stem)

    for gate_id, gdoc in (doc.values.get("gates") or {}).items():
        own = _Merged(
            dict(gdoc.values),
            {k: (path, n) for k, n in gdoc.lines.items()},
            path,
            gdoc.line,
            path.stem,
        )
        merged[gate_id] = _merge(merged.get(gate_id), own)
    description = doc.values.get("description", "")
    return (description if isinstance(description, str) else str(description)), merged


def _merge(parent: _Merged | None, child: _Merged) -> _Merged:
    if parent is None:
        return child
    child_kind = child.values.get("kind")
    if child_kind is not None and child_kind != parent.values.get("kind"):
        return child  # another kind: the parent's settings mean nothing to it
    return _Merged(
        {**parent.values, **child.values},
        {**parent.lines, **child.lines},
        child.file,
        child.line,
        child.origin if parent.origin == child.origin else f"{child.origin} < {parent.origin}",
    )


# --- expansion and validation --------------------------------------------------------


class _Unset(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


def expand(value: Any, environ: Mapping[str, str]) -> Any:
    """Expand ``${VAR}`` and ``${VAR:-default}`` in strings, recursively; ``$$`` is ``$``."""
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name, default = match.group(1), match.group(2)
            current = environ.get(name)
            if current:
                return current
            if default is not None:
                return default
            if current is not None:
                return current
            raise _Unset(name)

        return _VAR.sub(sub, value)
    if isinstance(value, list):
        return [expand(v, environ) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, environ) for k, v in value.items()}
    return value


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    list: "a list of strings",
    dict: "a mapping",
}


def check(value: Any, setting: Setting, *, from_env: bool = False) -> tuple[Any, str | None]:
    """Coerce ``value`` to the setting's type; return (value, problem)."""
    want = setting.type
    if from_env and isinstance(value, str) and want in (int, float, bool):
        with contextlib.suppress(yaml.YAMLError):
            value = yaml.safe_load(value)
    ok = True
    if want is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif want is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif want is list:
        if isinstance(value, str):
            value = [value]
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif want is dict:
        ok = isinstance(value, dict)
    else:
        ok = isinstance(value, want)
    if not ok:
        return value, f"must be {_TYPE_NAMES.get(want, want.__name__)}, got {value!r}"
    if setting.minimum is not None and value < setting.minimum:
        return value, f"must be >= {setting.minimum:g}, got {value!r}"
    if setting.choices and value not in setting.choices:
        return value, f"must be one of {', '.join(map(str, setting.choices))}, got {value!r}"
    return value, None


def _hint(name: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f" (valid: {', '.join(sorted(valid))})"


def _validate(
    merged: Mapping[str, _Merged], kinds: Mapping[str, type[Gate]], environ: Mapping[str, str]
) -> list[GateSpec]:
    problems: list[str] = []
    specs: list[GateSpec] = []
    for gate_id, gate in merged.items():
        where = f"{gate.file}:{gate.line}"

        def at(key: str, _gate: _Merged = gate, _where: str = where) -> str:
            file, line = _gate.lines.get(key, (_gate.file, _gate.line))
            return f"{file}:{line}"

        if not GATE_ID.match(gate_id):
            problems.append(
                f"{where}: bad gate id {gate_id!r}: use letters, digits, '-' and '_'"
                " (starting with a letter or digit)"
            )
            continue
        values = dict(gate.values)
        enabled, problem = check(values.pop("enabled", True), COMMON_KEYS["enabled"])
        if problem:
            problems.append(f"{at('enabled')}: gate {gate_id!r}: 'enabled' {problem}")
            continue
        if not enabled:
            continue
        kind = values.get("kind")
        if kind is None:
            problems.append(f"{where}: gate {gate_id!r} has no 'kind' (known: {_known(kinds)})")
            continue
        if kind not in kinds:
            close = difflib.get_close_matches(str(kind), list(kinds), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                f"{at('kind')}: gate {gate_id!r}: unknown kind {kind!r}{hint}"
                f" (known: {_known(kinds)})"
            )
            continue
        schema = {**COMMON_KEYS, **kinds[kind].settings_schema}
        settings: dict[str, Any] = {}
        common: dict[str, Any] = {}
        error: str | None = None
        for key, raw in values.items():
            if key not in schema:
                problems.append(
                    f"{at(key)}: gate {gate_id!r}: unknown setting {key!r} for kind {kind!r}"
                    f"{_hint(key, list(schema))}"
                )
                continue
            try:
                value = expand(raw, environ)
            except _Unset as unset:
                error = error or (
                    f"environment variable {unset.name} is not set"
                    f" (used by setting {key!r} at {at(key)})"
                )
                continue
            expanded = value != raw
            value, problem = check(value, schema[key], from_env=expanded)
            if problem and expanded:
                # Never echo an expanded value: it may be a secret.
                problem = f"{problem.split(', got ')[0]}, got {raw!r} (value not shown)"
            if problem:
                problems.append(f"{at(key)}: gate {gate_id!r}: setting {key!r} {problem}")
                continue
            (common if key in COMMON_KEYS else settings)[key] = value
        for key, setting in kinds[kind].settings_schema.items():
            if key in settings or key in values:
                continue
            if setting.required:
                problems.append(
                    f"{where}: gate {gate_id!r}: missing required setting {key!r}"
                    f" ({setting.help or setting.type.__name__})"
                )
            else:
                settings[key] = setting.default
        if error is None:
            problems.extend(
                f"{where}: gate {gate_id!r}: {problem}"
                for problem in kinds[kind].check_settings(settings)
            )
        specs.append(
            GateSpec(
                id=gate_id,
                kind=kind,
                settings=settings,
                raw_settings={k: v for k, v in values.items() if k not in COMMON_KEYS},
                description=common.get("description", ""),
                blocking=common.get("blocking", True),
                timeout=common.get("timeout"),
                origin=gate.origin,
                file=gate.file,
                line=gate.line,
                error=error,
            )
        )
    if problems:
        raise ProfileError(problems)
    return specs


def _known(kinds: Mapping[str, Any]) -> str:
    return ", ".join(sorted(kinds)) or "(none)"
