"""Kind ``selenium``: end-to-end browser tests (pytest tests using ``gate_browser``) as a gate.

The tests are the gate's members; it passes when they all pass, and at least one of them
started a browser (a suite that never opened the site in a browser proves nothing of it).
Each test gets a fresh WebDriver from :meth:`SeleniumGate.open_browser`; when one fails,
its screenshot and page source are saved in the gate's evidence folder and attached to its
verdict testcase.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from ..api import (
    SUITE_SETTINGS,
    GateContext,
    GateError,
    Member,
    Outcome,
    Setting,
    Status,
    SuiteGate,
    suite_outcome,
)
from . import _webdriver
from ._http import is_http_url
from ._httptext import shown_url
from ._suitekit import evidence_stem, relative, untouched, values

if TYPE_CHECKING:
    from ..suite import SuiteBinding


class SeleniumGate(SuiteGate):
    """Runs the Selenium tests listed in ``tests``; all must pass, at least ``min_tests``."""

    kind = "selenium"
    description = "end-to-end browser tests (Selenium WebDriver) pass"
    settings_schema: ClassVar[Mapping[str, Setting]] = {
        **SUITE_SETTINGS,
        "base_url": Setting(
            str, default=None, help="the site under test (fixture gate_base_url), http(s)://"
        ),
        "browser": Setting(
            str,
            default="chrome",
            choices=_webdriver.BROWSERS,
            help="chrome (Chromium or Google Chrome) or firefox",
        ),
        "headless": Setting(bool, default=True, help="run without a display"),
        "driver": Setting(
            str, default=None, help="the WebDriver executable (default: chromedriver on PATH)"
        ),
        "binary": Setting(
            str, default=None, help="the browser executable (default: chromium on PATH)"
        ),
        "window_size": Setting(str, default="1280x800", help="WIDTHxHEIGHT in pixels"),
        "page_load_timeout": Setting(
            float, default=30.0, minimum=0.001, help="seconds a page may take to load"
        ),
    }

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> list[str]:
        problems = []
        if not settings["tests"]:
            problems.append(
                "kind 'selenium' needs 'tests': the pytest files or folders of the browser tests"
            )
        if _webdriver.window_size(str(settings["window_size"])) is None:
            problems.append("'window_size' must be WIDTHxHEIGHT, e.g. 1280x800")
        url = settings["base_url"]
        if url is not None and not is_http_url(url):
            problems.append("'base_url' must start with http:// or https:// and name a host")
        return problems

    def open_browser(self, binding: SuiteBinding, item: pytest.Item) -> Any:
        """A started WebDriver for the test ``item`` (fixture ``gate_browser``, which quits
        it).  If the test fails, its screenshot and page source become evidence."""
        ctx = binding.ctx
        try:
            browser = _webdriver.resolve(self.settings, ctx.env)
            driver = _webdriver.start(browser, ctx.env)
        except GateError as exc:
            binding.record(item, "browser_error", str(exc))
            pytest.fail(str(exc), pytrace=False)
        binding.record(item, "browser", f"{_webdriver.seen(driver)} ({browser.describe()})")

        def evidence(failed: pytest.Item) -> list[str]:
            def note(key: str, value: str) -> None:
                binding.record(failed, key, value)

            return save_evidence(driver, ctx, failed.nodeid, note)

        binding.on_failure(item, evidence)
        return driver

    def evaluate_suite(self, ctx: GateContext, members: Sequence[Member]) -> Outcome:
        browsers = sorted({str(b) for m in members for b in values(m.data.get("browser"))})
        lines = [f"browser: {b}" for b in browsers] or ["browser: none started"]
        if self.settings["base_url"]:
            lines.append(f"base_url: {shown_url(self.settings['base_url'])}")
        for m in members:
            for problem in values(m.data.get("evidence_problem")):
                lines.append(f"evidence of {m.nodeid} incomplete: {problem}")
        outcome = suite_outcome(self.settings, members, extra="\n".join(lines))
        broken = [str(e) for m in members for e in values(m.data.get("browser_error"))]
        if broken:
            summary = f"the browser did not start for {len(broken)} of {len(members)} tests:"
            return replace(outcome, status=Status.ERROR, summary=f"{summary} {broken[0]}")
        if not browsers:
            return untouched(
                outcome,
                members,
                f"the selenium suite started no browser: none of its {len(members)} members"
                " used the gate_browser fixture",
            )
        return outcome


def save_evidence(
    driver: Any, ctx: GateContext, nodeid: str, note: Callable[[str, str], None] | None = None
) -> list[str]:
    """Save the screenshot (PNG) and page source (HTML) of a failed test; return their
    paths (rootdir-relative when under the rootdir, as GitLab resolves attachments)."""
    folder = ctx.evidence_dir()
    stem = evidence_stem(nodeid)
    saved: list[str] = []
    for suffix, grab in ((".png", _screenshot), (".html", _page_source)):
        path = folder / f"{stem}{suffix}"
        try:
            path.write_bytes(grab(driver))
        except Exception as exc:  # a dead browser or an open alert must not hide the failure
            if note is not None:
                note("evidence_problem", f"{suffix[1:]}: {type(exc).__name__}: {_first(exc)}")
            continue
        saved.append(relative(path, ctx.rootdir))
    return saved


def _screenshot(driver: Any) -> bytes:
    data = driver.get_screenshot_as_png()
    if not isinstance(data, bytes):
        raise TypeError("the driver returned no PNG")
    return data


def _page_source(driver: Any) -> bytes:
    return str(driver.page_source).encode("utf-8")


def _first(exc: BaseException) -> str:
    text = str(getattr(exc, "msg", None) or exc).strip()
    return text.splitlines()[0][:200] if text else ""
