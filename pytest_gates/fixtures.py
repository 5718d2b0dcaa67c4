"""Fixtures for the tests a suite gate owns (``tests:`` of kinds selenium, api, ...).

They resolve the gate that owns the requesting test and hand out what its settings
describe.  Outside a ``--gate`` run (or for a test no suite gate lists) they fail with a
message that says how to run the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the suite module is imported when a fixture is used, not at start-up
    from .suite import SuiteBinding


@pytest.fixture
def gate_suite(request: pytest.FixtureRequest) -> SuiteBinding:
    """The suite gate that owns this test: ``.spec``, ``.settings``, ``.ctx`` (its
    GateContext: evidence folder, env), ``.record(item, key, value)``."""
    from .suite import binding_for

    item = request.node
    assert isinstance(item, pytest.Item)
    return binding_for(item)


@pytest.fixture
def gate_base_url(gate_suite: SuiteBinding) -> str:
    """The owning gate's ``base_url`` setting, without a trailing slash."""
    url = gate_suite.settings.get("base_url")
    if not url:
        pytest.fail(
            f"gate {gate_suite.spec.id!r} has no 'base_url' setting ({gate_suite.spec.location})",
            pytrace=False,
        )
    return str(url).rstrip("/")


def _provided(binding: SuiteBinding, method: str, fixture: str, kinds: str) -> Any:
    factory = getattr(binding.gate, method, None)
    if factory is None:
        pytest.fail(
            f"fixture {fixture!r} is for tests of {kinds} gates; this test belongs to gate"
            f" {binding.spec.id!r} of kind {binding.spec.kind!r}",
            pytrace=False,
        )
    return factory


@pytest.fixture
def gate_api(request: pytest.FixtureRequest, gate_suite: SuiteBinding) -> Iterator[Any]:
    """A ``requests.Session`` bound to the api gate's ``base_url``, headers, auth, timeout
    and retries; it records each request's latency for the gate's verdict."""
    session = _provided(gate_suite, "api_session", "gate_api", "'api'")(gate_suite, request.node)
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def gate_browser(request: pytest.FixtureRequest, gate_suite: SuiteBinding) -> Iterator[Any]:
    """A configured Selenium WebDriver for the selenium gate that owns this test; on a
    failure its screenshot and page source are saved as the gate's evidence."""
    driver = _provided(gate_suite, "open_browser", "gate_browser", "'selenium'")(
        gate_suite, request.node
    )
    try:
        yield driver
    finally:
        driver.quit()
