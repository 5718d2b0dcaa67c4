"""The ``selenium`` gate kind: real headless Chromium against the real example shop service.

Needs the Debian packages chromium and chromium-driver (CI installs them and forbids skips).
"""

from __future__ import annotations

import os
import shutil
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from shopsvc import SHOP, Shop, broken_shop, shop_service

from pytest_gates.api import GateError, Member, Status
from pytest_gates.context import RunContext
from pytest_gates.gates import _webdriver
from pytest_gates.gates.selenium import SeleniumGate, evidence_stem, save_evidence

from conftest import DATA, Profile

__all__ = ["broken_shop", "shop_service"]  # fixtures, imported for their use here

E2E_TESTS = SHOP / "tests" / "e2e" / "test_shop_page.py"
DEFAULTS = {
    "tests": ["tests/e2e"],
    "min_tests": 1,
    "allow_skipped": False,
    "base_url": None,
    "browser": "chrome",
    "headless": True,
    "driver": None,
    "binary": None,
    "window_size": "1280x800",
    "page_load_timeout": 30.0,
}


def chromium() -> tuple[str, str]:
    """The browser and driver, or a skip naming the packages (CI installs them)."""
    try:
        browser = _webdriver.resolve(DEFAULTS, os.environ.get)
    except GateError as exc:
        pytest.skip(f"needs the Debian packages chromium and chromium-driver: {exc}")
    return browser.binary, browser.driver


def executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\nexit 1\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


# -- settings, driver lookup, evidence names (no browser) --------------------------------


def test_check_settings_explains_each_problem() -> None:
    problems = SeleniumGate.check_settings(
        {**DEFAULTS, "tests": [], "window_size": "big", "base_url": "shop.local"}
    )
    assert problems == [
        "kind 'selenium' needs 'tests': the pytest files or folders of the browser tests",
        "'window_size' must be WIDTHxHEIGHT, e.g. 1280x800",
        "'base_url' must start with http:// or https:// and name a host",
    ]
    assert SeleniumGate.check_settings({**DEFAULTS, "base_url": "http://127.0.0.1:8080"}) == []
    assert _webdriver.window_size("1920x1080") == (1920, 1080)


def test_a_missing_driver_names_the_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(GateError) as info:
        _webdriver.locate("chrome", "driver", str(tmp_path / "chromedriver"), os.environ.get)
    assert str(info.value) == (
        f"the chrome WebDriver {tmp_path / 'chromedriver'} (setting 'driver') does not exist;"
        " install the Debian package chromium-driver (apt-get install chromium-driver),"
        " or fix the setting"
    )
    (tmp_path / "plain").write_text("")
    with pytest.raises(GateError, match="is not executable; install the Debian package chromium"):
        _webdriver.locate("chrome", "binary", str(tmp_path / "plain"), os.environ.get)
    with pytest.raises(GateError, match="geckodriver is not a Debian package"):
        _webdriver.locate("firefox", "driver", str(tmp_path / "geckodriver"), os.environ.get)


def test_the_driver_is_found_on_path_first(tmp_path: Path) -> None:
    driver = executable(tmp_path / "chromedriver")
    env = {"PATH": str(tmp_path)}
    assert _webdriver.locate("chrome", "driver", None, env.get) == str(driver)


def test_evidence_names_are_safe_and_short() -> None:
    assert evidence_stem("tests/e2e/test_shop.py::test_cart[a b/c]") == (
        "tests_e2e_test_shop.py_test_cart_a_b_c"
    )
    long = "tests/test_x.py::test_y[" + "z" * 300 + "]"
    stem = evidence_stem(long)
    assert len(stem) == 120
    assert stem != evidence_stem(long.replace("z]", "w]"))


def test_a_browser_that_did_not_start_makes_the_gate_an_error(tmp_path: Path) -> None:
    gate = SeleniumGate(DEFAULTS)
    members = [
        Member("t.py::test_a", "error", data={"browser_error": ["no chrome WebDriver found"]}),
        Member("t.py::test_b", "passed", data={"browser": ["chrome 1.0 (x with y)"]}),
    ]
    outcome = gate.evaluate_suite(RunContext("e2e", tmp_path), members)
    assert outcome.status is Status.ERROR
    assert outcome.summary == (
        "the browser did not start for 1 of 2 tests: no chrome WebDriver found"
    )
    assert "browser: chrome 1.0 (x with y)" in outcome.details


