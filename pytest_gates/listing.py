"""``--gate-list``: the resolved profile as text (settings as written, so no secret leaks)."""

from __future__ import annotations

from typing import Any

from .profile import Profile
from .state import GateState


def format_profile(profile: Profile, state: GateState) -> str:
    lines = [f"gate profile {profile.name!r} ({profile.path})"]
    if profile.description:
        lines.append(f"  {profile.description}")
    if len(profile.chain) > 1:
        lines.append(f"  extends: {' -> '.join(profile.chain)}")
    lines.append(f"  {len(profile.gates)} gate{'s' if len(profile.gates) != 1 else ''}:")
    for spec in profile.gates:
        flags = [spec.kind, "blocking" if spec.blocking else "advisory"]
        if spec.timeout:
            flags.append(f"timeout {spec.timeout:g}s")
        lines.append("")
        lines.append(f"  {spec.id} ({', '.join(flags)}) from {spec.origin} at {spec.location}")
        if spec.description:
            lines.append(f"    {spec.description}")
        lines.append(f"    kind {spec.kind!r} from {state.kind_sources.get(spec.kind, '?')}")
        schema = state.kinds[spec.kind].settings_schema
        for key in schema:
            written = key in spec.raw_settings
            value = spec.raw_settings[key] if written else spec.settings.get(key)
            note = "" if written else "  (default)"
            lines.append(f"    {key}: {_show(value)}{note}")
        if spec.error:
            lines.append(f"    ! will error: {spec.error}")
        lines.append(f"    re-run: {state.rerun_command(spec.id)}")
    return "\n".join(lines) + "\n"


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)
