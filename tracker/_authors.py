"""Collect: who wrote what, asked of git: the credit trailers of shipping commits,
`.mailmap`'s canonical names, whether an author had a commit before, and the topology
(authors and parents) the release notes group a range by.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable, Sequence

from tracker._git import GitFailed, Log, Repo

# The trailers that credit people (DESIGN "Who is credited"), as git itself parses them.
CREDIT_TRAILERS = ("co-authored-by", "suggested-by", "reported-by", "tested-by")


_TRAILERS = "%(trailers:" + ",".join(f"key={key}" for key in CREDIT_TRAILERS) + ",unfold,separator=%x1e)"


def credit_trailers(repo: Repo, shas: Iterable[str]) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """sha → (author `Name<email>` after `.mailmap`, [(trailer key in lower case, value)]) of
    the commits `shas`, in one `git log --no-walk` (the shas on its stdin: a long range ships
    tens of thousands, more than a command line holds): only commits that ship something ask."""
    from tracker._model import decode

    wanted = sorted(set(shas))
    if not wanted:
        return {}
    fmt = f"--format=tformat:%H%x1f%aN<%aE>%x1f{_TRAILERS}"
    done = subprocess.run(repo._command(["log", "--no-walk=unsorted", "--stdin", fmt, "-z", "--no-color"]),
                          cwd=repo.work_tree, input="\n".join(wanted).encode("ascii") + b"\n", capture_output=True)
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitFailed(f"git log failed: {detail[-1] if detail else f'exit {done.returncode}'}")
    out: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for record in done.stdout.split(b"\0"):
        parts = decode(record.strip(b"\n")).split("\x1f", 2)
        if len(parts) != 3:
            continue
        sha, ident, text = parts
        trailers = []
        if text:
            for line in text.split("\x1e"):
                key, colon, value = line.partition(":")
                if colon and value.strip():
                    trailers.append((key.strip().lower(), value.strip()))
        out[sha] = (ident, trailers)
    return out


def mailmap(repo: Repo, contacts: Iterable[str]) -> dict[str, str]:
    """`Name <email>` → its canonical form by the repository's `.mailmap` (git's own
    `check-mailmap`, one process for all); unchanged contacts map to themselves."""
    wanted = sorted(set(contacts))
    if not wanted:
        return {}
    done = subprocess.run(repo._command(["check-mailmap", "--stdin"]), cwd=repo.work_tree,
                          input="\n".join(wanted).encode("utf-8") + b"\n", capture_output=True)
    answers = done.stdout.decode("utf-8", "replace").splitlines() if done.returncode == 0 else []
    if len(answers) != len(wanted):
        return {contact: contact for contact in wanted}  # a contact git refused: keep them as written
    return dict(zip(wanted, answers, strict=True))


_ERE_SPECIAL = frozenset(".[]()*+?{}|^$\\")


def ere_literal(text: str) -> str:
    """`text` as a POSIX extended regular expression that matches it as written."""
    return "".join("\\" + char if char in _ERE_SPECIAL else char for char in text)


def authors_before(repo: Repo, tip: str, patterns: Iterable[str], key: Callable[[str], str | None],
                   count: int) -> set[str]:
    """The keys (`key` of an author email, after `.mailmap`; None for no one wanted) of the
    commits reachable from `tip` whose author matches any fixed-string `patterns` (such as
    `<alice@example.org>`). git filters the walk in C; reading stops once `count` keys are found."""
    from tracker._model import decode

    found: set[str] = set()
    wanted = sorted(set(patterns))
    if count <= 0 or not wanted:
        return found
    # One pattern for all (git tries each --author on every commit): the fixed strings, escaped.
    pattern = "|".join(map(ere_literal, wanted))
    log = Log(repo, ["--use-mailmap", "-i", "-E", f"--author={pattern}", tip, "--"], "%aE")
    try:
        for block in log:
            for email in block.split(b"\0"):
                hit = key(decode(email.strip(b"\n")))
                if hit is not None:
                    found.add(hit)
                    if len(found) >= count:
                        return found
    finally:
        log.close()
    return found


def topology(repo: Repo, previous: str | None, build: str,
             paths: Sequence[str] = ()) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """(sha → author email after `.mailmap`, sha → parents, the range's
    first-parent line from `build` (a full sha) down) of `previous..build`, in one `git log`."""
    emails: dict[str, str] = {}
    parents: dict[str, list[str]] = {}
    revisions = [build] if previous is None else [build, f"^{previous}"]
    # With `paths`, parents are rewritten to the commits touching them (the line stays a line).
    for block in Log(repo, [*(["--parents"] if paths else []), *revisions, "--", *paths],
                     "%H%x1f%P%x1f%aE"):
        for record in block.split(b"\0"):
            sha, _, rest = record.strip(b"\n").decode("utf-8", "replace").partition("\x1f")
            above, _, email = rest.partition("\x1f")
            if sha:
                emails[sha] = email
                parents[sha] = above.split()
    line = []
    at: str | None = build
    while at is not None and at in parents:
        line.append(at)
        at = parents[at][0] if parents[at] else None
    return emails, parents, line
