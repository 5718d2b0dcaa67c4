"""The coverage reader on real reports (tests/data/coverage, see SOURCES.md there), on the
output of a real coverage.py run, and on hostile or edge-case inputs written into tmp_path."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_gates.formats.coverage import SUPPORTED, CoverageTotals, read_coverage
from pytest_gates.formats.errors import FormatError

COVERAGE = Path(__file__).parent / "data" / "coverage"

Expected = tuple[str, int | None, int | None, float | None, int | None, int | None, float | None]

# (format, lines valid, lines covered, line %, branches valid, branches covered, branch %),
# read off each file by hand: the root totals where the rule uses them (checked against the
# <line> elements where they agree), the counted <line>s otherwise.
EXPECTED: dict[str, Expected] = {
    # No lines-valid at the root: 30 class lines (11 + 12 + 0 + 7), 3 with hits="0"; branches
    # (2/2)+(1/2)+(2/2) + (1/2)+(2/2)+(1/2) = 9/12.  Equal to the root line-rate 0.9 and
    # branch-rate 0.75.
    "cobertura-1.9-maven-branch.xml": ("cobertura", 30, 27, 90.0, 12, 9, 75.0),
    # lines-valid="0", no branch attributes at the root.
    "cobertura-empty-lines.xml": ("cobertura", 0, 0, None, None, None, None),
    # The root says lines-valid="0" although two <line number="0"> follow (one hit): the root wins.
    "cobertura-line-number-zero.xml": ("cobertura", 0, 0, None, None, None, None),
    # Root line-rate="0.9" only; 10 lines, line 13 missed.  No branch="true" line.
    "coveragepy-4.0-cobertura-empty-source.xml": ("cobertura", 10, 9, 90.0, 0, 0, None),
    # Root line-rate="0.5125" is the mean of the 8 class rates (a hand-made fixture); the class
    # lines give 41 of 61 (10+8+8+7+3+5+0+0 of 10*6+0+1).  Method copies are not counted.
    "coveragepy-4.0-cobertura-methods-missing-lines.xml": (
        "cobertura",
        61,
        41,
        67.2131,
        0,
        0,
        None,
    ),
    # totals.percent_covered is 81.8 (statements + branches); statements alone: 21/27.
    "coveragepy-7.17-branch.json": ("coverage.py-json", 27, 21, 77.78, 6, 6, 100.0),
    "coveragepy-7.17-branch.lcov": ("lcov", 27, 21, 77.78, 6, 6, 100.0),
    # Root line-rate="0.7778" (statements only), branch-rate="1".
    "coveragepy-7.17-cobertura-branch.xml": ("cobertura", 27, 21, 77.78, 6, 6, 100.0),
    # Root branch-rate="0.4" but branches-covered/valid 4/9 (= the condition-coverage sum).
    "coveragepy-7.6-cobertura-missing-branches.xml": ("cobertura", 6, 5, 83.33, 9, 4, 44.44),
    # Root 35/35 branches; the lines' condition-coverage only adds up to 16/16 (istanbul).
    "istanbul-cobertura-no-package-element.xml": ("cobertura", 51, 51, 100.0, 35, 35, 100.0),
    # LF/LH 1/1 + 2/2 + 14/13; BRF/BRH 0/0 + 0/0 + 8/7.  One DA has hits 2**64-1 (counted hit).
    "istanbul-lcov-with-virtual-source.lcov": ("lcov", 17, 16, 94.12, 8, 7, 87.5),
    "jacoco-oneline-report.xml": ("jacoco", 6, 5, 83.33, 4, 2, 50.0),
    # Two packages of 1 missed/5 covered lines each, but the report-level counter says 1/5.
    "jacoco-report-multiple-packages.xml": ("jacoco", 6, 5, 83.33, 4, 2, 50.0),
    "jacoco-report.xml": ("jacoco", 6, 5, 83.33, 4, 2, 50.0),
    # Root totals 176/246, 25/41 (line-rate="0.72" is rounded to 2 decimals); the XML breaks
    # at line 781 (mismatched tag), after the root: the root-totals rule never gets there.
    "scoverage-cobertura-methods.xml": ("cobertura", 246, 176, 71.54, 41, 25, 60.98),
    "scoverage-cobertura-oneline.xml": ("cobertura", 246, 176, 71.54, 41, 25, 60.98),
}


def check(totals: CoverageTotals, expected: Expected) -> None:
    fmt, lines_valid, lines_covered, line_pct, branches_valid, branches_covered, branch_pct = (
        expected
    )
    assert totals.format == fmt
    assert (totals.lines_valid, totals.lines_covered) == (lines_valid, lines_covered)
    assert (totals.branches_valid, totals.branches_covered) == (branches_valid, branches_covered)
    for measured, wanted in ((totals.line_percent, line_pct), (totals.branch_percent, branch_pct)):
        if wanted is None:
            assert measured is None
        else:
            assert measured == pytest.approx(wanted, abs=0.01)
    assert totals.source
    assert "\n" not in totals.source


def test_every_data_file_is_in_the_table() -> None:
    files = {p.name for p in COVERAGE.iterdir() if p.name != "SOURCES.md"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus(name: str) -> None:
    check(read_coverage(COVERAGE / name), EXPECTED[name])


def test_source_says_which_rule() -> None:
    root = read_coverage(COVERAGE / "coveragepy-7.17-cobertura-branch.xml").source
    assert root.startswith("root attributes lines-valid/lines-covered and branches-valid")
    counted = read_coverage(COVERAGE / "cobertura-1.9-maven-branch.xml").source
    assert counted == "counted from 30 <line> elements in 4 classes (the root has line-rate only)"
    odd = read_coverage(COVERAGE / "coveragepy-4.0-cobertura-methods-missing-lines.xml").source
    assert odd.endswith("; note: the root line-rate=0.5125 disagrees")
    jacoco = read_coverage(COVERAGE / "jacoco-report-multiple-packages.xml").source
    assert jacoco.endswith("the <package> LINE counters add up to 10 of 12")
    assert (
        "percent_covered mixes in branches"
        in read_coverage(COVERAGE / "coveragepy-7.17-branch.json").source
    )


def strip_root_totals(text: str, *extra: str) -> str:
    names = ("lines-valid", "lines-covered", "branches-valid", "branches-covered", *extra)
    head, sep, rest = text.partition("<coverage")
    root, close, body = rest.partition(">")
    for name in names:
        root = re.sub(rf'(?<![\w-]){name}="[^"]*"', "", root)
    return head + sep + root + close + body


@pytest.mark.parametrize(
    ("name", "counted"),
    [
        ("coveragepy-7.17-cobertura-branch.xml", (27, 21, 6, 6)),
        ("coveragepy-7.6-cobertura-missing-branches.xml", (6, 5, 9, 4)),
        ("cobertura-empty-lines.xml", (0, 0, 0, 0)),
        # istanbul's root counts 35 branches, its lines' condition-coverage 16.
        ("istanbul-cobertura-no-package-element.xml", (51, 51, 16, 16)),
        # the two <line number="0"> the root totals leave out.
        ("cobertura-line-number-zero.xml", (2, 1, 0, 0)),
    ],
)
def test_counting_matches_root_totals(tmp_path: Path, name: str, counted: tuple[int, ...]) -> None:
    """Without root totals every class line is counted; for coverage.py output the result is
    the producer's own totals."""
    stripped = tmp_path / name
    stripped.write_text(strip_root_totals((COVERAGE / name).read_text()))
    totals = read_coverage(stripped)
    assert totals.source.startswith("counted from")
    got = (totals.lines_valid, totals.lines_covered, totals.branches_valid, totals.branches_covered)
    assert got == counted


