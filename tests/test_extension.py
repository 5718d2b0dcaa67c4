"""Third-party gate kinds: a real installed distribution's entry point, and hook conflicts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from pytest_gates.kinds import KindError, KindRegistry

DIST = {
    "pyproject.toml": """
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "gates-demo-kind"
        version = "1.0"

        [project.entry-points.pytest_gates]
        file-size = "gates_demo_kind:FileSizeGate"
    """,
    "gates_demo_kind/__init__.py": '''
        from pytest_gates import Gate, GateError, Outcome, Setting

        class FileSizeGate(Gate):
            """Fails when a file is larger than max_bytes."""

            settings_schema = {
                "path": Setting(str, required=True),
                "max_bytes": Setting(int, required=True, minimum=0),
            }

            def evaluate(self, ctx):
                path = ctx.path(self.settings["path"])
                if not path.is_file():
                    raise GateError(f"{path} does not exist")
                size = path.stat().st_size
                limit = self.settings["max_bytes"]
                kw = {"measured": {"bytes": size}, "threshold": {"bytes": f"<= {limit}"}}
                if size > limit:
                    return Outcome.failed(f"{path.name} is {size} bytes > {limit}", **kw)
                return Outcome.passed(f"{path.name} is {size} bytes", **kw)
    ''',
}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build and install the demo distribution into a folder of its own."""
    src = tmp_path_factory.mktemp("dist-src")
    for name, text in DIST.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(textwrap.dedent(text).lstrip())
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(src),
        ],
        check=True,
    )
    assert list(target.glob("gates_demo_kind-1.0.dist-info/entry_points.txt"))
    return target


def test_an_installed_distribution_adds_a_kind(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "gate_profiles").mkdir()
    (tmp_path / "gate_profiles" / "size.yaml").write_text(
        textwrap.dedent("""
        gates:
          small: {kind: file-size, path: data/small.bin, max_bytes: 100}
          big: {kind: file-size, path: data/big.bin, max_bytes: 100}
    """)
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "small.bin").write_bytes(b"x" * 10)
    (tmp_path / "data" / "big.bin").write_bytes(b"x" * 1000)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")

    def pytest(*args: str, pythonpath: str | None = str(installed)) -> CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        return subprocess.run(
            [sys.executable, "-m", "pytest", "--gate=size", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    done = pytest("-p", "no:cacheprovider")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED: big.bin is 1000 bytes > 100" in done.stdout
    assert re.search(r"^small +file-size +passed +bytes 10 +bytes <= 100$", done.stdout, re.M), (
        done.stdout
    )
    listing = pytest("--gate-list")
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "small (file-size, blocking) from size" in listing.stdout
    assert (
        "kind 'file-size' from entry point file-size = gates_demo_kind:FileSizeGate"
        " of gates-demo-kind" in listing.stdout
    )
    # without the distribution the kind is unknown: a broken profile, exit 2
    bare = pytest("-p", "no:cacheprovider", pythonpath=None)
    assert bare.returncode == 2
    assert "unknown kind 'file-size'" in bare.stdout


def test_a_kind_registered_twice_names_both_sources(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        import pytest
        from pytest_gates import Gate
        class MyJUnit(Gate):
            kind = "junit"
        @pytest.hookimpl
        def pytest_gates_register_kinds(registry):
            registry.add(MyJUnit)
    """)
    (pytester.path / "gate_profiles").mkdir()
    (pytester.path / "gate_profiles" / "x.yaml").write_text(
        "gates:\n  t: {kind: junit, reports: [a]}\n"
    )
    result = pytester.runpytest("--gate=x")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "gate kind 'junit' is registered twice: by conftest.MyJUnit"
            " and by pytest-gates (built-in kind 'junit')"
        ]
    )


def test_registry_rejects_what_is_not_a_gate() -> None:
    registry = KindRegistry()

    class NoName:
        def evaluate(self, ctx: object) -> None: ...

    class NoEvaluate:
        kind = "x"

    with pytest.raises(KindError, match="has no name"):
        registry.add(NoName)  # type: ignore[arg-type]
    with pytest.raises(KindError, match="has no evaluate"):
        registry.add(NoEvaluate)  # type: ignore[arg-type]


def test_a_lazily_registered_kind_is_imported_on_first_use() -> None:
    registry = KindRegistry()
    registry.add_lazy("junit", "pytest_gates.gates.junit:JUnitGate", source="built-in")
    registry.add_lazy("broken", "pytest_gates.no_such_module:Gate", source="built-in")
    registry.add_lazy("misnamed", "pytest_gates.gates.junit:JUnitGate", source="built-in")
    kinds = registry.kinds
    assert list(kinds) == ["broken", "junit", "misnamed"]
    assert "broken" in kinds
    assert kinds["junit"].kind == "junit"
    with pytest.raises(KindError, match=r"cannot load gate kind 'broken' .*No module named"):
        kinds["broken"]
    with pytest.raises(KindError, match=r"is kind 'junit', registered as 'misnamed'"):
        kinds["misnamed"]
    with pytest.raises(KindError, match=r"'junit' is registered twice: by built-in and by mine"):
        registry.add_lazy("junit", "x:Y", source="mine")
    with pytest.raises(KeyError):
        kinds["nothing"]
