"""The package's optional parts: `pip install .` gives everything, the Action installs only the
extras a config needs (action/install.py), the pins cover exactly what is installed, and a
plugin whose library is missing says what to install in one line (exit 2), writing nothing.

The missing-library runs use a real virtual environment that holds this test run's packages
except the ones left out (its site-packages links to the same installed files), so the
import machinery finds no such library, as in the Action's own environment.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

import pytest
from conftest import tree_state
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tracker import _extras as extras
from tracker import _plugins as plugins
from tracker._errors import BadInput, ConfigError

ROOT = Path(__file__).resolve().parents[1]
MakeRepo = Callable[..., tuple[Path, dict[str, str]]]


def _install_module() -> object:
    spec = importlib.util.spec_from_file_location("action_install", ROOT / "action" / "install.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


install = _install_module()
SETUP = configparser.ConfigParser(interpolation=None)
SETUP.read(ROOT / "setup.cfg", encoding="utf-8")
EVERYTHING = [line.strip() for line in SETUP["options"]["install_requires"].splitlines() if line.strip()]
EXTRAS = {name: [line.strip() for line in value.splitlines() if line.strip()]
          for name, value in SETUP["options.extras_require"].items()}
PINS: dict[str, str] = install.pins((ROOT / "action-constraints.txt").read_text(encoding="utf-8"))  # type: ignore[attr-defined]
# Pinned for the installer and the wheel's build, not installed with tracker.
TOOLS = {"uv", "setuptools", "wheel", "packaging"}


def test_pip_install_dot_still_gives_every_extra() -> None:
    assert set(install.OPTIONAL) == set(extras.EXTRAS)  # type: ignore[attr-defined]
    for name in extras.EXTRAS:
        assert EXTRAS[name] and set(EXTRAS[name]) <= set(EVERYTHING), name
    core, optional = install.requirements((ROOT / "setup.cfg").read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    assert optional == {name: EXTRAS[name] for name in extras.EXTRAS}
    assert sorted(core + [line for group in optional.values() for line in group]) == sorted(EVERYTHING)
    assert {canonicalize_name(Requirement(line).name) for line in core} == {
        "gitpython", "click", "jinja2", "pyyaml", "babel"}
    # The libraries each extra's plugin checks for are the ones that extra installs.
    for name, needed in extras.EXTRAS.items():
        assert {canonicalize_name(dist) for _, dist in needed} <= {
            canonicalize_name(Requirement(line).name) for line in EXTRAS[name]}


def _closure(lines: list[str]) -> set[str]:
    """Every distribution `lines` install (as installed here), their extras' dependencies included."""
    seen: set[str] = set()
    todo = [(Requirement(line), "") for line in lines]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        asked = {name, *(f"{name}[{e}]" for e in requirement.extras)}
        if asked <= seen:
            continue
        seen |= asked
        for line in metadata.requires(requirement.name) or []:
            inner = Requirement(line)
            if inner.marker is None or any(inner.marker.evaluate({"extra": e}) for e in ["", *requirement.extras]):
                todo.append((Requirement(str(inner).split(";")[0]), ""))
    return {name for name in seen if "[" not in name}