def test_a_suite_that_started_no_browser_is_an_error(tmp_path: Path) -> None:
    gate = SeleniumGate(DEFAULTS)
    ctx = RunContext("e2e", tmp_path)
    outcome = gate.evaluate_suite(ctx, [Member("t.py::test_a", "passed")])
    assert outcome.status is Status.ERROR
    assert outcome.summary == (
        "the selenium suite started no browser: none of its 1 members used the gate_browser"
        " fixture (1 members: 1 passed, 0 failed, 0 errors, 0 skipped)"
    )
    assert "browser: none started" in outcome.details
    # Nothing ran at all: min_tests already says so.
    outcome = gate.evaluate_suite(ctx, [])
    assert outcome.status is Status.FAILED
    assert outcome.summary.startswith("0 ran < min_tests 1")


def test_a_real_browser_and_its_evidence(tmp_path: Path, shop_service: Shop) -> None:
    chromium()
    ctx = RunContext("e2e", tmp_path)
    settings = {**DEFAULTS, "window_size": "800x600"}
    driver = _webdriver.start(_webdriver.resolve(settings, os.environ.get), os.environ.get)
    try:
        assert _webdriver.seen(driver).startswith("chrome ")
        assert driver.get_window_size() == {"width": 800, "height": 600}
        driver.get(shop_service.url + "/")
        assert driver.title == "Gates Shop"
        saved = save_evidence(driver, ctx, "tests/e2e/test_shop_page.py::test_x")
    finally:
        driver.quit()
    assert saved == [
        ".gate-evidence/e2e/tests_e2e_test_shop_page.py_test_x.png",
        ".gate-evidence/e2e/tests_e2e_test_shop_page.py_test_x.html",
    ]
    assert (tmp_path / saved[0]).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "Coffee beans" in (tmp_path / saved[1]).read_text()


# -- end to end: pytest --gate with the example's E2E suite -------------------------------


def e2e_project(pytester: pytest.Pytester, profile: Profile, url: str, extra: str = "") -> None:
    target = pytester.path / "tests" / "e2e"
    target.mkdir(parents=True)
    shutil.copyfile(E2E_TESTS, target / "test_shop_page.py")
    profile(
        f"""
        gates:
          e2e:
            kind: selenium
            tests: [tests/e2e]
            base_url: {url}
            min_tests: 3
        {extra}"""
    )


def cases(pytester: pytest.Pytester) -> dict[str, ET.Element]:
    root = ET.parse(pytester.path / "gate-verdict.xml").getroot()
    return {c.get("name", ""): c for c in root.iter("testcase")}


