"""The reference grammar: every link rule of DESIGN.md, with a positive and a negative case."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker._grammar import Repository, conventional_types, parse

REPO = Repository("acme/app")


@pytest.mark.parametrize("message, closes", [
    ("Fixes #12", ["12"]),
    ("fix #12", ["12"]),
    ("FIXED #12", ["12"]),
    ("close #1", ["1"]),
    ("closes #1", ["1"]),
    ("Closed #1", ["1"]),
    ("resolve #2", ["2"]),
    ("Resolves #2", ["2"]),
    ("resolved: #2", ["2"]),
    ("Fixes #1, #2 and #3", ["1", "2", "3"]),
    ("closes #1 & #2, and #3", ["1", "2", "3"]),
    ("Dark mode\n\nCloses: #12", ["12"]),
    ("Dark mode\n\nImplements: #12", ["12"]),
    ("Resolves GH-7", ["7"]),
    ("fixes acme/app#9", ["9"]),
    ("Fixes ACME/App#9", ["9"]),
    ("Closes https://github.com/acme/app/issues/77", ["77"]),
    ("fix: #34", ["34"]),
    ("fix(ui)!: #34", ["34"]),
    ("This fixes #5 and #6, closes #7", ["5", "6", "7"]),
    ("Fixes other/repo#4 and #5", ["5"]),
])
def test_closing_references(message: str, closes: list[str]) -> None:
    assert list(parse(message, REPO).closes) == closes


@pytest.mark.parametrize("message, refs", [
    ("see #7", ["7"]),
    ("refs #7", ["7"]),
    ("part of #7", ["7"]),
    ("Fix the crash in #7's dialog handler, see #8", ["8"]),
    ("fixes #1\n\nsee #2", ["2"]),
    ("Implementing #5 next week", ["5"]),
])
def test_mentions_are_never_closing(message: str, refs: list[str]) -> None:
    parsed = parse(message, REPO)
    for ref in refs:
        assert ref in parsed.refs
        assert ref not in parsed.closes


@pytest.mark.parametrize("message", [
    "Fixes other/repo#4",
    "Closes https://github.com/other/app/issues/77",
    "see C#1 and abc#2",
    "HTML entity &#39; here",
    "fixes #1234567890123",
    "prefix#12 is not a ref",
])
def test_not_references_here(message: str) -> None:
    parsed = parse(message, REPO)
    assert parsed.closes == ()
    assert [r for r in parsed.refs if r in ("4", "77", "1", "2", "39", "12")] == []


def test_keyword_must_precede_the_reference() -> None:
    assert parse("#12 fixes nothing", REPO).closes == ()
    assert parse("a fix for #12", REPO).closes == ()
    assert parse("Fixing #12", REPO).closes == ()


def test_merge_and_squash_commits_stand_for_their_pull() -> None:
    merge = parse("Merge pull request #40 from alice/dark-mode\n\nDark mode", REPO)
    assert merge.pull == "40" and merge.refs == () and merge.closes == ()
    squash = parse("Add dark mode (#41)", REPO)
    assert squash.pull == "41" and squash.refs == ()
    assert parse("Add (#41) dark mode", REPO).pull is None
    mr = parse("Dark mode\n\nSee merge request acme/app!12", REPO)
    assert mr.pull == "12"
    assert parse("Dark mode\n\nSee merge request other/app!12", REPO).pull is None


@pytest.mark.parametrize("message, closes, refs", [
    ('Revert "Fix #12"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.\n\nFixes #13', ("13",),
     ("12",)),
    ("Fix #9 by going back\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567, which fixed #4.", ("9",),
     ("4",)),
    ('[8.3.x] Revert "Fix #12"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.', (), ("12",)),
])
def test_a_reverts_own_closing_references_count_and_its_quotation_does_not(
        message: str, closes: tuple[str, ...], refs: tuple[str, ...]) -> None:
    parsed = parse(message, REPO)
    assert parsed.reverts == ("0123456789abcdef0123456789abcdef01234567",)
    assert (parsed.closes, parsed.refs) == (closes, refs)


def test_revert_names_its_target_and_its_quoted_subject_does_not_close() -> None:
    parsed = parse('Revert "Fix #12"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.', REPO)
    assert parsed.reverts == ("0123456789abcdef0123456789abcdef01234567",)
    assert parsed.closes == () and parsed.refs == ("12",)
    assert parse("Reverting the layout", REPO).reverts == ()


def test_cherry_pick_trailer() -> None:
    parsed = parse("Fix crash\n\n(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)", REPO)
    assert parsed.cherry_of == ("0123456789abcdef0123456789abcdef01234567",)
    assert parse("cherry picked the best bits", REPO).cherry_of == ()


def test_conventional_types() -> None:
    assert conventional_types(["feat(ui): dark mode", "fix!: crash", "Dark mode: at last"]) == ["feat", "fix", None]


@pytest.mark.parametrize("hostile", [
    "#1" * 500_000,
    "#" * 1_000_000,
    "fixes #" * 150_000,
    "https://x/" * 100_000,
    "a" * 1_000_000 + " fixes #1",
    " #12345" * 140_000,
])
def test_hostile_input_stays_linear(hostile: str) -> None:
    # Not a timing assertion on speed, a guard against catastrophic backtracking:
    # anything non-linear takes minutes here, linear takes well under a second.
    started = time.perf_counter()
    parse(hostile, REPO)
    assert time.perf_counter() - started < 10


_ALPHABET = st.sampled_from(["#", "1", "12", " ", ",", "and", "fixes", "Closes:", "see", "GH-", "\n",
                             "acme/app", "other/x", "https://github.com/acme/app/issues/", "(", ")", "é", "@"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_parser_never_raises_and_mentions_never_close(text: str) -> None:
    parsed = parse(text, REPO)
    assert not set(parsed.closes) & set(parsed.refs)
    mention_only = parse("see " + text.replace("fixes", "").replace("Closes:", ""), REPO)
    if "fix" not in text.lower() and "close" not in text.lower():
        assert mention_only.closes == ()


@pytest.mark.parametrize("message", [
    b"plain words", b"Fixes #1", b"see https://x/y", b"GH-3", b"gh-3", b"Revert it", b"REVERT", b"cherry",
    b"(CHERRY picked)", b"See merge request a/b!1", b"x-y", b"evert",
])
def test_the_block_prefilter_agrees_with_the_message_prefilter(message: bytes) -> None:
    from tracker._grammar import maybe_bytes, maybe_records

    block = b"\0".join([b"before", message, b"after"])
    starts = [len(b"before") + 1, len(b"before") + len(message) + 2, len(block) + 1]
    assert (1 in maybe_records(block, starts)) is maybe_bytes(message)


# Pieces a message is made of, chosen so that plain messages (ASCII, `#N` references only)
# and the ones just outside that shape (a joined `#`, a leading zero, an `owner/repo#N`, a
# URL, a revert, a squash subject) are both common.
_PIECES = ["Fixes", "fix", "FIXED", "closes", "Close", "resolved", "Resolves", "implements", "Implements:",
           "prefix", "fixture", "enclosed", "#1", "#12", "#012", "#1234567890", "#12x", "#", "##3", "acme/app#3",
           "other/repo#4", "C#5", "&#39;", "(ui)", "(#7)", "!", ":", " ", "  ", "\n", "\n\n", "\r\n", "\t",
           ",", "&", "and", "And", "andx", "x", "_", ".", "-", "/", "(", ")", "GH-4",
           "https://github.com/acme/app/issues/8", "Revert \"x\"", "This reverts commit abcdef1",
           "(cherry picked from commit abcdef12)", "Merge pull request #9 from x", "é", "１", " " * 33]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=24).map("".join))
def test_the_plain_reading_says_what_the_token_walk_says(message: str) -> None:
    """Most messages are read by a few whole-message scans (`_plain`); any message the token
    walk (`_parse`) reads otherwise would be linked differently on the two paths."""
    from tracker._grammar import _parse

    for repo in (REPO, Repository("acme/app", hub="acme/feedback"), Repository()):
        assert parse(message, repo) == _parse(message, message.lower(), repo), repr(message)


def test_a_plain_message_is_read_without_the_token_walk() -> None:
    """The usual message takes the whole-message scans: a list after a keyword, mentions
    elsewhere, a number closed and mentioned counted once, leading zeros dropped."""
    from tracker._grammar import _plain

    message = "feat: dark mode\n\nFixes #1, #02 and\n#3. See #4 and #1; fixture #5\nCloses: #6"
    assert _plain(message, message.lower()) == parse(message, REPO)
    assert parse(message, REPO).closes == ("1", "2", "3", "6")
    assert parse(message, REPO).refs == ("4", "5")
