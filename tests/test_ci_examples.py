"""The CI examples (examples/ci) stay true to the profiles: each gate step runs a built-in
profile with the command a developer runs, sets only variables that profile (or its kinds)
reads, publishes the verdict it writes, and production reads the verdict staging wrote."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml

from conftest import REPO

CI = REPO / "examples" / "ci"
PROFILES = REPO / "gate_profiles"
# Variables the kinds read by themselves (documented in docs/kinds/*.md), and GitLab's clone depth.
KIND_VARIABLES = {
    "GIT_DEPTH",
    "SONAR_TOKEN",
    "SONAR_HOST_URL",
    "GITHUB_TOKEN",
    "GITLAB_TOKEN",
    "CHANGE_TICKET",
}


def gate_runs(commands: list[str]) -> list[tuple[str, str]]:
    """(profile, verdict path) of each `pytest --gate=...` command."""
    runs = []
    for command in commands:
        if not command.startswith("pytest --gate="):
            continue
        args = dict(a.split("=", 1) for a in shlex.split(command)[1:] if "=" in a)
        runs.append((args["--gate"], args.get("--gate-verdict", "gate-verdict.xml")))
    return runs


def check_variables(profile: str, variables: dict[str, Any]) -> None:
    text = (PROFILES / f"{profile}.yaml").read_text()
    for name in variables:
        assert name in KIND_VARIABLES or re.search(rf"\$\{{{name}[:}}]", text), (profile, name)


def test_github_actions_workflow() -> None:
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    stages: dict[str, tuple[str, str]] = {}
    for job in workflow["jobs"].values():
        steps = job["steps"]
        for n, step in enumerate(steps):
            runs = gate_runs([step.get("run", "")])
            if not runs:
                continue
            ((profile, verdict_path),) = runs
            assert (PROFILES / f"{profile}.yaml").is_file()
            check_variables(profile, step.get("env", {}))
            published = [s for s in steps[n:] if "action-junit-report" in s.get("uses", "")]
            assert published[0]["with"]["report_paths"] == verdict_path
            assert published[0]["if"] == "always()"
            stages[profile] = (verdict_path, job.get("needs", ""))
    assert set(stages) == {"pr", "staging", "production"}
    assert stages["production"][1] == "staging-gate"
    # production reads what staging uploaded, where download-artifact puts it.
    upload = next(
        s
        for s in workflow["jobs"]["staging-gate"]["steps"]
        if "upload-artifact" in s.get("uses", "")
    )
    download = next(
        s
        for s in workflow["jobs"]["production-gate"]["steps"]
        if "download-artifact" in s.get("uses", "")
    )
    assert upload["with"]["name"] == download["with"]["name"]
    assert stages["staging"][0] in upload["with"]["path"]
    gate_step = next(
        s
        for s in workflow["jobs"]["production-gate"]["steps"]
        if s.get("run", "").startswith("pytest --gate=production")
    )
    expected = f"{download['with']['path']}/{stages['staging'][0]}"
    assert gate_step["env"]["GATE_STAGING_VERDICT"] == expected


def test_gitlab_ci_file() -> None:
    pipeline = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    stages: dict[str, str] = {}
    for job in pipeline.values():
        if not isinstance(job, dict) or "script" not in job:
            continue
        runs = gate_runs(job["script"])
        if not runs:
            continue
        ((profile, verdict_path),) = runs
        assert (PROFILES / f"{profile}.yaml").is_file()
        check_variables(profile, job.get("variables", {}))
        assert job["artifacts"]["reports"]["junit"] == verdict_path
        assert job["artifacts"]["when"] == "always"
        assert job["stage"] == profile
        stages[profile] = verdict_path
    assert set(stages) == {"pr", "staging", "production"}
    production = pipeline["production-gate"]
    assert production["needs"] == ["staging-gate"]
    assert production["variables"]["GATE_STAGING_VERDICT"] == stages["staging"]
    assert stages["staging"] in pipeline["staging-gate"]["artifacts"]["paths"]


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_the_readme_points_at_the_ci_examples(name: str) -> None:
    assert (CI / name).is_file()
    assert "examples/ci/" in (REPO / "README.md").read_text()
