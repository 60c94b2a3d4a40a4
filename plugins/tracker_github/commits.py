"""Who wrote a build's commits, as GitHub knows them: the account behind each author.

A git author's name is never a login (DESIGN "Who is credited"); GitHub links a
commit to the account whose verified email wrote it. The commit listing
(`GET /repos/{o}/{r}/commits?sha=HEAD`, newest first, 100 a page) carries that
account for every commit it lists, so the few commits that shipped something are
found in a page or two of a weekly build, never with a call per commit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from github import GithubException

if TYPE_CHECKING:
    from github.Repository import Repository as GhRepository

PAGE = 100
# The listing is read at most this far (1,000 commits): past that, a range's authors are
# named by their no-reply address or `credits.logins` (a batched GraphQL look-up would
# find them in one call per 100 commits wherever they are).
MAX_PAGES = 10


def logins(repo: GhRepository, shas: Sequence[str], head: str, within: int) -> dict[str, str]:
    """sha → login of the author's GitHub account, for the commits of `shas` that GitHub links
    to an account, among the newest `within` (+ one page) commits reachable from `head`."""
    wanted = {sha.lower() for sha in shas}
    found: dict[str, str] = {}
    if not wanted:
        return found
    listing = repo.get_commits(sha=head)
    for index in range(min(math.ceil(within / PAGE) + 1, MAX_PAGES)):
        try:
            page = listing.get_page(index)
        except GithubException as exc:
            # 404/422: GitHub does not have this history (not pushed); 409: an empty repository;
            # 403: a token without `contents: read`. Authors are then named as git has them.
            if exc.status in (403, 404, 409, 422):
                return found
            raise
        for commit in page:
            sha = commit.sha.lower()
            if sha in wanted:
                wanted.discard(sha)
                author = commit.author  # from the listing's own data: no request
                if author is not None and author.login and author.login != "ghost":
                    found[sha] = str(author.login)
        if len(page) < PAGE or not wanted:
            break
    return found