def test_scoverage_without_root_totals(tmp_path: Path) -> None:
    """The consequence of the root-totals rule on the malformed scoverage report: with the
    totals it reads; with line-rate alone it falls back to the rate; with nothing it fails."""
    text = (COVERAGE / "scoverage-cobertura-methods.xml").read_text()
    rate_only = tmp_path / "rate-only.xml"
    rate_only.write_text(strip_root_totals(text))
    totals = read_coverage(rate_only)
    assert totals.line_percent == pytest.approx(72.0)
    assert totals.lines_valid is None
    assert totals.branch_percent is None
    assert "line-rate=0.72" in totals.source
    assert "mismatched tag" in totals.source
    bare = tmp_path / "bare.xml"
    bare.write_text(strip_root_totals(text, "line-rate", "branch-rate"))
    with pytest.raises(FormatError, match=r"malformed XML at line 781, column \d+: mismatched tag"):
        read_coverage(bare)


def test_method_lines_are_not_counted_twice(tmp_path: Path) -> None:
    report = tmp_path / "methods.xml"
    report.write_text(
        '<coverage><packages><package name="p"><classes><class name="c" filename="c.py">'
        '<methods><method name="m"><lines><line number="1" hits="0"/><line number="2" hits="3"/>'
        '</lines></method><method name="empty"/></methods><lines>'
        '<line number="1" hits="0"/><line number="2" hits="3"/><line number="3" hits="1"'
        ' branch="true" condition-coverage="50% (1/2)"><conditions><condition number="0"'
        ' type="jump" coverage="50%"/></conditions></line>'
        "</lines></class></classes></package></packages></coverage>"
    )
    totals = read_coverage(report)
    assert (totals.lines_valid, totals.lines_covered) == (3, 2)
    assert (totals.branches_valid, totals.branches_covered) == (2, 1)
    assert totals.source == (
        "counted from 3 <line> elements in 1 class (the root carries no totals)"
    )


