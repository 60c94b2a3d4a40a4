"""Credits: each person once per request in their most honourable role; bots and
`credits.exclude` left out, however the patterns are given."""

from __future__ import annotations

from tracker._model import Request
from tracker.credit import Duplicates, Part, people, tally

REQUESTS = {
    "1": Request(id="1", title="Dark mode", author="Ann"),
    "2": Request(id="2", title="Dark theme", author="bob", duplicate_of="1"),
    "3": Request(id="3", title="Export", author="renovate[bot]"),
}
VOTERS = {"1": ["dependabot[bot]", "cy", "ANN", "dee"], "2": ["Cy", "eve", "bob"], "3": ["ann", "cy"]}


def test_people_leave_out_bots_and_excluded_logins_given_as_any_iterable() -> None:
    for exclude in (["*[bot]", "e?e"], ("*[bot]", "e?e"), (p for p in ["*[bot]", "e?e"])):
        patterns = list(exclude)
        for given in (patterns, iter(patterns)):
            who = people("1", REQUESTS, VOTERS, given, Duplicates(REQUESTS))
            assert (who.author, who.co_authors, who.voters) == ("Ann", ["bob"], ["cy", "dee"])
    bot = people("3", REQUESTS, VOTERS, iter(["*[bot]"]))
    assert (bot.author, bot.voters) == (None, ["ann", "cy"])


def test_tally_counts_each_person_once_per_request_and_leaves_out_excluded_builders() -> None:
    one = people("1", REQUESTS, VOTERS, ["*[bot]"], Duplicates(REQUESTS))
    three = people("3", REQUESTS, VOTERS, ["*[bot]"])
    credits = tally([Part("1", one, builders=["Cy", "cy", "github-actions[bot]"]), Part("3", three, builders=["ann"])],
                    iter(["*[bot]"]))
    table = {c.login.lower(): (c.suggested, c.voted, c.built) for c in credits}
    assert table == {
        "ann": (["1"], ["3"], ["3"]),
        "bob": (["1"], [], []),
        "cy": ([], ["1", "3"], ["1"]),
        "dee": ([], ["1"], []),
        "eve": ([], ["1"], []),
    }
    assert [c.login for c in credits][:2] == ["Ann", "bob"]  # most suggested first, then by login
