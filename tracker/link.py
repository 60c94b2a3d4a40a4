"""Link: which requests a build's range names — through its commits, the commits its
reverts and cherry-picks name, and the pull requests behind them (DESIGN "Link rules").

The scan (`tracker._scan`, run by the collector as git streams) has already read what
each commit says; here the pull requests are asked for and what they say is added.
A duplicate stands for the request it was merged into.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING

from tracker import _grammar as grammar
from tracker._model import PullRequest, Request, root

if TYPE_CHECKING:
    from tracker._scan import Linked, Scanned

_CLOSES = attrgetter("closes")


def pull_claims(scanned: Scanned, originals: Mapping[str, Linked]) -> tuple[dict[str, str], set[str]]:
    """(commit sha → the pull request number its message names, for the range's commits and
    the originals of its cherry-picks; the numbers of the range's own pull requests)."""
    claims = scanned.pull_claims()
    own = set(claims.values())  # the build's own pull requests (not those of other lines)
    for item in originals.values():
        if item.parsed.pull:
            claims[item.sha] = item.parsed.pull
    return claims, own


def requests_named(scanned: Scanned, originals: Mapping[str, Linked], pulls: Mapping[str, PullRequest],
                   requests: Mapping[str, Request], repo: grammar.Repository) -> set[str]:
    """The requests the range may ship: those its commits, their originals and their pull
    requests close (a duplicate by the request it was merged into), and their duplicates."""
    named = set(chain.from_iterable(map(_CLOSES, chain(scanned.said, (o.parsed for o in originals.values())))))
    for pull in pulls.values():
        named.update(grammar.references(pull.body or "", repo)[0])
        named.update(pull.closes)
    roots = {root(i, requests) for i in named if i in requests}
    return roots | {d for d, r in requests.items() if r.duplicate_of in roots}
