"""`tracker demo`: a sample project with three weekly builds, fans and votes, released offline."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker import _importer as importer
from tracker import _plugins as plugins
from tracker import _sample as sample
from tracker._errors import BadInput
from tracker._store import Store, store_path
from tracker.session import Session

CONFIG = """\
# tracker's config for the demo project (see README: Config)
issues: local
repository: lumen-app/lumen
builds:
  tags: "v*"
changelog:
  file: CHANGELOG.md
publish: [changelog-file, site]
"""

REQUESTS: list[dict[str, Any]] = [
    {"id": "12", "title": "Dark mode", "author": "alice", "created_at": "2026-09-01T10:00:00Z",
     "voters": ["bob", "carol", "dave", "erin", "frank", "gina", "hank"]},
    {"id": "15", "title": "Export albums to PDF", "author": "bob", "created_at": "2026-09-03T10:00:00Z",
     "voters": ["alice", "gina"]},
    {"id": "16", "title": "PDF export please!", "author": "carol", "created_at": "2026-09-09T10:00:00Z",
     "duplicate_of": "15", "state": "closed", "voters": ["ivan", "judy"]},
    {"id": "18", "title": "Offline sync", "author": "dave", "created_at": "2026-09-10T10:00:00Z",
     "voters": ["alice", "bob", "erin"]},
    {"id": "21", "title": "Keyboard shortcuts", "author": "erin", "created_at": "2026-09-12T10:00:00Z",
     "voters": ["frank", "gina"]},
    {"id": "23", "title": "更大的字体 (bigger fonts)", "author": "李雷", "created_at": "2026-09-15T10:00:00Z",
     "voters": ["韩梅梅", "alice", "bob", "carol"]},
    {"id": "25", "title": "Home-screen widgets", "author": "gina", "created_at": "2026-09-20T10:00:00Z",
     "voters": ["alice", "bob", "carol", "dave", "erin", "frank", "hank", "ivan", "judy"]},
    {"id": "27", "title": "<b>Hack</b> @everyone [click](https://evil.example)", "author": "mallory",
     "created_at": "2026-09-21T10:00:00Z", "voters": ["mallory2"]},
    {"id": "29", "title": "Raw photo support", "author": "hank", "created_at": "2026-09-25T10:00:00Z",
     "voters": ["ivan", "judy", "alice", "dave"]},
    {"id": "31", "title": "Crash when an album is empty", "author": "olga", "created_at": "2026-10-02T10:00:00Z",
     "labels": ["bug"], "voters": ["pat", "ivan"]},
]

# Builders with GitHub no-reply addresses are credited by login; the maintainer's own
# address names nobody's account, so the maintainer (and Sam) are named as plain text.
FRANK = "Frank <1201+frank@users.noreply.github.com>"
ERIN = "Erin <erin@users.noreply.github.com>"
BOB = "Bob <1202+bob@users.noreply.github.com>"
GINA = "Gina <1203+gina@users.noreply.github.com>"

HISTORY: list[dict[str, Any]] = [
    {"commit": "Initial import of Lumen", "author": "maintainer <maintainer@lumen.example>",
     "date": "2026-11-02T09:00:00Z"},
    {"commit": "feat: photo grid", "author": FRANK, "date": "2026-11-03T10:00:00Z"},
    {"commit": "feat: offline sync\n\nCloses #18", "author": FRANK, "date": "2026-11-04T10:00:00Z"},
    {"tag": "v2026.45", "message": "Weekly build 45", "date": "2026-11-06T17:00:00Z"},
    {"commit": "feat: keyboard shortcuts\n\nImplements: #21", "as": "shortcuts", "author": ERIN,
     "date": "2026-11-09T10:00:00Z"},
    {"commit": "fix: crash when an album is empty (see #25)\n\nFixes #31\n\n"
               "Tested-by: Judy <judy@users.noreply.github.com>", "author": FRANK, "date": "2026-11-10T10:00:00Z"},
    {"commit": "Export albums to PDF (#30)\n\nFixes #15", "author": BOB, "date": "2026-11-11T10:00:00Z"},
    {"tag": "v2026.46", "message": "Weekly build 46", "date": "2026-11-13T17:00:00Z"},
    {"commit": "feat: dark mode\n\nFixes #12. Raw photos come next, see #29.\n\n"
               "Co-authored-by: Gina <1203+gina@users.noreply.github.com>\n"
               "Co-authored-by: Sam Lee <sam@lumen.example>", "author": FRANK,
     "date": "2026-11-16T10:00:00Z"},
    {"commit": "Revert \"feat: keyboard shortcuts\"\n\nThis reverts commit {shortcuts}.\n"
               "Shortcuts clash with screen readers.",
     "author": "maintainer <maintainer@lumen.example>", "date": "2026-11-17T10:00:00Z"},
    {"commit": "feat: bigger fonts\n\nImplements: #23", "author": FRANK, "date": "2026-11-18T10:00:00Z"},
    {"commit": "docs: explain widgets plan, refs #25", "author": GINA, "date": "2026-11-19T10:00:00Z"},
    {"tag": "v2026.47", "message": "Weekly build 47", "date": "2026-11-20T17:00:00Z"},
]


def create(directory: Path) -> Path:
    """Make the sample repository (git history, config, local store) in `directory`; a directory
    that cannot be made or written is BadInput, and what was written of it is removed."""
    try:
        if directory.exists() and any(directory.iterdir()):
            raise BadInput(f"{directory} is not empty: give 'tracker demo' a new or empty directory")
    except OSError as exc:
        raise BadInput(f"{directory}: cannot read it ({exc.strerror or exc})") from None
    made = not directory.exists()
    try:
        return _write(directory)
    except OSError as exc:
        # Everything in it is ours (it was new or empty): leave nothing half made.
        if made:
            shutil.rmtree(directory, ignore_errors=True)
        elif directory.is_dir():
            for child in directory.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise BadInput(f"{directory}: cannot make the demo project there ({exc.strerror or exc})") from None


def _write(directory: Path) -> Path:
    files = {
        "README.md": "# Lumen\n\nA photo app whose fans decide what comes next.\n",
        "CHANGELOG.md": "# Changelog\n\nEverything that shipped, with the fans who asked for it.\n",
        ".github/tracker.yml": CONFIG,
    }
    sample.build(directory, HISTORY, _tree(files))
    for name, content in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.write_text(content, encoding="utf-8")
    requests_file = directory / ".git" / "tracker" / "demo-requests.json"
    requests_file.parent.mkdir(parents=True, exist_ok=True)
    requests_file.write_text(json.dumps(REQUESTS, ensure_ascii=False, indent=1), encoding="utf-8")
    return requests_file


def _tree(files: dict[str, str]) -> dict[str, str]:
    # git's mktree takes flat names only; nested config is written to the work tree after.
    return {k: v for k, v in files.items() if "/" not in k}


@dataclass
class Outcome:
    """What the demo did: the session it ran in, its builds (oldest first), what it wrote."""

    session: Session
    builds: list[str]
    written: list[str]
    changelog: str
    site: Path | None
    # A fan's own page and a card's share page on the site (alice's idea ships in the last build).
    fan_page: Path | None = None
    share_page: Path | None = None


def run(directory: Path, say: Callable[[str], None]) -> Outcome:
    """Create the sample project and release every build in order, as a maintainer would weekly."""
    requests_file = create(directory)
    with Session(repo_path=str(directory), say=say) as session:
        importer.import_file(Store(store_path(session.config.store, session.root, session.context.git_dir)),
                             requests_file)
        available = [p for p in session.config.publish if p in plugins.registry().publishers]
        builds = list(reversed(session.build_names()))
    written: list[str] = []
    changelog = ""
    for name in builds:
        # Each week's release is its own command: it reads the requests as the last one left them.
        with Session(repo_path=str(directory), say=say) as session:
            data = session.built(name)
            written += session.ship(data)
            written += session.publish(data, available)
            if name == builds[-1]:
                changelog = session.render(data, "markdown")  # rendered for the publishers already
    folder = session.root / session.config.site_dir
    site, fan = folder / "index.html", folder / "fans" / "alice.html"
    share = folder / "cards" / builds[-1] / "alice.html"
    return Outcome(session, builds, written, changelog, site if site.is_file() else None,
                   fan if fan.is_file() else None, share if share.is_file() else None)


def condensed(lines: Sequence[str]) -> list[str]:
    """Write lines with the site's many files folded into one line per site folder."""
    out: list[str] = []
    counts: dict[str, int] = {}
    for line in lines:
        name, _, rest = line.partition(": ")
        if name != "site":
            out.append(line)
            continue
        path = Path(rest)
        if path.parent.parent.name == "cards":  # cards/B/LOGIN.png
            path = path.parent
        folder = str(path.parent.parent if path.parent.name in ("builds", "cards", "fans", "awards", "reports")
                     else path.parent)
        if folder not in counts:
            out.append(f"site: {folder}")
        counts[folder] = counts.get(folder, 0) + 1
    parts = "index.html, builds/, cards/, fans/, awards/, reports/, fans.html, feed.atom"
    return [f"{line} ({counts[line[6:]]} files: {parts})" if line.startswith("site: ") else line for line in out]
