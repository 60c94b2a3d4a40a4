"""The GitHub Action's install step: tracker, and only what its config needs, with a pinned uv.

action.yml runs it with the runner's Python (this file uses the standard library only):

    python action/install.py key       # the tools cache's key, before actions/cache restores it
    python action/install.py install   # a fresh virtual environment; `python=` in GITHUB_OUTPUT

The tools folder (TRACKER_ACTION_TOOLS, which actions/cache saves and restores) holds:

    uv-VERSION/       uv at the version action-constraints.txt pins, from PyPI (pip, once)
    uv-cache/         uv's package cache
    wheels/DIGEST/    tracker's own wheel, built once per version of the action's sources

What is installed: tracker's wheel without its dependencies, then the core (setup.cfg's
`install_requires` less the optional extras' lines), then the extras the config needs
(`tracker._extras.needed_for`, asked from inside the new environment, where PyYAML and
tracker are by then; TRACKER_EXTRAS, `all` or names separated by commas, overrides it),
every version pinned by action-constraints.txt; last, the bytecode of what a release imports
(`RELEASE`) and its compiled Markdown template (uv writes no bytecode: the release step compiled
~150 modules, a third of its time). The optimisation
never fails a run: a config that cannot be read installs every extra (the release step
then says what is wrong with it), and uv works offline from its cache first, online only
for what the cache lacks.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "action-constraints.txt"
SETUP = ROOT / "setup.cfg"
# The extras a config may leave out (tracker._extras.EXTRAS; tests/test_extras.py keeps them equal).
OPTIONAL = ("github", "gitlab", "cards")
# What goes into tracker's wheel: a change to any of it is a new wheel.
SOURCES = ("setup.cfg", "pyproject.toml", "README.md", "tracker", "plugins", "changelog_templates")


def normalise(name: str) -> str:
    """A distribution name as package indexes compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """`name==version` lines of a constraints file, by normalised name."""
    found = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            found[normalise(name)] = version.strip()
    return found


