"""The issue system's answers about builds, each read once per command.

A command that reports several builds (`release` with the site, `fans`, `demo`)
asks about the same voters, pull requests and commit authors again and again;
on GitHub each answer is an API call. Answers are kept per id, so no id is read
twice. With `fresh` off, nothing new is read at all: what was not read already is
answered as unknown (no voters, no confirmed pull request, no account), unless the
issue system says its reads cost no API call (`local_reads`, the local store).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tracker._contract import IssueSystem
from tracker._model import PullRequest


class ReadOnce:
    """Voters, pull requests and commit logins from one issue system, cached per id."""

    def __init__(self, issues: IssueSystem):
        self.issues = issues
        self.fresh = True  # may an id nobody asked about yet be read?
        self._voters: dict[str, list[str]] = {}
        self._pulls: dict[tuple[str, str], PullRequest | None] = {}  # (sha, number) → the confirmed PR
        self._logins: dict[str, str | None] = {}

    @property
    def may_read(self) -> bool:
        """Can an answer not read yet be read now?"""
        return self.fresh or bool(getattr(self.issues, "local_reads", False))

    def voters(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """`IssueSystem.voters`, each request's read once."""
        missing = [rid for rid in dict.fromkeys(ids) if rid not in self._voters]
        if missing and self.may_read:
            self._voters.update(self.issues.voters(missing))
        return {rid: self._voters[rid] for rid in ids if rid in self._voters}

    def pulls(self, claims: Mapping[str, str]) -> dict[str, PullRequest]:
        """`IssueSystem.pulls`, each (commit, number) claim's confirmation read once."""
        missing = {sha: number for sha, number in claims.items() if (sha, number) not in self._pulls}
        if missing and self.may_read:
            found = self.issues.pulls(missing)
            self._pulls.update({(sha, number): found.get(number) for sha, number in missing.items()})
        out: dict[str, PullRequest] = {}
        for sha, number in claims.items():
            pull = self._pulls.get((sha, number))
            if pull is not None:
                out[number] = pull
        return out

    def commit_logins(self, shas: Sequence[str], head: str, within: int) -> dict[str, str]:
        """`IssueSystem.commit_logins`, each commit's read once (none from a plugin that predates it)."""
        ask = getattr(self.issues, "commit_logins", None)
        missing = [sha for sha in dict.fromkeys(shas) if sha not in self._logins]
        if missing and ask is not None and self.may_read:
            found = ask(missing, head, within)
            self._logins.update({sha: found.get(sha) for sha in missing})
        return {sha: login for sha in shas for login in [self._logins.get(sha)] if login is not None}
