"""The ``document`` gate kind on real files, in real git repositories made here."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from gitrepo import GitRepo

from pytest_gates.api import GateError, Outcome, Status
from pytest_gates.context import RunContext
from pytest_gates.formats.markdown import outline
from pytest_gates.gates.document import DocumentGate

from conftest import Profile

DAY = 86400
DEFAULTS: dict[str, Any] = {"required_headings": [], "max_age_days": None, "min_words": 3}
HEADINGS = ["Rollback", "Steps", "Verification"]
PLAN = """\
# Rollback

How to return production to the previous release.

## Steps

1. Run `deploy --previous`:

   ```bash
   # not a heading: a comment in a shell snippet
   deploy --previous
   ```

## Verification

Check the health endpoint answers 200.
"""


def evaluate(root: Path, **settings: Any) -> Outcome:
    gate = DocumentGate({**DEFAULTS, "path": "docs/rollback.md", **settings})
    return gate.evaluate(RunContext("rollback", root))


def test_a_written_plan_with_its_headings_changed_recently_passes(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("docs/rollback.md", PLAN)
    commit = repo.commit("rollback plan", date=time.time() - 2 * DAY)
    repo.write("app.py", "print('later work')\n")
    repo.commit("unrelated later commit")
    outcome = evaluate(tmp_path, required_headings=HEADINGS, max_age_days=30)
    assert outcome.status is Status.PASSED, outcome.details
    assert outcome.summary == (
        "docs/rollback.md: 29 words, all 3 required headings, changed 2.0 days ago"
    )
    assert outcome.measured == {"words": 29, "headings": "3 of 3", "age": "2.0 days"}
    assert outcome.threshold == {
        "content": ">= 3 words",
        "headings": "all of: Rollback, Steps, Verification",
        "words per heading": ">= 3",
        "age": "<= 30 days",
    }
    assert f"from git: last commit touching it, {commit[:12]}" in outcome.details


def test_a_plan_last_changed_long_ago_fails_by_its_git_date(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("docs/rollback.md", PLAN)
    repo.commit("rollback plan", date=time.time() - 200 * DAY)
    # A fresh checkout: the mtime is now, the commit is what counts.
    (tmp_path / "docs" / "rollback.md").touch()
    outcome = evaluate(tmp_path, max_age_days=90)
    assert outcome.status is Status.FAILED
    assert outcome.summary == "docs/rollback.md: last changed 200.0 days ago > max_age_days 90"
    assert "from git: last commit touching it" in outcome.details


def test_outside_git_the_file_mtime_is_used_and_said(tmp_path: Path) -> None:
    doc = tmp_path / "docs" / "rollback.md"
    doc.parent.mkdir()
    doc.write_text(PLAN)
    old = time.time() - 10 * DAY
    os.utime(doc, (old, old))
    outcome = evaluate(tmp_path, max_age_days=7)
    assert outcome.status is Status.FAILED
    assert outcome.measured["age"] == "10.0 days"
    assert f"the file's modification time ({tmp_path} is not in a git repository)" in (
        outcome.details
    )
    assert evaluate(tmp_path, max_age_days=11).status is Status.PASSED


def test_an_uncommitted_file_in_a_repository_is_dated_by_mtime(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path)
    repo.write("README.md", "hello\n")
    repo.commit("init")
    repo.write("docs/rollback.md", PLAN)
    outcome = evaluate(tmp_path, max_age_days=1)
    assert outcome.status is Status.PASSED
    assert "modification time (it is not committed in git)" in outcome.details


def test_without_git_installed_the_mtime_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo(tmp_path)
    repo.write("docs/rollback.md", PLAN)
    repo.commit("plan")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    outcome = evaluate(tmp_path, max_age_days=1)
    assert outcome.status is Status.PASSED
    assert "modification time (git is not installed)" in outcome.details


def test_a_shallow_clone_cannot_date_a_file_changed_before_its_cut(tmp_path: Path) -> None:
    origin = GitRepo(tmp_path / "origin")
    origin.write("docs/rollback.md", PLAN)
    origin.commit("plan", date=time.time() - 300 * DAY)
    origin.write("app.py", "x = 1\n")
    origin.commit("recent", date=time.time() - DAY)
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{origin.path}", str(clone)], check=True
    )
    with pytest.raises(GateError, match=r"the git clone is shallow .* 'fetch-depth: 0'"):
        evaluate(clone, max_age_days=90)
    # With a full history the real date shows.
    outcome = evaluate(origin.path, max_age_days=90)
    assert outcome.status is Status.FAILED
    assert outcome.measured["age"] == "300.0 days"


def test_a_shallow_cut_older_than_the_limit_still_fails(tmp_path: Path) -> None:
    origin = GitRepo(tmp_path / "origin")
    origin.write("docs/rollback.md", PLAN)
    origin.commit("plan", date=time.time() - 300 * DAY)
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{origin.path}", str(clone)], check=True
    )
    outcome = evaluate(clone, max_age_days=90)
    assert outcome.status is Status.FAILED
    assert "the clone is shallow, the real change is older still" in outcome.details


def test_a_missing_document_fails(tmp_path: Path) -> None:
    outcome = evaluate(tmp_path)
    assert outcome.status is Status.FAILED
    assert outcome.summary == "docs/rollback.md does not exist"
    assert str(tmp_path / "docs" / "rollback.md") in outcome.details


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n\t\n",
        "# Rollback\n\n## Steps\n\n",
        "Rollback\n========\n\n<!-- write the steps here -->\n\n## Steps\n---\n",
        "---\ntitle: Rollback\n---\n# Rollback #\n<!--\nTODO\n-->\n",
    ],
    ids=["empty", "whitespace", "headings", "setext-comment-break", "front-matter-comment"],
)
def test_a_template_without_content_fails(tmp_path: Path, text: str) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "rollback.md").write_text(text)
    outcome = evaluate(tmp_path)
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "docs/rollback.md: it has no content (only headings, comments, placeholders or whitespace)"
    )


def test_missing_and_hollow_headings_fail_naming_them(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "rollback.md").write_text(
        "# ROLLBACK plan\n\nSome text.\n\n### steps\n\n#### Sub-step\n\n## Notes\n\n"
        "```\n# Verification\n```\n"
    )
    outcome = evaluate(
        tmp_path, required_headings=["Rollback plan", "Steps", "Verification", "Contacts"]
    )
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "docs/rollback.md: missing headings: Verification, Contacts;"
        " nothing written under heading: Steps"
    )
    assert outcome.measured["headings"] == "2 of 4"
    assert "headings: # ROLLBACK plan (line 1, 3 words); ### steps (line 5, empty);" in (
        outcome.details
    )


def test_headings_match_any_level_and_case(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "rollback.md").write_text(
        "Rollback\n===\n\nsome text here\n\nSTEPS\n---\n\n* one\n* two\n* three\n\n"
        "###### **Verification** ######\nit answers ok\n"
    )
    outcome = evaluate(tmp_path, required_headings=HEADINGS)
    assert outcome.status is Status.PASSED, outcome.summary


def write_doc(root: Path, text: str) -> None:
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "rollback.md").write_text(text)


def test_placeholders_are_not_content(tmp_path: Path) -> None:
    """Finding 9: this template passed (TODO and TBD counted as written content)."""
    write_doc(tmp_path, "## Steps\nTODO\n## Contacts\nTBD\n")
    outcome = evaluate(tmp_path, required_headings=["Steps", "Contacts"])
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "docs/rollback.md: it has no content (only headings, comments, placeholders or"
        " whitespace); nothing written under headings: Steps, Contacts"
    )
    assert "not counted as content: 2 template lines (TODO, TBD, TK, FIXME" in outcome.details


@pytest.mark.parametrize(
    "section",
    [
        "TODO: write the steps",
        "- TBD\n- ...\n- [ ]\n- [ ] FIXME",
        "…",
        "TK",
        "| Step | Command |\n|---|:---:|\n| | |\n| TBD | ... |",
        "> FIXME: ask ops",
    ],
    ids=["todo", "list-of-placeholders", "ellipsis", "tk", "empty-table", "quoted-fixme"],
)
def test_a_required_section_of_placeholders_is_empty(tmp_path: Path, section: str) -> None:
    write_doc(tmp_path, f"# Rollback\n\nReturn to the previous release.\n\n## Steps\n\n{section}\n")
    outcome = evaluate(tmp_path, required_headings=["Rollback", "Steps"])
    assert outcome.status is Status.FAILED, outcome.details
    assert outcome.summary == "docs/rollback.md: nothing written under heading: Steps"


def test_written_lists_tables_and_checklists_are_content(tmp_path: Path) -> None:
    write_doc(
        tmp_path,
        "## Steps\n\n- [ ] Stop the new service\n- [x] Restore the snapshot\n\n"
        "## Contacts\n\n| Name | Phone |\n|---|---|\n| Ann Ops | 555 0100 |\n",
    )
    outcome = evaluate(tmp_path, required_headings=["Steps", "Contacts"])
    assert outcome.status is Status.PASSED, outcome.summary
    assert "## Contacts (line 6, 4 words)" in outcome.details  # the header row is no content


def test_a_required_section_needs_min_words(tmp_path: Path) -> None:
    write_doc(tmp_path, "# Rollback\n\nReturn to the previous release.\n\n## Steps\n\nRevert it.\n")
    outcome = evaluate(tmp_path, required_headings=["Rollback", "Steps"])
    assert outcome.status is Status.FAILED
    assert outcome.summary == (
        "docs/rollback.md: fewer than min_words 3 words under heading: Steps (2)"
    )
    assert outcome.threshold["words per heading"] == ">= 3"
    outcome = evaluate(tmp_path, required_headings=["Rollback", "Steps"], min_words=2)
    assert outcome.status is Status.PASSED, outcome.summary


def test_a_document_needs_min_words_without_required_headings(tmp_path: Path) -> None:
    write_doc(tmp_path, "# Rollback\n\nTBD soon\n\nRevert.\n")
    outcome = evaluate(tmp_path)
    assert outcome.status is Status.FAILED
    assert outcome.summary == "docs/rollback.md: it has 1 word of content < min_words 3"


def test_outline_counts_placeholders_and_section_words() -> None:
    doc = outline("# A\n\nOne two.\n\n## B\n\n| x | y |\n| - | - |\n| 1 | |\n\nTODO\n")
    assert [(h.text, h.has_content, h.words) for h in doc.headings] == [
        ("A", True, 3),  # its own two words and the row of B below it
        ("B", True, 1),
    ]
    assert doc.placeholders == 3  # the table's header and separator rows, and TODO


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p.mkdir(parents=True), "is a directory, not a document"),
        (lambda p: p.write_bytes(b"# R\n\xff\xfe bad"), "is not UTF-8 text"),
    ],
    ids=["directory", "not-utf8"],
)
def test_an_unreadable_document_is_an_error(tmp_path: Path, setup: Any, message: str) -> None:
    target = tmp_path / "docs" / "rollback.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    setup(target)
    with pytest.raises(GateError, match=message):
        evaluate(tmp_path)


def test_outline_reads_setext_atx_fences_and_front_matter() -> None:
    doc = outline(
        "---\ntitle: x\n---\nTitle\n=====\n\nIntro words here.\n\n## Closed ##\n"
        "~~~\n## in code\n~~~\n\n***\n\nSub\n---\n"
    )
    assert [(h.level, h.text, h.line, h.has_content) for h in doc.headings] == [
        (1, "Title", 4, True),
        (2, "Closed", 9, True),
        (2, "Sub", 16, False),
    ]
    assert doc.words == 3 + 2  # "Intro words here." and "## in code" in the fence


def test_settings_are_checked_when_the_profile_loads() -> None:
    assert DocumentGate.check_settings({"path": " ", "required_headings": ["ok", " ** "]}) == [
        "'path' is empty",
        "'required_headings' has an empty heading",
    ]


def test_end_to_end_in_a_git_checkout(pytester: pytest.Pytester, profile: Profile) -> None:
    repo = GitRepo(pytester.path)
    repo.write("docs/rollback.md", PLAN)
    repo.commit("plan", date=time.time() - 400 * DAY)
    profile(
        """
        gates:
          rollback-plan:
            kind: document
            path: ${GATE_ROLLBACK_DOC:-docs/rollback.md}
            required_headings: [Rollback, Steps, Verification]
            max_age_days: 365
            min_words: 3
        """,
        name="production",
    )
    result = pytester.runpytest("--gate=production")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "FAILED: docs/rollback.md: last changed 400.0 days ago > max_age_days 365",
            "measured:  words 29, headings 3 of 3, age 400.0 days",
            "last changed: * (400.0 days ago), from git: last commit touching it, *",
            "re-run this gate: pytest --gate=production --gate-only rollback-plan",
        ]
    )
    repo.write("docs/rollback.md", PLAN + "\nReviewed this quarter.\n")
    repo.commit("review the plan")
    result = pytester.runpytest("--gate=production")
    assert result.ret == pytest.ExitCode.OK
    verdict = (pytester.path / "gate-verdict.xml").read_text()
    assert '<property name="gate.rollback-plan.status" value="passed" />' in verdict
    assert (
        '<property name="gate.rollback-plan.measured"'
        ' value="words 32, headings 3 of 3, age 0.0 days" />' in verdict
    )