# ---------------------------------------------------------------- real coverage.py

PROJECT = """\
def classify(x):
    if x > 0:
        return "positive"
    else:
        return "not positive"


def never_called():
    total = 0
    for i in range(3):
        total += i
    return total
"""


def coverage(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE")}
    done = subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("branch", [True, False], ids=["branch", "statements"])
def test_real_coveragepy(tmp_path: Path, branch: bool) -> None:
    (tmp_path / "demo.py").write_text(PROJECT)
    (tmp_path / "main.py").write_text("import demo\n\ndemo.classify(1)\n")
    coverage(tmp_path, "run", *(["--branch"] if branch else []), "main.py")
    coverage(tmp_path, "xml", "-q", "-o", "coverage.xml")
    coverage(tmp_path, "json", "-q", "-o", "coverage.json")
    coverage(tmp_path, "lcov", "-q", "-o", "coverage.lcov")
    report = coverage(tmp_path, "report")

    results = {
        name: read_coverage(tmp_path / name)
        for name in ("coverage.xml", "coverage.json", "coverage.lcov")
    }
    assert [t.format for t in results.values()] == ["cobertura", "coverage.py-json", "lcov"]
    root = re.search(
        r'<coverage [^>]*line-rate="([0-9.]+)"', (tmp_path / "coverage.xml").read_text()
    )
    assert root is not None
    for totals in results.values():
        assert totals.line_percent == pytest.approx(float(root[1]) * 100, abs=0.01)
    percents = {t.line_percent for t in results.values()}
    assert len(percents) == 1

    # `coverage report`'s TOTAL row: Stmts Miss [Branch BrPart] Cover.
    total = report.strip().splitlines()[-1].split()
    assert total[0] == "TOTAL"
    statements, missed = int(total[1]), int(total[2])
    for totals in results.values():
        assert (totals.lines_valid, totals.lines_covered) == (statements, statements - missed)

    doc = json.loads((tmp_path / "coverage.json").read_text())
    assert results["coverage.json"].line_percent == pytest.approx(
        doc["totals"]["percent_statements_covered"]
    )
    if branch:
        # 4 branches (the if, the for), 1 taken; "BrPart" counts partial lines, not branches.
        for totals in results.values():
            assert totals.branches_valid == int(total[3]) == 4
            assert totals.branches_covered == 1
            assert totals.branch_percent == pytest.approx(25.0)
        # The headline "Cover" mixes branches in, (6 + 1) / (11 + 4); the line figure is 6 / 11.
        assert total[-1] == "47%"
        assert doc["totals"]["percent_covered"] == pytest.approx(100 * 7 / 15)
        assert results["coverage.json"].line_percent == pytest.approx(100 * 6 / 11)
    else:
        for totals in results.values():
            assert totals.branch_percent is None


# ---------------------------------------------------------------- hostile and broken input

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE coverage [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<coverage line-rate="1"><sources><source>&lol4;</source></sources></coverage>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE coverage [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<coverage lines-valid="1" lines-covered="1"><sources><source>&xxe;</source></sources></coverage>
"""
XXE_PARAMETER = """<?xml version="1.0"?>
<!DOCTYPE coverage [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<coverage lines-valid="1" lines-covered="1"/>
"""
SARIF = {"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []}


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (BILLION_LAUGHS, "refused: the document declares entity 'lol'"),
        (XXE, "refused: the document declares entity 'xxe'"),
        (XXE_PARAMETER, "refused: the document declares entity 'remote'"),
        ("", "file is empty"),
        (" \n\t\n", "file is empty"),
        (b"\xef\xbb\xbf", "file is empty"),
        (
            "hello, world\nthis is not coverage\n",
            "not a coverage report: starts with 'hello, world",
        ),
        (json.dumps(SARIF), r"JSON \(keys \$schema, runs, version\) is not a coverage.py report"),
        ("[1, 2, 3]", r"JSON \(list\) is not a coverage.py report"),
        ("[" * 100_000, "refused: JSON nested too deeply|malformed JSON"),
        ('<testsuites tests="1"/>', "XML root <testsuites> is not a coverage report"),
        ('<report name="x"><item/></report>', "XML root <report> without JaCoCo content"),
        ('<coverage clover="4.4.1" generated="1"/>', r"Clover XML \(<coverage clover=...>\)"),
        (b"SQLite format 3\x00" + bytes(100), r"an SQLite database: coverage.py's .coverage data"),
        (b"\x1f\x8b\x08\x00" + bytes(20), "gzip-compressed"),
    ],
)
def test_refused(tmp_path: Path, content: str | bytes, reason: str) -> None:
    path = write(tmp_path, "report", content)
    with pytest.raises(FormatError, match=reason) as caught:
        read_coverage(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message


@pytest.mark.parametrize(
    "content",
    ["hello, world\n", json.dumps(SARIF), '<testsuites tests="1"/>'],
    ids=["text", "sarif", "junit"],
)
def test_wrong_format_lists_the_supported_ones(tmp_path: Path, content: str) -> None:
    with pytest.raises(FormatError) as caught:
        read_coverage(write(tmp_path, "report", content))
    assert str(caught.value).endswith(f"supported: {SUPPORTED}")
    for name in ("Cobertura", "JaCoCo", "coverage.py JSON", "lcov"):
        assert name in SUPPORTED


def test_random_bytes(tmp_path: Path) -> None:
    rng = random.Random(1234)
    for n in range(20):
        junk = rng.randbytes(rng.randint(1, 4096))
        path = write(tmp_path, f"junk{n}", junk)
        with pytest.raises(FormatError):
            read_coverage(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="file not found"):
        read_coverage(tmp_path / "nope.xml")
    with pytest.raises(FormatError, match="is a directory"):
        read_coverage(tmp_path)


def test_truncated_json(tmp_path: Path) -> None:
    data = (COVERAGE / "coveragepy-7.17-branch.json").read_bytes()
    path = write(tmp_path, "coverage.json", data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"malformed JSON at line \d+, column \d+"):
        read_coverage(path)


def test_truncated_xml_without_root_totals(tmp_path: Path) -> None:
    text = strip_root_totals((COVERAGE / "coveragepy-7.17-cobertura-branch.xml").read_text())
    text = strip_root_totals(text, "line-rate", "branch-rate")
    path = write(tmp_path, "coverage.xml", text[: len(text) // 2])
    with pytest.raises(FormatError, match=r"malformed XML at line \d+, column \d+: "):
        read_coverage(path)


def test_truncated_xml_with_line_rate_only_uses_the_rate(tmp_path: Path) -> None:
    text = (COVERAGE / "coveragepy-4.0-cobertura-empty-source.xml").read_text()
    totals = read_coverage(write(tmp_path, "coverage.xml", text[: len(text) // 2]))
    assert (totals.lines_valid, totals.lines_covered, totals.line_percent) == (None, None, 90.0)
    assert totals.source.startswith("root attribute line-rate=0.9 of <coverage>")


def test_truncated_xml_with_root_totals_reads_the_totals(tmp_path: Path) -> None:
    text = (COVERAGE / "coveragepy-7.17-cobertura-branch.xml").read_text()
    totals = read_coverage(write(tmp_path, "coverage.xml", text[: len(text) // 2]))
    check(totals, EXPECTED["coveragepy-7.17-cobertura-branch.xml"])


def test_truncated_jacoco(tmp_path: Path) -> None:
    text = (COVERAGE / "jacoco-report.xml").read_text()
    with pytest.raises(FormatError, match="malformed XML"):
        read_coverage(write(tmp_path, "jacoco.xml", text[:-200]))


def test_truncated_lcov(tmp_path: Path) -> None:
    text = (COVERAGE / "istanbul-lcov-with-virtual-source.lcov").read_text()
    cut = text[: text.rindex("end_of_record")]
    with pytest.raises(FormatError, match="truncated: the record that starts at line 22"):
        read_coverage(write(tmp_path, "lcov.info", cut))


@pytest.mark.parametrize(
    "name",
    [
        "coveragepy-7.17-cobertura-branch.xml",
        "cobertura-1.9-maven-branch.xml",
        "jacoco-report.xml",
        "coveragepy-7.17-branch.json",
        "coveragepy-7.17-branch.lcov",
    ],
)
def test_utf8_bom(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, b"\xef\xbb\xbf" + (COVERAGE / name).read_bytes())
    assert read_coverage(path) == read_coverage(COVERAGE / name)


def test_leading_whitespace_before_lcov_and_json(tmp_path: Path) -> None:
    for name in ("coveragepy-7.17-branch.json", "coveragepy-7.17-branch.lcov"):
        path = write(tmp_path, name, b"\n  \n" + (COVERAGE / name).read_bytes())
        assert read_coverage(path) == read_coverage(COVERAGE / name)


def test_external_dtd_is_not_loaded() -> None:
    """jacoco-report.xml declares report.dtd, which does not exist here: never fetched."""
    assert b'"report.dtd"' in (COVERAGE / "jacoco-report.xml").read_bytes()
    assert read_coverage(COVERAGE / "jacoco-report.xml").lines_valid == 6


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('<coverage lines-valid="ten" lines-covered="1"/>', "lines-valid='ten' is not a whole"),
        ('<coverage lines-valid="-1" lines-covered="0"/>', "lines-valid='-1' is not a whole"),
        ('<coverage lines-valid="2" lines-covered="3"/>', "lines-covered=3 > lines-valid=2"),
        (
            '<coverage lines-valid="2" lines-covered="1" branches-valid="1" branches-covered="2"/>',
            "branches-covered=2 > branches-valid=1",
        ),
        ('<coverage>\n<lines><line number="1"/></lines></coverage>', "line 2: <line> without hits"),
        (
            '<coverage>\n<lines>\n<line number="1" hits="many"/></lines></coverage>',
            "line 3: <line> has hits='many', not a count",
        ),
        (
            '<coverage><lines>\n<line number="1" hits="1" branch="true" condition-coverage="50%"/>'
            "</lines></coverage>",
            r"line 2: condition-coverage='50%' is not 'P% \(hit/all\)'",
        ),
        (
            '<coverage><lines><line number="1" hits="1" branch="true"'
            ' condition-coverage="300% (3/1)"/></lines></coverage>',
            "condition-coverage='300% ",
        ),
        (
            '<report name="r">\n<counter type="LINE" missed="x" covered="1"/></report>',
            "line 2: <counter type='LINE' missed='x' is not a whole number",
        ),
    ],
)
def test_bad_xml_values(tmp_path: Path, content: str, reason: str) -> None:
    with pytest.raises(FormatError, match=re.escape(reason) if "\\" not in reason else reason):
        read_coverage(write(tmp_path, "report.xml", content))


def test_cobertura_odd_hits(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "odd.xml",
        '<coverage><lines><line number="1" hits="0.0"/><line number="2" hits="2.5"/>'
        '<line number="3" hits="18446744073709551615"/><line number="4" hits="00"/>'
        '<line number="5" hits="1" branch="true"/><line number="6" hits="0" branch="true"/>'
        f'<line number="7" hits="0" branch="true" condition-coverage="{"long " * 20}(3/4)"/>'
        "</lines></coverage>",
    )
    totals = read_coverage(path)
    assert (totals.lines_valid, totals.lines_covered) == (7, 3)
    # branch="true" without condition-coverage (scoverage): one branch each, taken if hit.
    assert (totals.branches_valid, totals.branches_covered) == (2 + 4, 1 + 3)


def test_many_distinct_conditions(tmp_path: Path) -> None:
    lines = "".join(
        f'<line number="{n}" hits="1" branch="true" condition-coverage="x ({n % 7}/{n})"/>'
        for n in range(1, 3001)
    )
    path = write(tmp_path, "c.xml", f"<coverage><lines>{lines}</lines></coverage>")
    totals = read_coverage(path)
    assert totals.branches_valid == sum(range(1, 3001))
    assert totals.branches_covered == sum(n % 7 for n in range(1, 3001))


def test_jacoco_without_counters_has_no_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "j.xml", '<report name="empty"><sessioninfo id="s"/></report>')
    totals = read_coverage(path)
    assert (totals.lines_valid, totals.line_percent, totals.branch_percent) == (0, None, None)
    assert "no LINE counter" in totals.source


def test_jacoco_groups(tmp_path: Path) -> None:
    """Counters of <group> and <package> elements are not the report's."""
    path = write(
        tmp_path,
        "j.xml",
        '<report name="r"><group name="g"><package name="p">'
        '<counter type="LINE" missed="9" covered="9"/></package>'
        '<counter type="LINE" missed="8" covered="8"/></group>'
        '<counter type="LINE" missed="1" covered="3"/></report>',
    )
    totals = read_coverage(path)
    assert (totals.lines_valid, totals.lines_covered, totals.line_percent) == (4, 3, 75.0)
    assert (totals.branches_valid, totals.branch_percent) == (0, None)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"meta": {}, "totals": {"covered_lines": 1}}', "totals.num_statements=None is not"),
        (
            '{"meta": {}, "totals": {"covered_lines": true, "num_statements": 1}}',
            "totals.covered_lines=True is not a whole number",
        ),
        (
            '{"meta": {}, "totals": {"covered_lines": 3, "num_statements": 2}}',
            "totals.covered_lines=3 > totals.num_statements=2",
        ),
        (b'{"meta": {}, "totals": "\xff"}', "not UTF-8 text at byte 24"),
    ],
)
def test_bad_json(tmp_path: Path, content: str | bytes, reason: str) -> None:
    with pytest.raises(FormatError, match=re.escape(reason)):
        read_coverage(write(tmp_path, "c.json", content))


def test_json_without_branches(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.json",
        '{"meta": {"format": 3}, "totals": {"covered_lines": 0, "num_statements": 0}}',
    )
    totals = read_coverage(path)
    assert (totals.lines_valid, totals.line_percent) == (0, None)
    assert (totals.branches_valid, totals.branch_percent) == (None, None)


def test_lcov_without_lf_lh_counts_da(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "lcov.info",
        "TN:\nSF:a.c\nDA:1,1\nDA:2,0\nDA:3,5,abcdef\nBRDA:1,0,0,1\nBRDA:1,0,1,-\nend_of_record\n"
        "SF:b.c\nDA:1,0\nLF:1\nLH:0\nend_of_record\n"
        "SF:a.c\nLF:2\nLH:2\nFUTURE:whatever\nend_of_record\n",
    )
    totals = read_coverage(path)
    assert (totals.lines_valid, totals.lines_covered) == (6, 4)
    assert (totals.branches_valid, totals.branches_covered) == (2, 1)
    assert totals.source == (
        "LH/LF summed over 3 lcov records (branches: BRH/BRF); DA lines counted where LF/LH are"
        " missing (1 record); note: a repeated SF: path in 1 record, summed not merged"
    )


def test_lcov_without_branches(tmp_path: Path) -> None:
    totals = read_coverage(write(tmp_path, "l.info", "SF:a\nDA:1,1\nLF:1\nLH:1\nend_of_record\n"))
    assert (totals.line_percent, totals.branches_valid, totals.branch_percent) == (
        100.0,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("SF:a\nDA:1\nend_of_record\n", "line 2: malformed DA: record"),
        ("SF:a\nLF:x\nend_of_record\n", "line 2: malformed LF: record"),
        ("SF:a\nLF:1\nLH:2\nend_of_record\n", "line 4: more hit than found"),
        ("TN:\nDA:1,1\n", "line 2: DA: outside a record"),
        ("SF:a\nSF:b\n", "line 2: SF: before the end_of_record of the record at line 1"),
        ("TN:\nend_of_record\n", "line 2: end_of_record without an SF: record"),
        ("SF:a\nthis is not lcov\nend_of_record\n", "line 2: not an lcov record: 'this is not"),
    ],
)
def test_bad_lcov(tmp_path: Path, content: str, reason: str) -> None:
    with pytest.raises(FormatError, match=re.escape(reason)):
        read_coverage(write(tmp_path, "lcov.info", content))
