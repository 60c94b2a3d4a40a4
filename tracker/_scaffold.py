"""`tracker init`: a project's first config and workflow, and the labels they name.

The config is written from the loader's own defaults (`config.defaults`), so it
lists every key the loader knows, each with its default and a comment, and loads
back as exactly the defaults. Existing files are never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker import _config as config
from tracker._contract import Label
from tracker._errors import BadInput

WORKFLOW_PATH = ".github/workflows/tracker.yml"
# The labels the defaults name: requests.labels, ship.label and reports.labels (bug reports).
LABELS = (
    Label("feature-request", "a2eeef", "A fan's feature request: vote for it with a thumbs-up"),
    Label("shipped", "0e8a16", "Shipped in a build (set by tracker)"),
    Label("bug", "d73a4a", "Something is broken: its reporter is credited when a build fixes it"),
)
# Keys written as comments: their default is worked out at run time, not a value to write down.
EXAMPLES = {"issues": "github", "repository": "owner/name"}
COMMENTS = {
    "issues": "github | gitlab | local | any installed plugin; unset: chosen from the environment",
    "repository": "default: GITHUB_REPOSITORY, else the origin remote",
    "requests.labels": "which issues are fan requests",
    "requests.votes": "reactions that count as votes",
    "requests.discussions": "a Discussions category (e.g. Ideas): upvotes count, reactions name voters",
    "requests.repository": "a hub repository holding the requests (default: this one)",
    "reports.labels": "bug reports: their reporters are credited when fixed",
    "builds.tags": "glob of build tags",
    "builds.channels": 'e.g. {beta: "v*-beta*", stable: "v*"}: a request ships once per channel',
    "components": 'monorepo: [{name: app, tags: "app-v*", paths: [apps/app]}]',
    "ship.label": "the label shipped requests get",
    "ship.comment": "thank the suggester and voters on the issue",
    "ship.close": "close shipped requests",
    "ship.notify": "suggesters | voters (also @-mention up to 50 voters, once)",
    "changelog.template": "markdown | html | text | atom, or a template file of your own",
    "changelog.locale": "en | zh-CN",
    "changelog.file": "the changelog-file publisher's file",
    "changelog.changes": "all | fans: list every change of the build, or only linked ones",
    "site.dir": "the site publisher's folder",
    "site.url": "where the site is served (absolute links, share previews)",
    "site.cards": "authors (suggesters, co-suggesters, reporters) | all (voters too)",
    "site.reports": "a folder of other repositories' JSON reports to merge in",
    "store": "the local store's file; default inside the git directory",
    "publish": "github-release | gitlab-release | changelog-file | site",
    "credits.exclude": "never credited (only * and ? are wildcards)",
    "credits.logins": "email -> login, for authors without a GitHub no-reply address",
}
_HEADER = """\
# tracker's config (written by `tracker init`). Every key is optional; each shows its
# default. Paths are relative to the repository root. See the README, "Config".
"""
_COMMENT_AT = 28  # the column comments start at, as in the README

# The copy-paste workflow (also .github/workflows/tracker-example.yml, kept equal by a test).
WORKFLOW = """\
# Credits your fans on every release: `tracker init` writes this file (or copy it into
# your repository's .github/workflows/). Set `uses:` to where the tracker action lives.
name: Credit the fans

on:
  release:
    types: [published]

permissions:
  issues: write        # label, thank and close the shipped requests
  contents: write      # add the credited section to the release notes
  pull-requests: read  # read the pull requests behind merge and squash commits
  # discussions: write  # with requests.discussions: thank, label and close upvoted ideas

jobs:
  credit:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0   # tracker needs the previous build's tag and the history since
      - uses: acme/tracker@v1
        id: tracker
      - run: echo "Shipped ${{ steps.tracker.outputs.shipped }}, thanks to ${{ steps.tracker.outputs.credited }}"
"""


@dataclass(frozen=True)
class File:
    """A file `init` writes: where (as shown, and on disk) and what."""

    shown: str
    path: Path
    text: str


def config_text() -> str:
    """The config with every default, commented (it loads back as exactly the defaults)."""
    return _HEADER + "".join(_lines(config.defaults(), ""))


def _lines(values: Mapping[str, Any], prefix: str) -> list[str]:
    indent = "  " * prefix.count(".")
    out = []
    for key, value in values.items():
        dotted = prefix + key
        if isinstance(value, dict) and value and dotted not in COMMENTS:  # a section
            out.append(f"{indent}{key}:\n")
            out += _lines(value, dotted + ".")
            continue
        line = f"{indent}{key}: {_yaml(value)}"
        if key in EXAMPLES and not prefix:
            line = f"# {key}: {EXAMPLES[key]}"
        comment = COMMENTS.get(dotted)
        out.append(f"{line.ljust(_COMMENT_AT - 1)} # {comment}\n" if comment else f"{line}\n")
    return out


def _yaml(value: Any) -> str:
    import yaml

    text: str = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1 << 16)
    return text.removesuffix("\n...\n").strip()


def files(root: Path, config_path: str | None) -> list[File]:
    """What `init` writes: the config (at `--config` when given) and the workflow."""
    shown = config_path or config.DEFAULT_PATH
    target = Path(shown)
    return [File(shown, target if target.is_absolute() else root / target, config_text()),
            File(WORKFLOW_PATH, root / WORKFLOW_PATH, WORKFLOW)]


def check_new(planned: list[File]) -> None:
    """BadInput naming the first file that exists already (nothing is ever overwritten)."""
    for file in planned:
        if file.path.exists() or file.path.is_symlink():
            raise BadInput(f"{file.shown} already exists: init never overwrites a file"
                           " (edit it, or move it away and run init again)")
        parent = file.path.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise BadInput(f"{file.shown}: cannot be written ({parent} is not a folder)")


def write(planned: list[File]) -> list[str]:
    """Write each file (new files only: `x` mode fails rather than replace one made meanwhile)."""
    written: list[File] = []
    try:
        for file in planned:
            file.path.parent.mkdir(parents=True, exist_ok=True)
            with file.path.open("x", encoding="utf-8", newline="\n") as handle:
                written.append(file)
                handle.write(file.text)
    except OSError as exc:
        for done in written:  # all or nothing: a first config is not left half made
            done.path.unlink(missing_ok=True)
        if isinstance(exc, FileExistsError):
            raise BadInput(f"{file.shown} already exists: init never overwrites a file") from None
        raise BadInput(f"{file.shown}: cannot be written ({exc.strerror or exc})") from None
    return [file.shown for file in written]
