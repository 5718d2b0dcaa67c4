"""Validation of merged gates: ``${VAR}`` expansion, setting types, kind schemas.

Every problem is a ``file:line`` message; an unset variable errors only its own gate.
No pytest.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from .api import Gate, Setting
from .spec import GateSpec, MergedGate, ProfileError

COMMON_KEYS: dict[str, Setting] = {
    "kind": Setting(str, required=True, help="the gate kind"),
    "description": Setting(str, default="", help="shown in reports"),
    "blocking": Setting(bool, default=True, help="false = advisory: reported, never fails"),
    "timeout": Setting(float, default=None, minimum=0.001, help="seconds"),
    "enabled": Setting(bool, default=True, help="false drops an inherited gate"),
}
GATE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


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


def hint(name: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f" (valid: {', '.join(sorted(valid))})"


def validate(
    merged: Mapping[str, MergedGate], kinds: Mapping[str, type[Gate]], environ: Mapping[str, str]
) -> list[GateSpec]:
    problems: list[str] = []
    specs: list[GateSpec] = []
    for gate_id, gate in merged.items():
        where = f"{gate.file}:{gate.line}"

        def at(key: str, _gate: MergedGate = gate, _where: str = where) -> str:
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
            suggestion = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                f"{at('kind')}: gate {gate_id!r}: unknown kind {kind!r}{suggestion}"
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
                    f"{hint(key, list(schema))}"
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
