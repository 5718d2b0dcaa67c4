"""The pytest plugin: options, configuration, collection and reporting hooks."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import builtin, hookspecs
from .api import Status
from .state import OUTCOME_KEY, STATE_KEY, GateState

if TYPE_CHECKING:
    from .verdict import Verdict

# Runs without --gate must not pay for the profile, YAML, nodes and verdict modules: those
# are imported inside the hooks, once a --gate run is known.
VERDICT_KEY: pytest.StashKey[Verdict] = pytest.StashKey()
BUILTIN_PROFILES = Path(__file__).parent / "gate_profiles"
SOURCE_PROFILES = Path(__file__).parent.parent / "gate_profiles"


def builtin_profile_dir() -> Path:
    """Inside the wheel, or beside the package in a source checkout / editable install."""
    return BUILTIN_PROFILES if BUILTIN_PROFILES.is_dir() else SOURCE_PROFILES


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)
    if not pluginmanager.is_registered(builtin):
        pluginmanager.register(builtin, "pytest_gates.builtin")
    from . import fixtures

    if not pluginmanager.is_registered(fixtures):
        pluginmanager.register(fixtures, "pytest_gates.fixtures")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gates", "release quality gates (pytest-gates)")
    group.addoption(
        "--gate",
        metavar="NAME",
        default=None,
        help="evaluate the gates of profile NAME (or a path to a profile YAML) instead of tests",
    )
    group.addoption(
        "--gate-profiles",
        metavar="DIR",
        action="append",
        default=[],
        help="look for gate profiles in DIR first (repeatable)",
    )
    group.addoption(
        "--gate-list",
        action="store_true",
        default=False,
        help="print the resolved gate profile and evaluate nothing",
    )
    group.addoption(
        "--gate-only",
        metavar="ID[,ID...]",
        action="append",
        default=[],
        help="evaluate only these gates (repeatable, comma-separated)",
    )
    group.addoption(
        "--gate-explain",
        metavar="ID",
        action="append",
        default=[],
        help="evaluate gate ID and print how it decided, finding by finding (repeatable)",
    )
    group.addoption(
        "--gate-verdict",
        metavar="PATH",
        default=None,
        help="where to write the JUnit XML verdict (default: gate-verdict.xml)",
    )
    parser.addini("gate_profiles", "extra folders with gate profiles", type="paths", default=[])
    parser.addini("gate_verdict", "path of the JUnit XML verdict", default="gate-verdict.xml")
    parser.addini("gate_timeout", "default per-gate timeout in seconds (empty: none)", default="")


def _profile_dirs(config: pytest.Config) -> list[Path]:
    root = config.rootpath
    dirs = [root / d for d in config.option.gate_profiles]
    dirs += [Path(p) for p in config.getini("gate_profiles")]
    dirs += [root / "gate_profiles", builtin_profile_dir()]
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def _ids(args: list[str]) -> list[str]:
    return [g.strip() for arg in args for g in arg.split(",") if g.strip()]


def _build_state(config: pytest.Config) -> GateState:
    """Find the profile (a usage error if there is none), then load kinds and profile."""
    opt = config.option
    timeout = str(config.getini("gate_timeout")).strip()
    try:
        default_timeout = float(timeout) if timeout else None
    except ValueError:
        raise pytest.UsageError(
            f"ini gate_timeout must be a number of seconds: {timeout!r}"
        ) from None
    state = GateState(
        gate_arg=opt.gate,
        rootdir=config.rootpath,
        profile_dirs=_profile_dirs(config),
        cli_profile_dirs=list(opt.gate_profiles),
        only=_ids(opt.gate_only) or _ids(opt.gate_explain),
        explain=_ids(opt.gate_explain),
        default_timeout=default_timeout,
        evidence_root=config.rootpath / ".gate-evidence",
    )
    from .kinds import KindError, KindRegistry
    from .profile import ProfileError, ProfileNotFound, load

    registry = KindRegistry()
    try:
        config.hook.pytest_gates_register_kinds(registry=registry)
        registry.load_entry_points()
        state.kinds = registry.kinds
        state.kind_sources = registry.sources
        state.profile = load(
            opt.gate,
            state.profile_dirs,
            state.kinds,
            os.environ,
            base=Path(config.invocation_params.dir),
        )
    except ProfileNotFound as exc:
        raise pytest.UsageError(str(exc)) from None
    except (ProfileError, KindError) as exc:
        state.problem = str(exc)
    return state


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if not config.option.gate_list:
        return None
    if not config.option.gate:
        raise pytest.UsageError("--gate-list needs --gate NAME")
    state = _build_state(config)
    # Runs before pytest_configure: no terminal reporter yet, plain stdout it is.
    if state.problem is not None:
        sys.stdout.write(f"ERROR: gate profile {state.gate_arg!r} is broken:\n{state.problem}\n")
        return int(pytest.ExitCode.INTERRUPTED)
    assert state.profile is not None
    from .listing import format_profile

    sys.stdout.write(format_profile(state.profile, state))
    return 0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gate: an item that evaluates a release gate (pytest-gates)")
    opt = config.option
    if not opt.gate:
        if opt.gate_only or opt.gate_explain:
            raise pytest.UsageError("--gate-only and --gate-explain need --gate NAME")
        return
    state = _build_state(config)
    if state.profile is not None:
        known = [g.id for g in state.profile.gates]
        for option, ids in (("--gate-only", state.only), ("--gate-explain", state.explain)):
            unknown = [g for g in ids if g not in known]
            if unknown:
                raise pytest.UsageError(
                    f"{option}: no gate {', '.join(map(repr, unknown))} in profile"
                    f" {state.profile.name!r}; its gates: {', '.join(known)}"
                )
    config.stash[STATE_KEY] = state
    from .suite import MemberResults

    # In every process (xdist workers too): gathers suite members' results for their gate.
    config.pluginmanager.register(MemberResults(config), "pytest_gates.members")
    # The profile's gates replace the project's tests: collect only the rootdir, which
    # pytest_collect_directory below turns into the profile node.
    config.args = [str(config.rootpath)]
    # The controller writes the one verdict; --collect-only evaluates nothing to judge.
    if not hasattr(config, "workerinput") and not opt.collectonly:
        path = opt.gate_verdict or config.getini("gate_verdict")
        from .verdict import Verdict

        verdict = Verdict(config, config.rootpath / path)
        config.stash[VERDICT_KEY] = verdict
        config.pluginmanager.register(verdict, "pytest_gates.verdict")


def pytest_unconfigure(config: pytest.Config) -> None:
    verdict = config.stash.get(VERDICT_KEY, None)
    if verdict is not None:
        config.pluginmanager.unregister(verdict)
        del config.stash[VERDICT_KEY]
    members = config.pluginmanager.get_plugin("pytest_gates.members")
    if members is not None:
        config.pluginmanager.unregister(members)
    if STATE_KEY in config.stash:
        del config.stash[STATE_KEY]


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    # Only the session's own rootdir collector: a suite gate whose 'tests' is the rootdir
    # collects it as an ordinary folder.
    if STATE_KEY in config.stash and path == config.rootpath and parent is parent.session:
        state = config.stash[STATE_KEY]
        from .nodes import GateProfileNode

        node: pytest.Collector = GateProfileNode.from_parent(
            parent, path=path, nodeid=f"gate:{state.profile_name}"
        )
        return node
    return None


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Any:
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return (yield)
    from .nodes import GateItem
    from .suite import owner

    # Before -k and the other selections: a suite's members answer to their gate's id and
    # kind; a suite's verdict item is held back, and comes back when any member is selected
    # (so `-k test_login` runs that test and its gate's verdict, and counts stay exact).
    gates: dict[str, GateItem] = {
        i.spec.id: i for i in items if isinstance(i, GateItem) and owner(i) is None
    }
    members: dict[str, str] = {}
    for item in items:
        gate_id = owner(item)
        if gate_id is not None and gate_id in gates:
            members[item.nodeid] = gate_id
            item.extra_keyword_matches.update({gate_id, gates[gate_id].spec.kind})
    held = [gates[g] for g in gates if g in set(members.values())]
    items[:] = [i for i in items if i not in held]
    result = yield
    if state.only:
        keep = [
            i
            for i in items
            if (isinstance(i, GateItem) and i.spec.id in state.only)
            or members.get(i.nodeid) in state.only
        ]
        drop = [i for i in items if i not in keep]
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
    selected = {members[i.nodeid] for i in items if i.nodeid in members}
    dropped = [v for v in held if v.spec.id not in selected]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    for verdict_item in held:
        gate_id = verdict_item.spec.id
        if gate_id in selected:  # after its last selected member
            last = max(n for n, i in enumerate(items) if members.get(i.nodeid) == gate_id)
            items.insert(last + 1, verdict_item)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if STATE_KEY in item.config.stash:  # plain runs do not import the suite module
        from .suite import annotate_member

        annotate_member(item, report)
    outcome = item.stash.get(OUTCOME_KEY, None)  # set by gate items only
    if outcome is not None and report.when == "call":
        from .nodes import GateItem, explain

        if isinstance(item, GateItem):
            state = item.config.stash[STATE_KEY]
            # Travels with the report to the pytest-xdist controller (a plain dict).
            report.gate = {
                "id": item.spec.id,
                "kind": item.spec.kind,
                "blocking": item.spec.blocking,
                "status": outcome.status.value,
                "summary": outcome.summary,
                "measured": outcome.measured_text(),
                "threshold": outcome.threshold_text(),
                "text": explain(outcome, item.spec)
                + f"\nre-run this gate: {state.rerun_command(item.spec.id)}",
            }
    return report


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under pytest-xdist's default ``load`` distribution, schedule by gate: each gate is a
    unit of work, and a suite gate's members run on the worker that then judges them."""
    state = config.stash.get(STATE_KEY, None)
    if state is None or state.profile is None or config.getvalue("dist") != "load":
        return None
    from .distribute import GateScheduling

    return GateScheduling(config, log)


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    member = getattr(report, "gate_member", None)
    if member is not None and member.get("status") == "error" and report.when == "call":
        return "error", "E", ("ERROR", {"red": True})
    gate = getattr(report, "gate", None)
    if gate is None or report.when != "call" or gate["status"] == Status.PASSED.value:
        return None
    if not gate["blocking"]:
        return "advisory", "A", ("ADVISORY", {"yellow": True})
    if gate["status"] == Status.ERROR.value:
        return "error", "E", ("ERROR", {"red": True})
    return None
