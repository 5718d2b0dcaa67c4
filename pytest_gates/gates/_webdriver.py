"""Start a Selenium WebDriver from a selenium gate's settings, never downloading anything.

Selenium Manager (which fetches drivers and browsers from the network) never runs: the
driver is always given as ``Service(executable_path=...)`` and the browser as
``binary_location``, both found here first.  A missing browser or driver is a
:class:`GateError` naming the package that provides it.  Knows nothing of pytest.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..api import GateError

Env = Callable[[str], str | None]

BROWSERS = ("chrome", "chromium", "firefox")  # "chromium" is another name for "chrome"
WINDOW_SIZE = re.compile(r"^\s*(\d{2,5})\s*[xX,]\s*(\d{2,5})\s*$")

# Where to look when the settings name no path: names on PATH first, then fixed paths.
_DRIVERS = {
    "chrome": (("chromedriver",), ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")),
    "firefox": (("geckodriver",), ("/usr/local/bin/geckodriver", "/usr/bin/geckodriver")),
}
_BINARIES = {
    "chrome": (
        ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"),
        ("/usr/bin/chromium",),
    ),
    "firefox": (("firefox-esr", "firefox"), ("/usr/bin/firefox-esr", "/usr/bin/firefox")),
}
_INSTALL = {
    ("chrome", "driver"): "install the Debian package chromium-driver"
    " (apt-get install chromium-driver)",
    ("chrome", "binary"): "install the Debian package chromium (apt-get install chromium)",
    ("firefox", "driver"): "geckodriver is not a Debian package: put geckodriver from"
    " https://github.com/mozilla/geckodriver/releases on PATH (with the Debian package"
    " firefox-esr)",
    ("firefox", "binary"): "install the Debian package firefox-esr (apt-get install firefox-esr)",
}

# Headless Chromium in containers and CI: no GPU, a small /dev/shm, no background traffic
# to Google services (machines without internet wait on it), no first-run UI.
CHROME_FLAGS = (
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
)


@dataclass(frozen=True)
class Browser:
    """What to start: the browser family, its binary and driver, and how."""

    name: str  # chrome | firefox
    binary: str
    driver: str
    headless: bool
    width: int
    height: int
    page_load_timeout: float

    def describe(self) -> str:
        return f"{self.binary} with {self.driver}"


def window_size(text: str) -> tuple[int, int] | None:
    """``"1280x800"`` -> (1280, 800); None when it is not ``WIDTHxHEIGHT``."""
    match = WINDOW_SIZE.match(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def family(name: str) -> str:
    return "chrome" if name in ("chrome", "chromium") else name


def locate(browser: str, what: str, configured: str | None, env: Env) -> str:
    """The path of the ``driver`` or ``binary`` (setting name) of ``browser``."""
    hint = _INSTALL[(browser, what)]
    label = "browser" if what == "binary" else "WebDriver"
    if configured:
        path = Path(os.path.expanduser(configured))
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        state = "is not executable" if path.is_file() else "does not exist"
        raise GateError(
            f"the {browser} {label} {configured} (setting '{what}') {state}; {hint},"
            f" or fix the setting"
        )
    names, paths = (_DRIVERS if what == "driver" else _BINARIES)[browser]
    for name in names:
        found = shutil.which(name, path=env("PATH"))
        if found:
            return found
    for fixed in paths:
        if os.path.isfile(fixed) and os.access(fixed, os.X_OK):
            return fixed
    raise GateError(
        f"no {browser} {label} found (looked for {', '.join(names)} on PATH and"
        f" {', '.join(paths)}); {hint}, or set '{what}' to its path"
    )


def resolve(settings: Mapping[str, Any], env: Env) -> Browser:
    """The browser the settings describe, with both executables found (else GateError)."""
    name = family(str(settings.get("browser") or "chrome"))
    size = window_size(str(settings.get("window_size") or "1280x800"))
    width, height = size or (1280, 800)
    return Browser(
        name=name,
        binary=locate(name, "binary", settings.get("binary"), env),
        driver=locate(name, "driver", settings.get("driver"), env),
        headless=bool(settings.get("headless", True)),
        width=width,
        height=height,
        page_load_timeout=float(settings.get("page_load_timeout") or 30.0),
    )


def start(browser: Browser, env: Env) -> Any:
    """A started WebDriver (quit it when done); GateError when the browser does not start."""
    try:
        from selenium.common.exceptions import WebDriverException
    except ImportError:
        raise GateError(
            "the selenium gate needs the Python package selenium: pip install"
            " 'pytest-gates[selenium]'"
        ) from None
    try:
        driver = _firefox(browser) if browser.name == "firefox" else _chrome(browser)
    except (WebDriverException, OSError) as exc:
        raise GateError(_start_failure(browser, exc, env)) from None
    try:
        driver.set_page_load_timeout(browser.page_load_timeout)
    except WebDriverException as exc:
        driver.quit()
        raise GateError(_start_failure(browser, exc, env)) from None
    return driver


def seen(driver: Any) -> str:
    """``chrome 156.0.8078.108``: the browser the driver reports."""
    caps = getattr(driver, "capabilities", None) or {}
    name = caps.get("browserName") or "browser"
    version = caps.get("browserVersion") or caps.get("version") or "(version unknown)"
    return f"{name} {version}"


def _chrome(browser: Browser) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    class Chrome(webdriver.Chrome):
        """Removes its own fresh profile folder on quit."""

        profile = ""

        def quit(self) -> None:
            try:
                super().quit()
            finally:
                shutil.rmtree(self.profile, ignore_errors=True)

    options = webdriver.ChromeOptions()
    options.binary_location = browser.binary
    profile = tempfile.mkdtemp(prefix="gate-chrome-")
    args = [*CHROME_FLAGS, f"--user-data-dir={profile}"]
    args.append(f"--window-size={browser.width},{browser.height}")
    if browser.headless:
        args.append("--headless=new")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox
    for arg in args:
        options.add_argument(arg)
    try:
        driver = Chrome(service=Service(executable_path=browser.driver), options=options)
    except BaseException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    driver.profile = profile
    return driver


def _firefox(browser: Browser) -> Any:
    from selenium import webdriver
    from selenium.webdriver.firefox.service import Service

    options = webdriver.FirefoxOptions()
    options.binary_location = browser.binary
    if browser.headless:
        options.add_argument("-headless")
    options.add_argument(f"--width={browser.width}")
    options.add_argument(f"--height={browser.height}")
    return webdriver.Firefox(service=Service(executable_path=browser.driver), options=options)


def _start_failure(browser: Browser, exc: BaseException, env: Env) -> str:
    text = str(getattr(exc, "msg", None) or exc).strip()
    first = text.splitlines()[0][:300] if text else type(exc).__name__
    hints = []
    lowered = text.lower()
    if "only supports" in lowered or ("version" in lowered and "driver" in lowered):
        hints.append("the browser and its driver must be the same version (upgrade both)")
    if not browser.headless and not env("DISPLAY"):
        hints.append("'headless: false' needs a display, and DISPLAY is not set")
    if "sandbox" in lowered:
        hints.append("Chromium's sandbox is not usable here (run as root or allow user namespaces)")
    if "devtoolsactiveport" in lowered or "crashed" in lowered:
        hints.append("the browser crashed on start (is /dev/shm or memory too small?)")
    why = f" ({'; '.join(hints)})" if hints else ""
    return f"{browser.name} did not start ({browser.describe()}): {first}{why}"
