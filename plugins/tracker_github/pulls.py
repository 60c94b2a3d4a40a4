"""The pull requests behind a build's merge and squash commits.

A commit's subject only *claims* a pull request (`Merge pull request #40`,
`Title (#41)`); the claim counts when GitHub agrees: the pull was merged and
the claiming commit is its merge commit, or GitHub lists the pull as
associated with that commit. A pull merged into a branch that is not in the
build therefore ships nothing, and a number that is an issue is skipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from github import GithubException, UnknownObjectException

from tracker.hooks import PullRequest, Repository, claims_by_number, pull_request

if TYPE_CHECKING:
    from github.PullRequest import PullRequest as GhPull
    from github.Repository import Repository as GhRepository

PAGE = 100


def _recent(repo: GhRepository, wanted: set[int]) -> dict[int, GhPull]:
    """Claimed pulls among the most recently updated closed ones: one page covers a usual week."""
    found: dict[int, GhPull] = {}
    listing = repo.get_pulls(state="closed", sort="updated", direction="desc")
    for index in range(math.ceil(len(wanted) / PAGE)):
        page = listing.get_page(index)
        found.update({p.number: p for p in page if p.number in wanted})
        if len(page) < PAGE or len(found) == len(wanted):
            break
    return found


def _associated(repo: GhRepository, pull: GhPull, sha: str) -> bool:
    """Does GitHub agree that commit `sha` brought `pull` in?"""
    if (pull.merge_commit_sha or "").lower() == sha:
        return True
    # Rebase merges and rewritten histories: ask GitHub which pulls contain the commit.
    try:
        return any(p.number == pull.number for p in repo.get_commit(sha).get_pulls())
    except GithubException as exc:
        if exc.status in (404, 422):  # GitHub does not know this commit: it was never pushed there
            return False
        raise


def fetch(repo: GhRepository, claims: Mapping[str, str], repository: Repository) -> dict[str, PullRequest]:
    """Pull number → PullRequest for every claim GitHub knows as a pull request.

    `merged` is true only when the pull was merged *and* one claiming commit is
    associated with it. `closes` holds the closing references of the pull's body
    (what GitHub itself acts on when it merges into the default branch); links
    made by hand in GitHub's sidebar are not visible through REST v3 per pull.
    """
    by_number = claims_by_number(claims)
    if not by_number:
        return {}
    found = _recent(repo, set(by_number))
    for number in sorted(set(by_number) - set(found)):
        try:
            pull = repo.get_pull(number)
            _ = pull.merged_at  # a lazy client only fetches here; a 404 means it is an issue
        except UnknownObjectException:
            continue
        found[number] = pull
    out: dict[str, PullRequest] = {}
    for number in sorted(found):
        pull = found[number]
        merged = pull.merged_at is not None and any(_associated(repo, pull, sha) for sha in by_number[number])
        author = pull.user.login if pull.user is not None else None
        out[str(number)] = pull_request(number, pull.title, pull.body, author, merged,
                                        pull.base.ref if pull.base is not None else None, pull.html_url,
                                        (label.name for label in pull.labels or ()), repository)  # listed: no read
    return out
