"""The JUnit XML reader on real reports (tests/data/junit, see SOURCES.md there) and on
hostile or edge-case inputs written into tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite

from pytest_gates.formats.errors import FormatError
from pytest_gates.formats.junit import CaseResult, JUnitSummary, read_junit

JUNIT = Path(__file__).parent / "data" / "junit"

# (tests, passed, failures, errors, skipped, flaky), counted by hand from the <testcase>
# elements of each file.  Where the file's own count attributes disagree, the comment says so:
# those attributes are never read.  Cross-checked against junitparser 5.0.3 (see
# test_agrees_with_junitparser for the two files where it differs by design).
EXPECTED: dict[str, tuple[int, int, int, int, int, int]] = {
    # skipped="2" in the header, but three testcases carry <skipped/>.
    "android-instrumentation-skipped.xml": (11, 8, 0, 0, 3, 0),
    # tests="2" in the header, one testcase.
    "ant-junit-error-details.xml": (1, 0, 0, 1, 0, 0),
    # No testcase; an <error> directly in the suite (class failed to load) counts as one
    # errored test named after the suite.  junitparser sees 0 tests.
    "ant-junit-suite-level-error-text-in-properties.xml": (1, 0, 0, 1, 0, 0),
    "ant-junitreport-TESTS-TestSuites.xml": (3, 3, 0, 0, 0, 0),
    "bazel-suite-logs-system-out.xml": (1, 0, 0, 1, 0, 0),
    # skipped="1" and no errors attribute, but the one testcase has an <error>.
    "cucumber-jvm-error-skipped-count.xml": (1, 0, 0, 1, 0, 0),
    "eslint-junit-formatter.xml": (1, 1, 0, 0, 0, 0),
    "gitleaks-junit-empty-time.xml": (2, 0, 2, 0, 0, 0),
    "gitleaks-junit-no-findings.xml": (0, 0, 0, 0, 0, 0),
    "go-junit-report-bench.xml": (3, 3, 0, 0, 0, 0),
    "go-junit-report-build-failed.xml": (5, 2, 0, 3, 0, 0),
    "go-junit-report-panic.xml": (1, 0, 0, 1, 0, 0),
    "go-junit-report-pass-fail-skip.xml": (5, 2, 1, 0, 2, 0),
    "go-junit-report-subtests.xml": (11, 6, 4, 0, 1, 0),
    # tests="6" in the suite header, one testcase.
    "googletest-junit-with-message.xml": (1, 0, 1, 0, 0, 0),
    "jboss-custom-runner-cr-entities.xml": (8, 5, 0, 3, 0, 0),
    # tests="1" in the header; the same classname+name twice, both passed: two tests.
    "jenkins-negative-time.xml": (2, 2, 0, 0, 0, 0),
    # tests="186" errors="0" at the root; 2 testcases, plus the suite-level <error> of
    # test.3rdlevel counted as one errored test.  junitparser: 2 passed, no error.
    "jenkins-nested-testsuites-error-in-suite.xml": (3, 2, 0, 1, 0, 0),
    # Same name, different classnames: two tests, one failed.
    "jenkins-no-xml-decl-duplicate-names.xml": (2, 1, 1, 0, 0, 0),
    "jenkins-testcase-properties-text-values.xml": (2, 1, 1, 0, 0, 0),
    "jenkins-time-with-thousands-separator.xml": (8, 8, 0, 0, 0, 0),
    # tests="8" at the root, 12 testcases.
    "jenkins-various-timestamps.xml": (12, 12, 0, 0, 0, 0),
    "jest-junit-empty-classname.xml": (1, 1, 0, 0, 0, 0),
    "jest-junit-empty-testsuite.xml": (0, 0, 0, 0, 0, 0),
    "jest-junit-empty-testsuites.xml": (0, 0, 0, 0, 0, 0),
    "jest-junit-main.xml": (6, 1, 4, 0, 1, 0),
    # tests="0" errors="1" on each suite, one testcase with <error> in each.
    "jest-junit-suite-failed-to-run.xml": (2, 0, 0, 2, 0, 0),
    "mocha-junit-reporter-no-xml-decl.xml": (109, 109, 0, 0, 0, 0),
    # errors="1" in the header, but the testcase carries a <failure>, not an <error>.
    "nette-tester-unnamed-testsuite.xml": (65, 61, 1, 0, 3, 0),
    "phpunit-nested-testsuites.xml": (12, 10, 2, 0, 0, 0),
    "phpunit-style-testsuite-in-testsuite.xml": (5, 5, 0, 0, 0, 0),
    "phpunit-style-testsuite-root-nested.xml": (5, 5, 0, 0, 0, 0),
    # xfail is <skipped type="pytest.xfail">: 2 skipped (skip + xfail); xpass passed.
    "pytest-9.2-xunit1-logging-all.xml": (14, 10, 1, 1, 2, 0),
    "pytest-9.2-xunit2-fail-error-skip-xfail.xml": (14, 10, 1, 1, 2, 0),
    "pytest-astral-unicode.xml": (7, 1, 2, 2, 2, 0),
    # tests="6" failures="1" skipped="2" but no testcase at all.
    "pytest-no-cases-but-tests.xml": (0, 0, 0, 0, 0, 0),
    "pytest-xunit1-file-line-failure.xml": (5, 3, 1, 0, 1, 0),
    # tests="15" in the header, 10 testcases.
    "pytest-xunit2-properties-skip-xfail.xml": (10, 6, 2, 0, 2, 0),
    "ros-launch-testing-failure-no-body.xml": (3, 2, 1, 0, 0, 0),
    "ruff-0.17-junit-output.xml": (6, 0, 6, 0, 0, 0),
    "scalatest-empty-system-out-err.xml": (1, 1, 0, 0, 0, 0),
    "scalatest-surefire-style-properties.xml": (5, 5, 0, 0, 0, 0),
    # The one testcase has name="": counted, and never merged with another nameless one.
    "surefire-3.0-junit5-empty-testcasename.xml": (1, 0, 1, 0, 0, 0),
    # tests="3" in the header (Surefire counts the reruns); one testcase with two
    # <flakyFailure> and no <failure>: passed on a rerun.  junitparser: passed, no flaky.
    "surefire-3.0.2-flakyFailure.xml": (1, 1, 0, 0, 0, 1),
    # tests="4"; one testcase: <failure> + three <rerunFailure>: one failed test.
    "surefire-3.0.2-rerunFailure.xml": (1, 0, 1, 0, 0, 0),
    # test_always_skip has no <skipped> child: swift reports it as passed, so do we.
    "swift-xunit.xml": (3, 2, 1, 0, 0, 0),
    "synthetic-minimal-attributes.xml": (4, 1, 1, 1, 1, 0),
    # skipped+failure+error on one testcase: error; skipped+failure: failure.
    "synthetic-multiresult-testcase.xml": (4, 1, 1, 1, 1, 0),
    # Four nameless testcases (no name, no classname): four tests, none merged.
    "synthetic-no-attributes.xml": (4, 1, 1, 1, 1, 0),
    "synthetic-xml-entities.xml": (4, 0, 1, 1, 2, 0),
    "testng-empty-testsuite.xml": (0, 0, 0, 0, 0, 0),
    # The same test twice: skipped, then failed (a TestNG retry).  Not a pass after a
    # failure, so two tests.
    "testng-junitreportreporter-pulsar.xml": (2, 0, 1, 0, 1, 0),
    # disabled="5": those testcases have status="disabled" but no <skipped> child, so they
    # count as passed (the element decides, as in junitparser).
    "tst-cpp-disabled-status.xml": (31, 11, 19, 1, 0, 0),
    "unittest-xmlrunner-error-skip.xml": (8, 4, 1, 1, 2, 0),
    # UTF-8 BOM; tests="173" at the root, 2 testcases.
    "xunit-net-junit-utf8-bom.xml": (2, 2, 0, 0, 0, 0),
}

# The files where junitparser's counts differ from ours, and why (see EXPECTED).
JUNITPARSER_DIFFERS = {
    "ant-junit-suite-level-error-text-in-properties.xml": "ignores a suite-level <error>",
    "jenkins-nested-testsuites-error-in-suite.xml": "ignores a suite-level <error>",
}

INVALID: dict[str, str] = {
    "invalid-non-junit-root.xml": (
        "not a JUnit XML report: root element is <suites>, expected <testsuites> or <testsuite>"
    ),
    "invalid-pytest-truncated.xml": "malformed XML at line 11, column 21: no element found",
    "invalid-xxe-attack.xml": "refused: the document declares entity 'sp'",
}


def counts(summary: JUnitSummary) -> tuple[int, int, int, int, int, int]:
    s = summary
    return (s.tests, s.passed, s.failures, s.errors, s.skipped, s.flaky)


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def suite(*cases: str, name: str = "s") -> str:
    return f'<testsuites><testsuite name="{name}">{"".join(cases)}</testsuite></testsuites>'


def test_every_corpus_file_is_expected_or_invalid() -> None:
    on_disk = {p.name for p in JUNIT.glob("*.xml")}
    assert on_disk == set(EXPECTED) | set(INVALID)
    assert not set(EXPECTED) & set(INVALID)
    assert {n for n in on_disk if n.startswith("invalid-")} == set(INVALID)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts(name: str) -> None:
    summary = read_junit([JUNIT / name])
    assert counts(summary) == EXPECTED[name]
    s = summary
    assert s.tests == s.passed + s.failures + s.errors + s.skipped
    assert s.files == (str(JUNIT / name),)
    assert len(s.failing) == s.failures + s.errors  # every corpus file has fewer than 20
    assert len(s.flaky_cases) == s.flaky


def _junitparser_counts(path: Path) -> tuple[int, int, int, int, int]:
    xml = JUnitXml.fromfile(str(path))
    tests = passed = failures = errors = skipped = 0
    # A TestSuite iterates its own testcases and those of its nested suites.
    for top in [xml] if isinstance(xml, TestSuite) else xml:
        for case in top:
            tests += 1
            kinds = {type(r) for r in case.result}
            if Error in kinds:
                errors += 1
            elif Failure in kinds:
                failures += 1
            elif Skipped in kinds:
                skipped += 1
            else:
                passed += 1
    return (tests, passed, failures, errors, skipped)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_agrees_with_junitparser(name: str) -> None:
    theirs = _junitparser_counts(JUNIT / name)
    ours = EXPECTED[name][:5]
    if name in JUNITPARSER_DIFFERS:
        assert theirs != ours, f"junitparser now agrees: drop {name} from JUNITPARSER_DIFFERS"
    else:
        assert theirs == ours


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_corpus_file(name: str) -> None:
    path = JUNIT / name
    with pytest.raises(FormatError) as info:
        read_junit([path])
    assert INVALID[name] in info.value.reason
    assert info.value.path == str(path)
    assert str(info.value).startswith(f"{path}: ")


def test_all_corpus_files_at_once_add_up() -> None:
    summary = read_junit(sorted(JUNIT / n for n in EXPECTED))
    for i, field in enumerate(("tests", "passed", "failures", "errors", "skipped", "flaky")):
        assert getattr(summary, field) == sum(c[i] for c in EXPECTED.values()), field
    # (So no test fails in one corpus file and passes in a later one: nothing is merged.)


# --- failing cases: names, messages, lines ---------------------------------------------------


def test_failing_cases_of_pytest_report() -> None:
    path = JUNIT / "pytest-9.2-xunit1-logging-all.xml"
    summary = read_junit([path])
    assert summary.failing == (
        CaseResult(
            "test_divide_fails", "tests.test_demo", "failure", "assert 0.5 == 0.4", str(path), 25
        ),
        CaseResult(
            "test_error_in_setup",
            "tests.test_demo",
            "error",
            'failed on setup with "RuntimeError: fixture setup exploded"',
            str(path),
            60,
        ),
    )


def test_line_of_single_line_report() -> None:
    summary = read_junit([JUNIT / "pytest-9.2-xunit2-fail-error-skip-xfail.xml"])
    assert [c.line for c in summary.failing] == [1, 6]


def test_line_of_multiline_start_tag_is_where_it_begins() -> None:
    summary = read_junit([JUNIT / "pytest-xunit1-file-line-failure.xml"])
    (case,) = summary.failing
    assert (case.name, case.line) == ("test_rsh_events", 16)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        # message attribute with &#10;: its first line only
        ("cucumber-jvm-error-skipped-count.xml", "RuntimeException; nested exception is:"),
        # no message attribute: first line of the text, &#13; (CR) ends it
        ("jboss-custom-runner-cr-entities.xml", "java.lang.NullPointerException"),
        # no message attribute, text starting with blanks and a bullet
        ("jest-junit-suite-failed-to-run.xml", "\u25cf Test suite failed to run"),
        ("jest-junit-main.xml", "Error: expect(received).toBeTruthy()"),
        # no message attribute, CDATA text
        (
            "surefire-3.0-junit5-empty-testcasename.xml",
            "org.opentest4j.AssertionFailedError: Failure in @BeforeAll method",
        ),
        # message attribute only (self-closing failure)
        ("ros-launch-testing-failure-no-body.xml", "Traceback (most recent call last):"),
        # the error decides the outcome, so its message is the one shown
        ("synthetic-multiresult-testcase.xml", "test teardown failure"),
        # entities in the message are decoded
        ("synthetic-xml-entities.xml", "A message with 'apostrophes'"),
        # Surefire: the <failure>, not the <rerunFailure>s
        ("surefire-3.0.2-rerunFailure.xml", "built to fail"),
    ],
)
def test_message_of_first_failing_case(name: str, message: str) -> None:
    assert read_junit([JUNIT / name]).failing[0].message == message


def test_multiline_message_attribute_is_one_line() -> None:
    # Literal newlines in an attribute are normalized to spaces by XML; runs are collapsed.
    (case,) = read_junit([JUNIT / "nette-tester-unnamed-testsuite.xml"]).failing
    assert case.message.startswith("Failed: '... in /Users/izso/Developer/nette/tester/tests/")
    assert "\n" not in case.message
    assert "  " not in case.message
    assert len(case.message) == 200
    assert case.message.endswith("\u2026")


def test_empty_failure_has_empty_message() -> None:
    summary = read_junit([JUNIT / "synthetic-minimal-attributes.xml"])
    assert [(c.name, c.outcome, c.message) for c in summary.failing] == [
        ("failed_test", "failure", ""),
        ("error_test", "error", ""),
    ]


def test_suite_level_error_is_an_errored_test_named_after_the_suite() -> None:
    path = JUNIT / "ant-junit-suite-level-error-text-in-properties.xml"
    (case,) = read_junit([path]).failing
    assert case == CaseResult(
        "gda.device.detector.XHDetectorTest",
        "",
        "error",
        "gda/device/detector/DAServer",
        str(path),
        7,
    )


def test_nested_suite_level_error() -> None:
    (case,) = read_junit([JUNIT / "jenkins-nested-testsuites-error-in-suite.xml"]).failing
    assert (case.name, case.outcome, case.message, case.line) == (
        "test.3rdlevel",
        "error",
        "bla bla",
        9,
    )


def test_suite_level_failure_without_message_uses_text(tmp_path: Path) -> None:
    xml = (
        '<testsuite name="pkg.T"><testcase name="a"/><failure>\n  boom\nmore</failure></testsuite>'
    )
    summary = read_junit([write(tmp_path, "r.xml", xml)])
    assert counts(summary) == (2, 1, 0, 1, 0, 0)
    assert [(c.name, c.outcome, c.message) for c in summary.failing] == [("pkg.T", "error", "boom")]


def test_many_suite_level_errors_count_once_per_suite(tmp_path: Path) -> None:
    xml = '<testsuite name="t"><error message="one"/><error message="two"/><failure/></testsuite>'
    summary = read_junit([write(tmp_path, "r.xml", xml)])
    assert counts(summary) == (1, 0, 0, 1, 0, 0)
    assert summary.failing[0].message == "one"


def test_result_elements_outside_a_suite_or_deeper_are_not_results(tmp_path: Path) -> None:
    xml = (
        "<testsuites><error message='root-level, ignored'/><testsuite name='s'>"
        "<testcase name='a'><system-out><failure>not a child of the testcase</failure>"
        "</system-out></testcase><properties><error/></properties></testsuite></testsuites>"
    )
    assert counts(read_junit([write(tmp_path, "r.xml", xml)])) == (1, 1, 0, 0, 0, 0)


def test_message_falls_back_to_type(tmp_path: Path) -> None:
    xml = suite('<testcase name="a"><error type="java.lang.OutOfMemoryError"/></testcase>')
    assert read_junit([write(tmp_path, "r.xml", xml)]).failing[0].message == (
        "java.lang.OutOfMemoryError"
    )


def test_empty_message_attribute_falls_back_to_text(tmp_path: Path) -> None:
    xml = suite(
        '<testcase name="a"><failure message="  ">\n\n  real reason  \n</failure></testcase>'
    )
    assert read_junit([write(tmp_path, "r.xml", xml)]).failing[0].message == "real reason"


def test_long_text_message_is_cut(tmp_path: Path) -> None:
    xml = suite(f'<testcase name="a"><failure>{"x" * 100_000}</failure></testcase>')
    (case,) = read_junit([write(tmp_path, "r.xml", xml)]).failing
    assert case.message == "x" * 199 + "\u2026"


def test_message_from_text_across_entities_and_cdata(tmp_path: Path) -> None:
    # Text is gathered across CDATA and entity boundaries until the first line ends.
    xml = suite(
        '<testcase name="a"><failure>Assert&amp;<![CDATA[Error: <x>]]> failed\nline 2'
        "</failure></testcase>"
    )
    assert read_junit([write(tmp_path, "r.xml", xml)]).failing[0].message == (
        "Assert&Error: <x> failed"
    )


# --- flaky --------------------------------------------------------------------------------------


def test_surefire_flaky_failure() -> None:
    path = JUNIT / "surefire-3.0.2-flakyFailure.xml"
    summary = read_junit([path])
    assert summary.failing == ()
    assert summary.flaky_cases == (
        CaseResult("testApp", "io.olamy.FlakyTest", "flaky", "obvious fail", str(path), 56),
    )


def test_flaky_error_without_error_is_a_flaky_pass(tmp_path: Path) -> None:
    xml = suite('<testcase classname="c" name="a"><flakyError message="io"/></testcase>')
    summary = read_junit([write(tmp_path, "r.xml", xml)])
    assert counts(summary) == (1, 1, 0, 0, 0, 1)


def test_rerun_error_alone_still_fails(tmp_path: Path) -> None:
    # Surefire writes <rerunError> only next to an <error>; alone, it must not pass.
    xml = suite('<testcase classname="c" name="a"><rerunError message="io"/></testcase>')
    assert counts(read_junit([write(tmp_path, "r.xml", xml)])) == (1, 0, 0, 1, 0, 0)


def test_failed_then_passed_across_files_is_one_flaky_pass(tmp_path: Path) -> None:
    first = write(
        tmp_path,
        "run1.xml",
        suite(
            '<testcase classname="m.T" name="ok"/>',
            '<testcase classname="m.T" name="wobbly"><failure message="timeout"/></testcase>',
            '<testcase classname="m.T" name="broken"><error message="boom"/></testcase>',
        ),
    )
    second = write(
        tmp_path,
        "rerun.xml",
        suite(
            '<testcase classname="m.T" name="wobbly"/>',
        ),
    )
    summary = read_junit([first, second])
    assert counts(summary) == (3, 2, 0, 1, 0, 1)
    assert summary.flaky_cases == (CaseResult("wobbly", "m.T", "flaky", "timeout", str(first), 1),)
    assert [c.name for c in summary.failing] == ["broken"]


def test_errored_twice_then_passed_counts_once(tmp_path: Path) -> None:
    case = '<testcase classname="c" name="t"><error message="e{}"/></testcase>'
    files = [write(tmp_path, f"r{i}.xml", suite(case.format(i))) for i in range(2)]
    files.append(write(tmp_path, "r2.xml", suite('<testcase classname="c" name="t"/>')))
    summary = read_junit(files)
    assert counts(summary) == (1, 1, 0, 0, 0, 1)
    assert summary.failing == ()
    assert summary.flaky_cases[0].message == "e0"


def test_failed_then_flaky_pass_is_flaky_once(tmp_path: Path) -> None:
    xml = suite(
        '<testcase classname="c" name="t"><failure message="first"/></testcase>',
        '<testcase classname="c" name="t"><flakyFailure message="second"/></testcase>',
    )
    summary = read_junit([write(tmp_path, "r.xml", xml)])
    assert counts(summary) == (1, 1, 0, 0, 0, 1)
    assert [c.message for c in summary.flaky_cases] == ["second"]


def test_passed_then_failed_is_two_tests(tmp_path: Path) -> None:
    xml = suite(
        '<testcase classname="c" name="t"/>',
        '<testcase classname="c" name="t"><failure message="late"/></testcase>',
    )
    assert counts(read_junit([write(tmp_path, "r.xml", xml)])) == (2, 1, 1, 0, 0, 0)


def test_failed_then_skipped_is_two_tests(tmp_path: Path) -> None:
    xml = suite(
        '<testcase classname="c" name="t"><failure/></testcase>',
        '<testcase classname="c" name="t"><skipped/></testcase>',
    )
    assert counts(read_junit([write(tmp_path, "r.xml", xml)])) == (2, 0, 1, 0, 1, 0)


def test_failed_passed_failed_again(tmp_path: Path) -> None:
    failed = '<testcase classname="c" name="t"><failure message="{}"/></testcase>'
    xml = suite(failed.format("1"), '<testcase classname="c" name="t"/>', failed.format("3"))
    summary = read_junit([write(tmp_path, "r.xml", xml)])
    assert counts(summary) == (2, 1, 1, 0, 0, 1)
    assert [c.message for c in summary.failing] == ["3"]


def test_same_name_other_classname_is_not_merged(tmp_path: Path) -> None:
    xml = suite(
        '<testcase classname="a" name="t"><failure/></testcase>',
        '<testcase classname="b" name="t"/>',
    )
    assert counts(read_junit([write(tmp_path, "r.xml", xml)])) == (2, 1, 1, 0, 0, 0)


def test_nameless_testcases_are_not_merged(tmp_path: Path) -> None:
    xml = suite('<testcase classname="c"><failure/></testcase>', '<testcase classname="c"/>')
    assert counts(read_junit([write(tmp_path, "r.xml", xml)])) == (2, 1, 1, 0, 0, 0)


def test_same_file_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path, "r.xml", suite('<testcase name="a"><failure/></testcase>'))
    summary = read_junit([path, str(path), f"{tmp_path}/./r.xml"])
    assert summary.files == (str(path),)
    assert counts(summary) == (1, 0, 1, 0, 0, 0)


# --- keep -------------------------------------------------------------------------------------


def _failing_files(tmp_path: Path) -> list[Path]:
    """Three reports, each with 5 failed and 5 passed tests."""
    tmp_path.mkdir(exist_ok=True)
    files = []
    for f in range(3):
        cases = []
        for i in range(5):
            failure = f'<failure message="m{f}.{i}"/>'
            cases.append(f'<testcase classname="c{f}" name="t{i}">{failure}</testcase>')
            cases.append(f'<testcase classname="c{f}" name="ok{i}"/>')
        files.append(write(tmp_path, f"r{f}.xml", suite(*cases)))
    return files


def test_keep_limits_failing_in_file_order(tmp_path: Path) -> None:
    summary = read_junit(_failing_files(tmp_path), keep=7)
    assert (summary.tests, summary.failures) == (30, 15)
    assert [c.message for c in summary.failing] == [
        "m0.0",
        "m0.1",
        "m0.2",
        "m0.3",
        "m0.4",
        "m1.0",
        "m1.1",
    ]


def test_keep_default_is_20(tmp_path: Path) -> None:
    summary = read_junit(_failing_files(tmp_path) + _failing_files(tmp_path / "more"))
    assert summary.failures == 30
    assert len(summary.failing) == 20


def test_keep_zero_keeps_counts_only(tmp_path: Path) -> None:
    files = _failing_files(tmp_path)
    rerun = write(tmp_path, "rerun.xml", suite('<testcase classname="c0" name="t0"/>'))
    summary = read_junit([*files, rerun], keep=0)
    assert counts(summary) == (30, 16, 14, 0, 0, 1)
    assert summary.failing == ()
    assert summary.flaky_cases == ()


def test_keep_after_taking_back(tmp_path: Path) -> None:
    # The first failures pass on a rerun: the later ones move up into the kept ones.
    files = _failing_files(tmp_path)
    rerun = write(
        tmp_path,
        "rerun.xml",
        suite(
            '<testcase classname="c0" name="t0"/>',
            '<testcase classname="c0" name="t1"/>',
        ),
    )
    summary = read_junit([*files, rerun], keep=3)
    assert [c.message for c in summary.failing] == ["m0.2", "m0.3", "m0.4"]
    assert [c.message for c in summary.flaky_cases] == ["m0.0", "m0.1"]


def test_keep_limits_flaky_cases(tmp_path: Path) -> None:
    xml = suite(
        *(f'<testcase name="t{i}"><flakyFailure message="f{i}"/></testcase>' for i in range(5))
    )
    summary = read_junit([write(tmp_path, "r.xml", xml)], keep=2)
    assert summary.flaky == 5
    assert [c.message for c in summary.flaky_cases] == ["f0", "f1"]


def test_negative_keep() -> None:
    with pytest.raises(ValueError, match="keep"):
        read_junit([JUNIT / "swift-xunit.xml"], keep=-1)


# --- bad input ------------------------------------------------------------------------------


def test_no_paths() -> None:
    with pytest.raises(ValueError, match="at least one report path"):
        read_junit([])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="file not found") as info:
        read_junit([tmp_path / "nope.xml"])
    assert info.value.path == str(tmp_path / "nope.xml")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="is a directory"):
        read_junit([tmp_path])


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="file is empty"):
        read_junit([write(tmp_path, "empty.xml", b"")])


def test_blank_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="malformed XML at line 3, column 0: no element found"):
        read_junit([write(tmp_path, "blank.xml", "\n  \n")])


def test_truncated_file(tmp_path: Path) -> None:
    whole = (JUNIT / "go-junit-report-pass-fail-skip.xml").read_bytes()
    path = write(tmp_path, "cut.xml", whole[: len(whole) // 2])
    with pytest.raises(FormatError, match=r"malformed XML at line \d+, column \d+"):
        read_junit([path])


def test_json_named_xml(tmp_path: Path) -> None:
    path = write(tmp_path, "report.xml", '{"tests": 3, "failures": 0}\n')
    with pytest.raises(FormatError, match="malformed XML at line 1, column 0: not well-formed"):
        read_junit([path])


def test_html_is_not_junit(tmp_path: Path) -> None:
    path = write(tmp_path, "report.xml", "<html><body><testsuite/></body></html>")
    with pytest.raises(FormatError, match="root element is <html>, expected <testsuites>"):
        read_junit([path])


def test_billion_laughs(tmp_path: Path) -> None:
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    xml = f'<?xml version="1.0"?><!DOCTYPE testsuite [<!ENTITY lol0 "lol">{lol}]>'
    xml += '<testsuite name="&lol9;"><testcase name="a"/></testsuite>'
    with pytest.raises(FormatError, match="declares entity 'lol0'"):
        read_junit([write(tmp_path, "lol.xml", xml)])


def test_xxe_file_entity(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.txt", "TOP SECRET")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE testsuite [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<testsuite name="s"><testcase name="&xxe;"><failure message="&xxe;"/></testcase>'
        "</testsuite>"
    )
    with pytest.raises(FormatError, match="declares entity 'xxe'") as info:
        read_junit([write(tmp_path, "xxe.xml", xml)])
    assert "TOP SECRET" not in str(info.value)


def test_external_dtd_is_not_fetched(tmp_path: Path) -> None:
    # A DOCTYPE without entity declarations is fine; the external DTD is never loaded.
    xml = (
        '<?xml version="1.0"?><!DOCTYPE testsuite SYSTEM "http://example.invalid/junit.dtd">'
        '<testsuite name="s"><testcase name="a"/></testsuite>'
    )
    assert counts(read_junit([write(tmp_path, "dtd.xml", xml)])) == (1, 1, 0, 0, 0, 0)


def test_undeclared_entity(tmp_path: Path) -> None:
    xml = suite('<testcase name="&nbsp;"/>')
    with pytest.raises(FormatError, match="undefined entity"):
        read_junit([write(tmp_path, "nbsp.xml", xml)])


def test_bad_file_among_good_ones_names_itself(tmp_path: Path) -> None:
    good = write(tmp_path, "good.xml", suite('<testcase name="a"/>'))
    bad = write(tmp_path, "bad.xml", "<testsuite><testcase name='a'>")
    with pytest.raises(FormatError) as info:
        read_junit([good, bad, good])
    assert info.value.path == str(bad)


# --- tolerated oddities -------------------------------------------------------------------------


def test_bom_without_declaration(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.xml", b"\xef\xbb\xbf" + suite('<testcase name="a"/>').encode())
    assert counts(read_junit([path])) == (1, 1, 0, 0, 0, 0)


def test_bom_and_declaration_and_non_ascii(tmp_path: Path) -> None:
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + suite(
        '<testcase classname="caf\u00e9" name="\U0001f600"><failure message="\u00fcber"/>'
        "</testcase>"
    )
    path = write(tmp_path, "bom.xml", b"\xef\xbb\xbf" + xml.encode())
    (case,) = read_junit([path]).failing
    assert (case.classname, case.name, case.message, case.line) == (
        "caf\u00e9",
        "\U0001f600",
        "\u00fcber",
        2,
    )


def test_latin1_declared_encoding(tmp_path: Path) -> None:
    xml = '<?xml version="1.0" encoding="ISO-8859-1"?>' + suite(
        '<testcase name="a"><failure message="caf\u00e9"/></testcase>'
    )
    path = write(tmp_path, "latin1.xml", xml.encode("latin-1"))
    assert read_junit([path]).failing[0].message == "caf\u00e9"


def test_odd_time_and_count_attributes_are_ignored(tmp_path: Path) -> None:
    xml = (
        '<testsuites tests="x" failures="-1"><testsuite name="s" time="" timestamp="yesterday"'
        ' tests="1,000" errors="NaN"><testcase name="a" time="2,503.1"/>'
        '<testcase name="b" time="-345345"/></testsuite></testsuites>'
    )
    assert counts(read_junit([write(tmp_path, "odd.xml", xml)])) == (2, 2, 0, 0, 0, 0)


def test_big_file_streams_across_chunks(tmp_path: Path) -> None:
    # Larger than xmlsafe's 1 MiB read size, and a failure text far longer than expat's
    # 64 KiB text buffer.
    filler = "".join(f'<testcase classname="c" name="t{i}"/>' for i in range(40_000))
    text = "y" * 300_000
    xml = suite(filler, f'<testcase classname="c" name="last"><failure>{text}</failure></testcase>')
    path = write(tmp_path, "big.xml", xml)
    assert path.stat().st_size > 1 << 20
    summary = read_junit([path])
    assert counts(summary) == (40_001, 40_000, 1, 0, 0, 0)
    assert summary.failing[0].message == "y" * 199 + "\u2026"


def test_accepts_str_and_pathlike_and_generators(tmp_path: Path) -> None:
    a = write(tmp_path, "a.xml", suite('<testcase name="a"/>'))
    b = write(tmp_path, "b.xml", suite('<testcase name="b"/>'))
    summary = read_junit(p for p in (str(a), b))
    assert summary.files == (str(a), str(b))
    assert summary.tests == 2
