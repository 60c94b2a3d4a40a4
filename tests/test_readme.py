"""The README's two commands, as written: the install line runs in a copy of this checkout with a
real virtual environment and a real `pip install` (marked `install`: about 25 s of pip's work), on
the system's PEP 668 "externally managed" Python where there is one; CI runs the test line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    """The shell lines of the README's "Two commands" section."""
    section = README.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)]


def _stock_python() -> str | None:
    """A system python3 that refuses `pip install` (PEP 668), as Debian 12 and Ubuntu 24.04 ship it."""
    probe = ("import os, sysconfig, venv, ensurepip;"
             "print(os.path.isfile(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))")
    for candidate in ("/usr/bin/python3", shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")):
        if candidate and os.path.exists(candidate):
            done = subprocess.run([candidate, "-c", probe], capture_output=True, text=True)
            if done.stdout.strip() == "True":
                return candidate
    return None


def test_the_two_commands_are_one_line_each_and_never_a_bare_pip() -> None:
    install, tests = _commands()
    for line in (install, tests):
        assert "\n" not in line and "python3 -m venv .venv && .venv/bin/pip install " in line
        assert not re.search(r"(^|&& )(pip|pip3|python3? -m pip) install", line)  # the system's pip: PEP 668
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")  # CI runs the README's test line


@pytest.mark.install
def test_the_install_command_works_as_written(tmp_path: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: nothing to copy the way a user's checkout looks")
    checkout = tmp_path / "tracker"
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    # A PATH as a user's: not this test run's virtual environment; `pip` and `pip3` fail as PEP 668's
    # do, and `python3` is the system's externally managed one where there is one.
    shims = tmp_path / "shims"
    shims.mkdir()
    for name in ("pip", "pip3"):
        (shims / name).write_text("#!/bin/sh\necho 'error: externally-managed-environment' >&2\nexit 1\n")
        (shims / name).chmod(0o755)
    stock = _stock_python()
    if stock is not None:
        (shims / "python3").symlink_to(stock)
    ours = str(Path(sys.executable).parent)
    path = os.pathsep.join([str(shims), *(p for p in os.environ["PATH"].split(os.pathsep) if p != ours)])
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    install, _ = _commands()
    done = subprocess.run(["bash", "-c", install], cwd=checkout, env={**env, "PATH": path}, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Released v2026.47 (builds: v2026.45, v2026.46, v2026.47)" in done.stdout
    assert (checkout / ".venv" / "bin" / "tracker").is_file()