def test_the_example_e2e_suite_passes(
    pytester: pytest.Pytester, profile: Profile, shop_service: Shop
) -> None:
    chromium()
    e2e_project(pytester, profile, shop_service.url)
    result = pytester.runpytest("--gate=pr", "-v")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*tests/e2e/test_shop_page.py::test_page_loads_with_its_title PASSED*",
            "*tests/e2e/test_shop_page.py::test_adding_to_cart_updates_counter_and_total PASSED*",
        ]
    )
    result.stdout.re_match_lines([r"e2e\s+selenium\s+passed\s+tests 3, passed 3, failed 0"])
    found = cases(pytester)
    assert len(found) == 4
    gate_out = found["e2e"].findtext("system-out") or ""
    assert "browser: chrome " in gate_out
    assert f"base_url: {shop_service.url}" in gate_out
    assert not (pytester.path / ".gate-evidence" / "e2e").exists()  # nothing failed


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_broken_shop_fails_with_screenshot_and_page_source(
    pytester: pytest.Pytester, profile: Profile, broken_shop: Shop, xdist: list[str]
) -> None:
    chromium()
    e2e_project(pytester, profile, broken_shop.url)
    result = pytester.runpytest("--gate=pr", *xdist)
    assert result.ret == 1
    out = result.stdout.str()
    result.stdout.re_match_lines([r"e2e\s+selenium\s+failed\s+tests 3, passed 1, failed 2"])
    assert "FAILED: 2 failed of 3 members" in out
    assert "the page lists the wrong products" in out

    stem = "tests_e2e_test_shop_page.py_test_three_products_are_listed"
    png = pytester.path / ".gate-evidence" / "e2e" / f"{stem}.png"
    html = png.with_suffix(".html")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    page = html.read_text()
    assert "<title>Gates Shop</title>" in page
    assert 'class="product"' not in page  # the broken page rendered no products
    evidence = sorted(p.name for p in png.parent.iterdir())
    failed = ("test_three_products_are_listed", "test_adding_to_cart_updates_counter_and_total")
    assert evidence == sorted(
        f"tests_e2e_test_shop_page.py_{name}{suffix}"
        for name in failed
        for suffix in (".png", ".html")
    )

    found = cases(pytester)
    member = found["tests/e2e/test_shop_page.py::test_three_products_are_listed"]
    assert member.find("failure") is not None
    assert (member.findtext("system-out") or "").splitlines() == [
        f"[[ATTACHMENT|.gate-evidence/e2e/{stem}.png]]",
        f"[[ATTACHMENT|.gate-evidence/e2e/{stem}.html]]",
    ]
    passed = found["tests/e2e/test_shop_page.py::test_page_loads_with_its_title"]
    assert passed.find("system-out") is None
    xmlschema.XMLSchema(DATA / "schemas" / "junit-10.xsd").validate(
        pytester.path / "gate-verdict.xml"
    )
    assert "re-run this gate: pytest --gate=pr --gate-only e2e" in out


def test_a_missing_driver_is_an_error_naming_the_package(
    pytester: pytest.Pytester, profile: Profile, tmp_path: Path
) -> None:
    browser = executable(tmp_path / "chromium")
    missing = tmp_path / "no" / "chromedriver"
    e2e_project(
        pytester,
        profile,
        "http://127.0.0.1:9",
        extra=f"    driver: {missing}\n            binary: {browser}\n",
    )
    result = pytester.runpytest("--gate=pr")
    assert result.ret == 1
    result.stdout.re_match_lines(
        [r"e2e\s+selenium\s+error\s+tests 3, passed 0, failed 0, errors 3"]
    )
    out = result.stdout.str()
    assert (
        f"ERROR: the browser did not start for 3 of 3 tests: the chrome WebDriver {missing}"
        " (setting 'driver') does not exist; install the Debian package chromium-driver"
    ) in out
    member = cases(pytester)["tests/e2e/test_shop_page.py::test_page_loads_with_its_title"]
    error = member.find("error")
    assert error is not None
    assert "chromium-driver" in error.get("message", "")


NO_BROWSER_TEST = """
import urllib.request


def test_page_without_a_browser(gate_base_url):
    with urllib.request.urlopen(gate_base_url + "/") as resp:
        assert b"<title>Gates Shop</title>" in resp.read()
"""


def test_a_suite_where_no_test_started_a_browser_is_an_error(
    pytester: pytest.Pytester, profile: Profile, shop_service: Shop
) -> None:
    chromium()
    target = pytester.path / "tests" / "e2e"
    target.mkdir(parents=True)
    (target / "test_fetch.py").write_text(NO_BROWSER_TEST)
    # One member does use the browser, but it is deselected: none ran with a browser.
    shutil.copyfile(E2E_TESTS, target / "test_shop_page.py")
    profile(
        f"""
        gates:
          e2e:
            kind: selenium
            tests: [tests/e2e/test_fetch.py]
            base_url: {shop_service.url}
        """
    )
    result = pytester.runpytest("--gate=pr")
    assert result.ret == 1, result.stdout.str()
    result.stdout.re_match_lines([r"e2e\s+selenium\s+error\s+tests 1, passed 1, failed 0"])
    assert (
        "ERROR: the selenium suite started no browser: none of its 1 members used the"
        " gate_browser fixture"
    ) in result.stdout.str()
    assert "browser: none started" in (cases(pytester)["e2e"].findtext("system-out") or "")
