"""Profiles: finding, extends, merging, ${VAR} expansion and validation (no pytest runs)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pytest_gates.api import Gate, Outcome, Setting
from pytest_gates.gates.coverage import CoverageGate
from pytest_gates.gates.junit import JUnitGate
from pytest_gates.gates.sarif import SarifGate
from pytest_gates.plugin import builtin_profile_dir
from pytest_gates.profile import ProfileError, ProfileNotFound, expand, find, load

REPO_ROOT = Path(__file__).parent.parent
KINDS: dict[str, type[Gate]] = {"junit": JUnitGate, "coverage": CoverageGate, "sarif": SarifGate}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    write(tmp_path, "p.yaml", text)
    with pytest.raises(ProfileError) as info:
        load("p", [tmp_path], KINDS, env or {})
    return str(info.value)


def test_load_fills_defaults_and_records_where_each_gate_is(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pr.yaml",
        """
        description: PR
        gates:
          tests:
            kind: junit
            reports: [a/*.xml, b.xml]
            min_tests: 60
          cov:
            kind: coverage
            report: coverage.xml
            min_line: 50
            blocking: false
            timeout: 30
    """,
    )
    profile = load("pr", [tmp_path], KINDS, {})
    assert profile.name == "pr"
    assert profile.description == "PR"
    tests, cov = profile.gates
    assert tests.settings == {
        "reports": ["a/*.xml", "b.xml"],
        "min_tests": 60,
        "max_failures": 0,
        "max_errors": 0,
        "max_skipped": None,
    }
    assert tests.blocking is True
    assert tests.location == f"{tmp_path / 'pr.yaml'}:3"
    assert cov.blocking is False
    assert cov.timeout == 30.0
    assert cov.settings["min_line"] == 50.0
    assert cov.settings["min_branch"] is None


def test_a_single_string_is_a_one_item_list(tmp_path: Path) -> None:
    write(tmp_path, "p.yml", "gates:\n  t:\n    kind: junit\n    reports: r.xml\n")
    assert load("p", [tmp_path], KINDS, {}).gates[0].settings["reports"] == ["r.xml"]


def test_extends_merges_key_by_key_and_enabled_false_drops(tmp_path: Path) -> None:
    write(
        tmp_path,
        "base.yaml",
        """
        gates:
          tests: {kind: junit, reports: [r.xml], min_tests: 10, max_skipped: 3}
          cov: {kind: coverage, report: c.xml, min_line: 80}
          lint: {kind: junit, reports: [lint.xml]}
    """,
    )
    write(
        tmp_path,
        "child.yaml",
        """
        extends: base
        gates:
          tests: {min_tests: 60}
          lint: {enabled: false}
          extra: {kind: coverage, report: x.xml, min_branch: 10}
    """,
    )
    profile = load("child", [tmp_path], KINDS, {})
    assert [g.id for g in profile.gates] == ["tests", "cov", "extra"]
    tests = profile.gate("tests")
    assert tests.settings["min_tests"] == 60
    assert tests.settings["max_skipped"] == 3
    assert tests.origin == "child < base"
    assert profile.gate("cov").origin == "base"
    assert profile.chain == ("base", "child")


def test_extends_a_list_later_parents_win(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "gates:\n  t: {kind: junit, reports: [a.xml], min_tests: 1}\n")
    write(tmp_path, "b.yaml", "gates:\n  t: {kind: junit, reports: [b.xml]}\n")
    write(tmp_path, "c.yaml", "extends: [a, b]\ngates: {}\n")
    gate = load("c", [tmp_path], KINDS, {}).gate("t")
    assert gate.settings["reports"] == ["b.xml"]
    assert gate.settings["min_tests"] == 1


def test_extends_cycle_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "extends: b\ngates: {}\n")
    write(tmp_path, "b.yaml", "extends: a\ngates: {}\n")
    with pytest.raises(ProfileError, match=r"'extends' forms a cycle: a -> b -> a"):
        load("a", [tmp_path], KINDS, {})


def test_extends_its_namesake_takes_the_next_on_the_search_path(tmp_path: Path) -> None:
    project, shared = tmp_path / "project", tmp_path / "shared"
    project.mkdir()
    shared.mkdir()
    write(
        shared,
        "pr.yaml",
        "gates:\n  t: {kind: junit, reports: [a.xml]}\n  u: {kind: junit, reports: [u.xml]}\n",
    )
    write(project, "pr.yaml", "extends: pr\ngates:\n  u: {enabled: false}\n")
    profile = load("pr", [project, shared], KINDS, {})
    assert [g.id for g in profile.gates] == ["t"]
    assert profile.chain == ("pr", "pr")
    # With nothing further down the path, it is an error, not a cycle or a silent no-op.
    with pytest.raises(ProfileError, match="unknown gate profile 'pr'"):
        load("pr", [project], KINDS, {})


def test_env_expansion(tmp_path: Path) -> None:
    write(
        tmp_path,
        "p.yaml",
        """
        gates:
          t:
            kind: junit
            reports: ["${DIR}/*.xml", "${OTHER:-fallback}/x.xml", "$${LITERAL}"]
            min_tests: ${MIN:-5}
    """,
    )
    gate = load("p", [tmp_path], KINDS, {"DIR": "out", "MIN": "60"}).gate("t")
    assert gate.settings["reports"] == ["out/*.xml", "fallback/x.xml", "${LITERAL}"]
    assert gate.settings["min_tests"] == 60
    assert gate.error is None


def test_an_unset_variable_errors_that_gate_only(tmp_path: Path) -> None:
    write(
        tmp_path,
        "p.yaml",
        """
        gates:
          t: {kind: junit, reports: ["${REPORTS_DIR}/*.xml"]}
          u: {kind: junit, reports: [u.xml]}
    """,
    )
    profile = load("p", [tmp_path], KINDS, {})
    assert profile.gate("t").error == (
        f"environment variable REPORTS_DIR is not set (used by setting 'reports' at"
        f" {tmp_path / 'p.yaml'}:2)"
    )
    assert profile.gate("u").error is None
    assert profile.gate("t").raw_settings["reports"] == ["${REPORTS_DIR}/*.xml"]


def test_expand_shell_semantics() -> None:
    assert expand("${A:-d}", {"A": ""}) == "d"
    assert expand("${A}", {"A": ""}) == ""
    assert expand({"k": ["${A}x"]}, {"A": "1"}) == {"k": ["1x"]}
    assert expand(5, {}) == 5


def test_unknown_kind_lists_known_kinds_with_file_and_line(tmp_path: Path) -> None:
    text = problems(tmp_path, "gates:\n  t:\n    kind: junitt\n    reports: [a]\n")
    assert text == (
        f"{tmp_path / 'p.yaml'}:3: gate 't': unknown kind 'junitt'; did you mean 'junit'?"
        " (known: coverage, junit, sarif)"
    )


def test_unknown_setting_suggests_the_closest(tmp_path: Path) -> None:
    text = problems(tmp_path, "gates:\n  t:\n    kind: junit\n    reports: [a]\n    min_test: 3\n")
    assert text == (
        f"{tmp_path / 'p.yaml'}:5: gate 't': unknown setting 'min_test' for kind 'junit';"
        " did you mean 'min_tests'?"
    )


def test_wrong_type_missing_setting_bad_id(tmp_path: Path) -> None:
    text = problems(
        tmp_path,
        """
        gates:
          t: {kind: junit, reports: [a], min_tests: sixty}
          c: {kind: coverage, min_line: 50}
          "bad id": {kind: junit, reports: [a]}
          b: {kind: junit, reports: [a], blocking: maybe}
          d: {kind: coverage, report: c.xml, min_line: 150}
    """,
    )
    path = tmp_path / "p.yaml"
    assert f"{path}:2: gate 't': setting 'min_tests' must be an integer, got 'sixty'" in text
    assert f"{path}:3: gate 'c': missing required setting 'report'" in text
    assert f"{path}:4: bad gate id 'bad id'" in text
    assert f"{path}:5: gate 'b': setting 'blocking' must be true or false, got 'maybe'" in text
    assert f"{path}:6: gate 'd': 'min_line' is a percentage (0-100), got 150" in text


def test_a_variable_that_is_not_a_number_is_a_type_error(tmp_path: Path) -> None:
    text = problems(
        tmp_path, "gates:\n  t: {kind: junit, reports: [a], min_tests: '${N}'}\n", {"N": "many"}
    )
    assert "setting 'min_tests' must be an integer, got '${N}' (value not shown)" in text
    assert "many" not in text


def test_invalid_yaml_and_wrong_shapes(tmp_path: Path) -> None:
    assert "p.yaml:3: invalid YAML: expected ',' or ']'" in problems(
        tmp_path, "gates:\n  t: [unclosed\n"
    )
    assert "the profile is empty" in problems(tmp_path, "")
    assert "'gates' must be a mapping" in problems(tmp_path, "gates: [a, b]\n")
    assert "unknown key 'gate'; did you mean 'gates'?" in problems(tmp_path, "gate: {}\n")
    assert "duplicate gate id 't'" in problems(
        tmp_path, "gates:\n  t: {kind: junit, reports: [a]}\n  t: {kind: junit, reports: [b]}\n"
    )


def test_find_by_name_and_path_and_not_found(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    write(first, "pr.yaml", "gates: {}\n")
    write(second, "pr.yaml", "gates: {}\n")
    write(second, "other.yml", "gates: {}\n")
    assert find("pr", [first, second]) == first / "pr.yaml"
    assert find("other", [first, second]) == second / "other.yml"
    assert find("two/other.yml", [], base=tmp_path) == second / "other.yml"
    with pytest.raises(ProfileNotFound) as info:
        find("nope", [first, second])
    assert str(info.value) == (
        f"unknown gate profile 'nope'; available: other, pr (looked in: {first}, {second})"
    )


BUILTIN_ENV = {
    "STAGING_URL": "https://staging.example.test",
    "PRODUCTION_HEALTH_URL": "https://shop.example.test/health",
    "ALERTMANAGER_URL": "http://alertmanager.example.test:9093",
}


def builtin_kinds() -> dict[str, type[Gate]]:
    from pytest_gates.builtin import pytest_gates_register_kinds
    from pytest_gates.kinds import KindRegistry

    registry = KindRegistry()
    pytest_gates_register_kinds(registry)
    return registry.kinds


@pytest.mark.parametrize("name", ["pr", "staging", "production"])
def test_builtin_profiles_are_valid(name: str) -> None:
    profile = load(name, [builtin_profile_dir()], builtin_kinds(), BUILTIN_ENV)
    assert profile.gates, f"built-in profile {name} has no gates"
    assert [(g.id, g.error) for g in profile.gates if g.error] == []
    assert all(g.blocking for g in profile.gates)


def test_builtin_profiles_need_their_deployment_variables() -> None:
    # Unset, the gates that need them are errors naming the variable (fail closed).
    staging = load("staging", [builtin_profile_dir()], builtin_kinds(), {})
    errors = {g.id: g.error for g in staging.gates if g.error}
    assert set(errors) == {"e2e", "api", "chaos"}
    assert all("STAGING_URL" in (e or "") for e in errors.values())


# The "Quality Gates" table of shared/seed/pipeline-architecture.md, line for line: each line
# of the design -> (profile, gate id, kind). The README's table says the same.
SEED_TABLE = {
    "All tests pass (60/60)": ("pr", "tests", "junit"),
    "Code coverage > 50%": ("pr", "coverage", "coverage"),
    "No linting errors": ("pr", "lint", "sarif"),
    "SonarQube quality gate pass": ("pr", "sonarqube", "sonar"),
    "1+ approving review": ("pr", "review", "approvals"),
    "All unit tests pass": ("staging", "unit-tests", "junit"),
    "Integration tests pass": ("staging", "integration-tests", "junit"),
    "E2E tests pass (Selenium)": ("staging", "e2e", "selenium"),
    "API tests pass": ("staging", "api", "api"),
    "No CRITICAL vulnerabilities": ("staging", "vulnerabilities", "sarif"),
    "Performance benchmarks met": ("staging", "performance", "benchmark"),
    "Successful staging deployment": ("production", "staging-passed", "verdict"),
    "Manual approval from 2 reviewers": ("production", "approvals", "approvals"),
    "No active incidents": ("production", "incidents", "incidents"),
    "Change management ticket": ("production", "change-ticket", "change-ticket"),
    "Rollback plan documented": ("production", "rollback-plan", "document"),
}
SEED = REPO_ROOT.parent / "shared" / "seed" / "pipeline-architecture.md"


def test_builtin_profiles_express_the_seed_table_line_for_line() -> None:
    if not SEED.is_file():
        pytest.skip(f"the design document is not beside the clone ({SEED})")
    text = SEED.read_text(encoding="utf-8")
    table = text[
        text.index("Pull Request Gates:") : text.index("```", text.index("Pull Request Gates:"))
    ]
    lines = [line.split("✅", 1)[1].strip() for line in table.splitlines() if "✅" in line]
    assert lines == list(SEED_TABLE)
    kinds = builtin_kinds()
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for line, (name, gate_id, kind) in SEED_TABLE.items():
        gate = load(name, [builtin_profile_dir()], kinds, BUILTIN_ENV).gate(gate_id)
        assert gate.kind == kind, line
        assert f"| {line} | `{name}` | `{gate_id}` |" in readme, line


def test_builtin_thresholds_are_the_designs() -> None:
    kinds = builtin_kinds()
    env = {**BUILTIN_ENV, "GATE_MIN_TESTS": "60"}
    pr = load("pr", [builtin_profile_dir()], kinds, env)
    assert pr.gate("tests").settings["min_tests"] == 60
    assert pr.gate("tests").settings["max_failures"] == 0
    assert pr.gate("coverage").settings["min_line"] == 50.0
    assert SarifGate(pr.gate("lint").settings).limits() == {"critical": 0, "high": 0}
    assert SarifGate(pr.gate("secrets").settings).limits() == dict.fromkeys(
        ("critical", "high", "medium", "low", "info"), 0
    )
    assert pr.gate("review").settings["min_approvals"] == 1
    staging = load("staging", [builtin_profile_dir()], kinds, BUILTIN_ENV)
    assert SarifGate(staging.gate("vulnerabilities").settings).limits() == {"critical": 0}
    assert staging.gate("e2e").settings["base_url"] == BUILTIN_ENV["STAGING_URL"]
    production = load("production", [builtin_profile_dir()], kinds, BUILTIN_ENV)
    assert production.gate("approvals").settings["min_approvals"] == 2
    assert production.gate("incidents").settings["max_active"] == 0
    assert production.gate("staging-passed").settings["profile"] == "staging"


def test_a_kind_may_check_several_settings_together(tmp_path: Path) -> None:
    class Pair(Gate):
        kind = "pair"
        settings_schema: ClassVar[Mapping[str, Setting]] = {
            "low": Setting(int, default=0),
            "high": Setting(int, default=10),
        }

        @classmethod
        def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
            return ["'low' must not exceed 'high'"] if settings["low"] > settings["high"] else []

        def evaluate(self, ctx: object) -> Outcome:  # type: ignore[override]
            raise AssertionError("not called")

    write(tmp_path, "p.yaml", "gates:\n  x: {kind: pair, low: 11}\n")
    with pytest.raises(ProfileError, match=r"p\.yaml:2: gate 'x': 'low' must not exceed 'high'"):
        load("p", [tmp_path], {"pair": Pair}, {})