def test_the_pins_cover_exactly_what_tracker_installs() -> None:
    installed = _closure(EVERYTHING)
    assert installed == set(PINS) - TOOLS
    for line in EVERYTHING:  # each pin satisfies what setup.cfg asks for
        requirement = Requirement(line)
        assert requirement.specifier.contains(PINS[canonicalize_name(requirement.name)]), line
    # The wheel's build (pyproject.toml's build-system) is pinned too, and so is uv itself.
    build = re.search(r"requires\s*=\s*\[(.*?)\]", (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.S)
    assert build is not None
    for line in re.findall(r'"([^"]+)"', build.group(1)):
        requirement = Requirement(line)
        assert requirement.specifier.contains(PINS[canonicalize_name(requirement.name)]), line
    assert re.fullmatch(r"\d+\.\d+\.\d+", PINS["uv"])


def test_the_plugin_tables_name_every_built_in_plugin() -> None:
    registry = plugins.registry()
    assert set(extras.ISSUE_SYSTEMS) == set(registry.issue_systems)
    assert set(extras.PUBLISHERS) == set(registry.publishers)


def test_what_a_config_needs() -> None:
    assert extras.needed("local", ["changelog-file"]) == set()
    assert extras.needed("github", ["github-release", "changelog-file"]) == {"github"}
    assert extras.needed("gitlab", ["gitlab-release", "site"]) == {"gitlab", "cards"}
    assert extras.needed("jira", []) is None  # a third party's plugin: no telling what it needs
    assert extras.needed("local", ["slack"]) is None


def test_what_a_repository_needs_is_read_as_the_release_reads_it(make_repo: MakeRepo, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _ = make_repo([{"commit": "Initial"}, {"tag": "v1"}])
    actions = {"GITHUB_REPOSITORY": "acme/app"}
    monkeypatch.chdir(repo)
    assert extras.needed_for(None, actions) == {"github"}  # no config: the defaults, GitHub in Actions
    assert extras.needed_for(None, {}) == set()  # on a laptop without a token: the local store
    (repo / ".github").mkdir()
    (repo / ".github" / "tracker.yml").write_text("issues: gitlab\npublish: [site]\n")
    assert extras.needed_for(None, actions) == {"gitlab", "cards"}
    other = tmp_path / "other.yml"
    other.write_text("issues: local\npublish: [changelog-file]\n")
    assert extras.needed_for(str(other), actions) == set()
    with pytest.raises(ConfigError):
        extras.needed_for(str(tmp_path / "missing.yml"), actions)
    (repo / ".github" / "tracker.yml").write_text("publish: site\n")
    with pytest.raises(BadInput):
        extras.needed_for(None, actions)


def test_the_installer_installs_every_extra_when_the_config_cannot_be_read(
        make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _ = make_repo([{"commit": "Initial"}, {"tag": "v1"}], config="issues: [not, a, name]\n")
    monkeypatch.chdir(repo)
    chosen, why = install.needs(Path(sys.executable))  # type: ignore[attr-defined]
    assert chosen == list(extras.EXTRAS) and "could not be read" in why and "issues" in why
    (repo / ".github" / "tracker.yml").write_text("issues: local\npublish: [changelog-file, site]\n")
    assert install.needs(Path(sys.executable)) == (["cards"], "what the config needs")  # type: ignore[attr-defined]
    (repo / ".github" / "tracker.yml").write_text("issues: jira\n")
    chosen, why = install.needs(Path(sys.executable))  # type: ignore[attr-defined]
    assert chosen == list(extras.EXTRAS) and "not built in" in why
    # TRACKER_EXTRAS (the job's env) overrides the config; a name it does not know means all.
    monkeypatch.setenv("TRACKER_EXTRAS", "cards, gitlab")
    assert install.needs(Path(sys.executable)) == (["gitlab", "cards"], "TRACKER_EXTRAS")  # type: ignore[attr-defined]
    for value in ("all", "cards,jira"):
        monkeypatch.setenv("TRACKER_EXTRAS", value)
        assert install.needs(Path(sys.executable))[0] == list(extras.EXTRAS)  # type: ignore[attr-defined]


# -- a real environment without some of the optional libraries -------------------------------


def _site_packages() -> list[Path]:
    paths = sysconfig.get_paths()
    return sorted({Path(paths["purelib"]), Path(paths["platlib"])})


def _without(distributions: list[str], target: Path) -> Path:
    """A virtual environment at `target` holding every package of this run except `distributions`."""
    venv.create(target, with_pip=False, symlinks=True)
    python = target / "bin" / "python"
    own = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip())
    left_out = set()
    for name in distributions:
        dist = metadata.distribution(name)
        left_out |= {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
    for folder in _site_packages():
        for entry in folder.iterdir():
            if entry.name not in left_out and not (own / entry.name).exists():
                (own / entry.name).symlink_to(entry)
    return python


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Python of an environment with tracker's core and none of its optional extras."""
    left_out = [dist for needed in extras.EXTRAS.values() for _, dist in needed]
    yield _without(left_out, tmp_path_factory.mktemp("bare") / "venv")


def test_the_bare_environment_really_lacks_the_extras(bare_python: Path) -> None:
    probe = "import importlib.util as u; print([m for m in ('PIL', 'github', 'gitlab', 'yaml', 'tracker_files')" \
            " if u.find_spec(m)])"
    done = subprocess.run([str(bare_python), "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['yaml', 'tracker_files']"


HISTORY = [{"commit": "Initial", "author": "maint"}, {"tag": "v1"},
           {"commit": "Dark mode\n\nFixes #1", "author": "frank"}, {"tag": "v2"}]
REQUESTS = [{"id": "1", "title": "Dark mode", "author": "alice", "voters": ["bob"]}]


@pytest.mark.parametrize(("config", "env", "says"), [
    ("issues: local\npublish: [changelog-file, site]\n", {},
     "tracker: the publisher 'site' needs Pillow, which is not installed: pip install 'tracker-fans[cards]'"
     " (or pip install Pillow)"),
    ("issues: github\npublish: [changelog-file]\n", {"GITHUB_REPOSITORY": "acme/app", "GITHUB_TOKEN": "t0ken"},
     "tracker: the issue system 'github' needs PyGithub, which is not installed:"
     " pip install 'tracker-fans[github]' (or pip install PyGithub)"),
    ("issues: gitlab\npublish: [changelog-file]\n", {"CI_PROJECT_PATH": "acme/app", "GITLAB_TOKEN": "t0ken"},
     "tracker: the issue system 'gitlab' needs python-gitlab, which is not installed:"
     " pip install 'tracker-fans[gitlab]' (or pip install python-gitlab)"),
])
def test_a_plugin_without_its_library_says_what_to_install(bare_python: Path, make_repo: MakeRepo, config: str,
                                                           env: dict[str, str], says: str) -> None:
    repo, _ = make_repo(HISTORY, config=config, requests=REQUESTS)
    before = tree_state(repo)
    done = subprocess.run([str(bare_python), "-m", "tracker", "--repo", str(repo), "release", "v2"],
                          capture_output=True, text=True, env={**os.environ, **env})
    assert (done.returncode, done.stdout, done.stderr) == (2, "", says + "\n")
    assert tree_state(repo) == before


def test_without_the_extras_a_release_that_needs_none_of_them_works(bare_python: Path, make_repo: MakeRepo) -> None:
    repo, _ = make_repo(HISTORY, config="issues: local\npublish: [changelog-file]\n", requests=REQUESTS)
    done = subprocess.run([str(bare_python), "-m", "tracker", "--repo", str(repo), "release", "v2"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Dark mode" in (repo / "CHANGELOG.md").read_text(encoding="utf-8")
