"""tracker._hosting: the rules every code-host plugin shares, tested once without HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tracker import _codehost as codehost
from tracker import _hosting as hosting
from tracker import _hostwriters as writers
from tracker._errors import BadInput
from tracker._grammar import Repository

REPO = Repository("acme/app")
T = TypeVar("T")


def test_splice_replaces_only_its_own_section() -> None:
    first = hosting.splice("Intro\r\n", "## v2\n")
    assert first == "Intro\r\n\n<!-- tracker:start -->\n## v2\n<!-- tracker:end -->\n"
    edited = "Top\n" + first + "Footer by a person\n"
    assert hosting.splice(edited, "## v2 again") == edited.replace("## v2\n", "## v2 again\n")
    assert hosting.splice(hosting.splice("", "x"), "x") == "<!-- tracker:start -->\nx\n<!-- tracker:end -->\n"
    stray = "<!-- tracker:start --> quoted by a person\n\n"
    assert hosting.splice(stray + hosting.splice("", "a"), "b").startswith(stray)


def test_our_marker_and_our_extra_copies() -> None:
    tag = "<!-- tracker:shipped v2 -->"
    body, author = (lambda n: n[2]), (lambda n: n[1])
    me = hosting.Identity(lambda: "bot")

    def ours(note: tuple[int, str, str | None]) -> bool:
        return me.owns(author(note), bot=False)

    assert hosting.has_marker([(1, "x", None), (2, "x", "hi"), (3, "bot", f"thanks\n\n{tag}")], tag, body, ours)
    assert not hosting.has_marker([(1, "bot", "<!-- tracker:shipped v20 -->")], tag, body, ours)
    assert not hosting.has_marker([(1, "carol", f"pasted {tag}")], tag, body, ours)  # a fan's paste is no mark
    notes = [(3, "bot", f"b {tag}"), (1, "bot", f"a {tag}"), (2, "carol", f"quoting {tag}"), (4, "bot", "other")]
    extra = hosting.extra_copies(notes, tag, body, author, lambda n: n[0], ours)
    assert extra == [(3, "bot", f"b {tag}")]  # the oldest stays; carol's quote is hers
    early = [(1, "carol", f"pasted {tag}"), (2, "bot", f"ours {tag}"), (3, "bot", f"race {tag}")]
    assert hosting.extra_copies(early, tag, body, author, lambda n: n[0], ours) == [(3, "bot", f"race {tag}")]


def test_identity_asks_once_and_only_when_needed_and_falls_back_to_bots() -> None:
    asked: list[int] = []

    def lookup() -> str | None:
        asked.append(1)
        return "Tracker-Bot"

    me = hosting.Identity(lookup)
    assert asked == []
    assert me.owns("tracker-bot", bot=False) and not me.owns("carol", bot=False) and not me.owns(None, bot=True)
    assert not me.owns("other-app[bot]", bot=True)  # the token's account is known: only it counts
    assert asked == [1]
    learnt = hosting.Identity(lookup)
    learnt.learn("poster")  # the author of a comment this run posted
    assert learnt.owns("poster", bot=False) and asked == [1]
    app = hosting.Identity(lambda: None)  # an installation token: GitHub will not say who it is
    assert app.owns("tracker-app[bot]", bot=True) and not app.owns("carol", bot=False)


@pytest.mark.parametrize("bodies, target", [
    (["Duplicate of #12"], "12"),
    (["Thanks!\nduplicate of acme/app#12"], "12"),
    (["Duplicate of #12", "Duplicate of https://github.com/acme/app/issues/14"], "14"),  # the latest wins
    (["Duplicate of other/app#12"], None),  # another repository's issue
    (["Duplicate of #6"], None),  # itself
    (["This is not a duplicate of #12"], None),  # not GitHub's line
])
def test_github_duplicate_comment(bodies: list[str], target: str | None) -> None:
    from tracker_github.issues import DUPLICATE

    assert hosting.duplicate_target(bodies, "6", REPO, DUPLICATE) == target


def test_gitlab_duplicate_system_note() -> None:
    from tracker_gitlab.issues import DUPLICATE

    notes = ["changed the description", "marked this issue as a duplicate of acme/app#3"]
    assert hosting.duplicate_target(notes, "6", REPO, DUPLICATE) == "3"
    assert hosting.duplicate_target(["Duplicate of #3"], "6", REPO, DUPLICATE) is None


@pytest.mark.parametrize("slug, github, gitlab", [
    ("acme/app", True, True),
    ("acme/tools/app", False, True),
    ("acme/app.js", True, True),
    ("_acme/app", False, True),
    ("acme", False, False),
    ("acme/app/", False, False),
    ("acme//app", False, False),
    ("-acme/app", False, False),
    ("acme/..", False, False),
    ("acme/app.git", True, False),
    ("acme/a pp", False, False),
    ("/".join(["g"] * 22), False, False),  # GitLab nests groups 20 deep at most
])
def test_slugs(slug: str, github: bool, gitlab: bool) -> None:
    assert (hosting.valid_slug(slug), hosting.valid_slug(slug, nested=True)) == (github, gitlab)


@pytest.mark.parametrize("url, slug", [
    ("https://github.com/acme/app.git", "acme/app"),
    ("https://github.com/acme/app", "acme/app"),
    ("git@github.com:acme/app.git", "acme/app"),
    ("ssh://git@github.com/acme/app.git", "acme/app"),
    ("https://token@github.com/acme/app.git", "acme/app"),
    ("https://gitlab.com/acme/tools/app.git", "acme/tools/app"),
    ("git@gitlab.com:acme/tools/app.git", "acme/tools/app"),
    ("ssh://git@gitlab.com:2222/acme/tools/app.git", "acme/tools/app"),
    ("https://example.org/acme/app.git", None),
    ("/srv/git/app.git", None),
])
def test_slug_from_remote(url: str, slug: str | None) -> None:
    assert hosting.slug_from_remote(url, {"github.com", "gitlab.com"}) == slug


def test_the_first_source_that_is_set_decides() -> None:
    def resolve(configured: str | None, value: str | None, remote: str | None = None) -> str:
        return hosting.resolve_slug(configured, "CI_PROJECT_PATH", value, lambda: remote, {"gitlab.com"},
                                    "GitLab", "group/project", nested=True)

    assert resolve("acme/app", "other/app") == "acme/app"
    assert resolve(None, "acme/sub/app", "git@gitlab.com:x/y.git") == "acme/sub/app"
    assert resolve(None, "", "git@gitlab.com:x/y.git") == "x/y"
    with pytest.raises(BadInput, match="CI_PROJECT_PATH: 'acme' is not a GitLab repository"):
        resolve(None, "acme", "git@gitlab.com:x/y.git")  # never falls back to the remote
    with pytest.raises(BadInput, match="origin remote is not a GitLab repository"):
        resolve(None, None, "git@example.org:x/y.git")
    with pytest.raises(BadInput, match="no GitLab repository"):
        resolve(None, None)


class Lost(Exception):
    """A 502 that may hide an applied write."""


def test_settle_looks_before_writing_again() -> None:
    sent: list[int] = []
    applied: list[int] = []

    def write_lost_once() -> str:
        sent.append(1)
        applied.append(1)
        if len(sent) == 1:
            raise Lost()
        return "ok"

    assert hosting.settle(write_lost_once, lambda: bool(applied), lambda e: isinstance(e, Lost)) is None
    assert len(sent) == 1  # found applied: not sent again

    def refused() -> str:
        sent.append(1)
        raise Lost()

    sent.clear()
    with pytest.raises(Lost):
        hosting.settle(refused, lambda: False, lambda e: isinstance(e, Lost))
    assert len(sent) == hosting.WRITE_ATTEMPTS
    sent.clear()
    with pytest.raises(Lost):
        hosting.settle(refused, lambda: False, lambda e: isinstance(e, Lost), give_up=lambda e: True)
    assert len(sent) == 1
    with pytest.raises(ValueError):
        hosting.settle(lambda: int("x"), lambda: True, lambda e: isinstance(e, Lost))


def test_an_issue_has_vanished_only_when_a_second_read_says_so() -> None:
    reads: list[str] = []

    def confirm(answer: bool) -> bool:
        reads.append("read")
        return answer

    assert hosting.vanished(404, "3", lambda: confirm(True)) and hosting.vanished(410, "3", lambda: confirm(True))
    assert not hosting.vanished(404, "3", lambda: confirm(False))  # still there: the 404 was about something else
    assert len(reads) == 3
    for status, request_id in ((403, "3"), (500, "3"), (None, "3"), (404, "forum-12")):
        assert not hosting.vanished(status, request_id, lambda: confirm(True))
    assert len(reads) == 3  # no read spent on what cannot be a vanished issue


# -- the release-notes skeleton, on a host kept in memory ----------------------------------


class _Refused(Exception):
    """An in-memory host's error: the HTTP status it stands for."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class _MemoryHost(codehost.CodeHost):
    """A code host whose releases are a dict: the base's rules without any client."""

    name, host, api_error = "memory", "Memory", _Refused

    def __init__(self) -> None:
        from tracker._config import Config
        from tracker.hooks import Context

        super().__init__(Context(config=Config(), root=Path("."), git_dir=Path(".git"), env={}))
        self.releases: dict[str, str] = {}

    @property
    def slug(self) -> str:
        return "acme/app"

    def _write(self, write: Callable[[], T], landed: Callable[[], bool], repeatable: bool = False) -> T | None:
        return hosting.settle(write, landed, lambda exc: isinstance(exc, _Refused) and exc.status >= 500)

    def _already_exists(self, exc: Exception) -> bool:
        return isinstance(exc, _Refused) and exc.status == 422

    def _releases(self) -> writers.Releases:
        return _PersonMeanwhile(self)


class _PersonMeanwhile(writers.Releases):
    """Our create is answered 502 (not applied) while a person creates the release by hand."""

    host: _MemoryHost

    def find(self, tag: str) -> writers.Release | None:
        body = self.host.releases.get(tag)
        return None if body is None else writers.Release(body)

    def create(self, tag: str, body: str) -> None:
        if tag in self.host.releases:
            raise _Refused(422)  # the tag's release exists already
        self.host.releases[tag] = "Notes by a person.\n"  # made by a person while our request was in flight…
        raise _Refused(502)  # …and ours was lost

    def update(self, tag: str, release: writers.Release, body: str) -> None:
        self.host.releases[tag] = body


def test_a_release_made_meanwhile_after_a_lost_answer_gets_the_section() -> None:
    """Finding *a* release after a lost answer is not finding ours: it is updated, not taken as done."""
    host = _MemoryHost()
    assert host.release_notes("v2", "## v2") == ["memory: release v2 notes"]
    assert host.releases["v2"] == "Notes by a person.\n\n<!-- tracker:start -->\n## v2\n<!-- tracker:end -->\n"
    assert host.release_notes("v2", "## v2") == []  # unchanged: nothing written