def requirements(setup_cfg: str) -> tuple[list[str], dict[str, list[str]]]:
    """(the core's requirements, each optional extra's) as setup.cfg states them."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(setup_cfg)

    def lines(value: str) -> list[str]:
        return [line.strip() for line in value.splitlines() if line.strip()]

    everything = lines(parser["options"]["install_requires"])
    extras = {name: lines(parser["options.extras_require"][name]) for name in OPTIONAL}
    optional = {line for group in extras.values() for line in group}
    return [line for line in everything if line not in optional], extras


def source_digest(root: Path = ROOT) -> str:
    """A digest of everything tracker's wheel is built from (names and contents)."""
    digest = hashlib.sha256()
    for name in SOURCES:
        top = root / name
        files = [top] if top.is_file() else sorted(
            p for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
        for path in files:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def cache_key(constraints: str, sources: str) -> tuple[str, str]:
    """(key, restore prefix) of the tools cache: the platform, Python, the pinned versions,
    then the action's sources (a new version of the action restores the same pins' packages
    and builds its own wheel once)."""
    pinned = hashlib.sha256(constraints.encode()).hexdigest()[:16]
    prefix = (f"tracker-action-{platform.system()}-{platform.machine()}-py{sys.version_info[0]}."
              f"{sys.version_info[1]}-{pinned}-")
    return prefix + sources[:16], prefix


def script(folder: Path, name: str) -> Path:
    """The program `name` that an install into `folder` puts in its scripts folder (Windows: Scripts/NAME.exe)."""
    return folder / "Scripts" / f"{name}.exe" if os.name == "nt" else folder / "bin" / name


def say(line: str) -> None:
    print(f"tracker: {line}", flush=True)


def output(name: str, value: str) -> None:
    """A step output (GITHUB_OUTPUT), printed when there is no such file."""
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(f"{name}={value}\n")
    else:
        print(f"{name}={value}")


class Tools:
    """The tools folder: uv, its cache, tracker's built wheels."""

    def __init__(self, folder: Path, uv_version: str):
        self.folder = folder
        self.uv_version = uv_version
        self.env = {**os.environ, "UV_CACHE_DIR": str(folder / "uv-cache"), "UV_PYTHON_DOWNLOADS": "never",
                    "UV_NO_PROGRESS": "1"}

    @property
    def uv(self) -> Path:
        folder = self.folder / f"uv-{self.uv_version}"
        found = [path for path in (script(folder, "uv"), folder / "bin" / "uv.exe") if path.exists()]
        return found[0] if found else script(folder, "uv")

    def ensure_uv(self) -> None:
        """uv at the pinned version: from the cache, else from PyPI with pip."""
        if os.access(self.uv, os.X_OK):
            return
        say(f"installing uv {self.uv_version} (once: the tools cache keeps it)")
        target = self.folder / f"uv-{self.uv_version}"
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--no-warn-script-location", "--target", str(partial), f"uv=={self.uv_version}"],
                       check=True)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)  # only a complete uv is ever found (and cached)

    def run(self, args: Sequence[str]) -> None:
        """`uv ARGS`, offline from the cache first, online only when the cache lacks something."""
        command = [str(self.uv), *args, "--quiet", "--no-config"]
        done = subprocess.run([*command, "--offline"], env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            subprocess.run(command, env=self.env, check=True)

    def wheel(self, digest: str) -> Path:
        """tracker's wheel for these sources: built once, then found in the tools folder."""
        folder = self.folder / "wheels" / digest
        built = sorted(folder.glob("*.whl"))
        if built:
            return built[0]
        say("building tracker's wheel (once per version of the action)")
        partial = folder.with_name(digest + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        self.run(["build", "--wheel", "--out-dir", str(partial), "--python", sys.executable,
                  "--build-constraints", str(CONSTRAINTS), str(ROOT)])
        for other in (self.folder / "wheels").iterdir():  # an older version's wheel is never asked for again
            if other != partial:
                shutil.rmtree(other, ignore_errors=True)
        partial.rename(folder)
        return next(folder.glob("*.whl"))


def needs(python: Path) -> tuple[list[str], str]:
    """(the extras to install, why): TRACKER_EXTRAS when set (`all`, or names separated by
    commas), else what the config needs, asked from the new environment; every extra when
    either cannot be read or the config names a plugin that is not built in."""
    asked = os.environ.get("TRACKER_EXTRAS", "").strip()
    if asked:
        names = [name.strip() for name in asked.split(",") if name.strip()]
        if asked != "all" and set(names) <= set(OPTIONAL):
            return [name for name in OPTIONAL if name in names], "TRACKER_EXTRAS"
        return list(OPTIONAL), f"TRACKER_EXTRAS={asked}"
    done = subprocess.run([str(python), str(Path(__file__).resolve()), "needs"], capture_output=True, text=True)
    try:
        answer = json.loads(done.stdout) if done.returncode == 0 else False
    except ValueError:
        answer = False
    if isinstance(answer, list) and set(answer) <= set(OPTIONAL):
        return sorted(answer), "what the config needs"
    if answer is None:
        return list(OPTIONAL), "the config names a plugin that is not built in"
    why = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
    return list(OPTIONAL), f"the config could not be read: {why}"


# What `tracker release` imports of tracker (their imports follow: click, jinja2, markupsafe, …),
# the plugins it registers or loads with the default publishers, and what it imports only when it
# renders (tests/test_action.py checks the list against a release's own imports). Not the GitHub
# and GitLab clients: their libraries' bytecode (PyGithub alone ~1.5 s to compile) is compiled
# where a release uses them, as before.
RELEASE = ("tracker.early", "tracker.cli", "tracker.session", "tracker.collect", "tracker._scan",
           "tracker._linkindex", "tracker.decide", "tracker.link", "tracker.credit", "tracker.report",
           "tracker._notes", "tracker.publish", "tracker._actions", "tracker._store", "tracker.render",
           "tracker._views", "tracker._configcheck",
           "tracker_local", "tracker_files.changelog", "tracker_github", "tracker_gitlab",
           "tracker_templates", "jinja2.sandbox", "yaml")


def compile_release() -> None:
    """Import `RELEASE`, writing the bytecode of every module that loads (PYTHONDONTWRITEBYTECODE
    or not); with TRACKER_TEMPLATE_CACHE set, compile the built-in Markdown template into it."""
    import importlib

    sys.dont_write_bytecode = False  # writing it is the point
    for name in RELEASE:
        try:
            importlib.import_module(name)
        except ImportError:  # not in this version: the release compiles what it needs
            continue
    if os.environ.get("TRACKER_TEMPLATE_CACHE"):  # the Markdown every release renders (notes, summary)
        from tracker import render

        render.prepare("markdown")


def install(tools_folder: Path, venv: Path) -> tuple[Path, Path]:
    """Install tracker into a fresh virtual environment at `venv`; return (its Python, uv)."""
    started = time.perf_counter()
    constraints = CONSTRAINTS.read_text(encoding="utf-8")
    core, extras = requirements(SETUP.read_text(encoding="utf-8"))
    tools = Tools(tools_folder, pins(constraints)["uv"])
    tools.ensure_uv()
    wheel = tools.wheel(source_digest())
    tools.run(["venv", str(venv), "--clear", "--python", sys.executable])
    python = script(venv, "python")
    pinned = ["--python", str(python), "--constraints", str(CONSTRAINTS)]
    tools.run(["pip", "install", "--python", str(python), "--no-deps", str(wheel)])
    tools.run(["pip", "install", *pinned, *core])
    chosen, why = needs(python)
    wanted = [line for name in chosen for line in extras[name]]
    if wanted:
        tools.run(["pip", "install", *pinned, *wanted])
    # The bytecode of what a release imports, written now: compiling it in the release step was
    # 0.25 s of its ~1 s. Only what tracker imports (uv's --compile-bytecode compiles every
    # installed file: 2-3 s with the extras). Never fails the install: the release compiles what is missing.
    subprocess.run([str(python), str(Path(__file__).resolve()), "compile"], capture_output=True)
    say(f"installed tracker with {' + '.join(['core', *chosen])} ({why}) in {time.perf_counter() - started:.1f} s")
    return python, tools.uv


def main(argv: Sequence[str]) -> None:
    mode = argv[0] if argv else ""
    if mode == "needs":  # inside the new environment: tracker and PyYAML are installed
        try:
            from tracker._extras import needed_for

            wanted = needed_for(os.environ.get("INPUT_CONFIG") or None, os.environ)
        except Exception as exc:  # whatever it is, the release step reports it properly
            raise SystemExit(f"{type(exc).__name__}: {exc}") from None
        print(json.dumps(None if wanted is None else sorted(wanted)))
        return
    if mode == "compile":  # inside the new environment, everything installed
        compile_release()
        return
    tools = Path(os.environ.get("TRACKER_ACTION_TOOLS") or Path.home() / ".cache" / "tracker-action")
    if mode == "key":
        key, restore = cache_key(CONSTRAINTS.read_text(encoding="utf-8"), source_digest())
        output("key", key)
        output("restore", restore)
        output("dir", str(tools))
    elif mode == "install":
        venv = Path(os.environ.get("TRACKER_ACTION_VENV") or tools.parent / "tracker-venv")
        try:
            python, uv = install(tools, venv)
        except subprocess.CalledProcessError as exc:  # what failed has said why above
            raise SystemExit(f"::error::tracker could not be installed: {Path(str(exc.cmd[0])).name}"
                             f" {exc.cmd[1] if len(exc.cmd) > 1 else ''} exited with {exc.returncode}") from None
        output("python", str(python))
        output("uv", str(uv))
    else:
        raise SystemExit("usage: install.py key | install | compile")


if __name__ == "__main__":
    main(sys.argv[1:])
