"""What the site shows, as plain data for its templates: builds, fans, cards, the roadmap.

Pure functions of the build reports and the open requests, so the site after
publishing build B is the same whatever order builds were published in, and a
rerun produces the same bytes. Everything a template links to is computed here
(page names, card paths, issue links checked to be http(s)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from tracker import hooks
from tracker.hooks import Report, Request, Shipped, top_requests, valid_login

FEED_LIMIT = 50
FAME_ON_INDEX = 10
ROADMAP_SIZE = 10
SUGGESTED = "suggested"
CO_SUGGESTED = "co-suggested"
VOTED = "voted"
BUILT = "built"


def page_name(build: str) -> str:
    """The file of a build's page under `builds/`: the tag, with `%` and `/` (allowed in tags)
    percent-encoded, so two builds never share a page (`v2/rc` and `v2-rc`, `v2%2Frc`)."""
    return build.replace("%", "%25").replace("/", "%2F") + ".html"


def href(path: str) -> str:
    """A site-relative path as a link (logins and tags may hold any letter)."""
    return quote(path, safe="/.-_~")


def safe_link(url: str | None) -> str | None:
    """`url` when it is http(s); None otherwise (an imported `javascript:` URL must not become a link)."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


def display_name(project: str | None, fallback: str) -> str:
    """The project's short name for headings and share texts: `lumen` for `lumen-app/lumen`."""
    return (project or fallback).rstrip("/").rsplit("/", 1)[-1] or fallback


@dataclass(frozen=True)
class Honour:
    """The request a fan's card celebrates: their role in it and the build that shipped it."""

    login: str
    role: str
    request: Shipped
    build: str
    date: str | None


def honours(reports: Sequence[Report], mode: str) -> dict[str, Honour]:
    """One card per fan (key: lower-case login): a suggestion beats a vote, then the newest build.

    `mode` is `site.cards`: `authors` (suggesters and co-suggesters) or `all` (voters too).
    Reports come newest first, so the first honour found in a role is the newest.
    """
    found: dict[str, Honour] = {}
    passes = [(SUGGESTED, CO_SUGGESTED)] + ([(VOTED,)] if mode == "all" else [])
    for roles in passes:
        for data in reports:
            for entry in data["shipped"]:
                people = [(entry["author"], SUGGESTED)] + [(c, CO_SUGGESTED) for c in entry["co_authors"]]
                people += [(v, VOTED) for v in entry["voters"]]
                for login, role in people:
                    if role in roles and login and valid_login(login) and login.lower() not in found:
                        found[login.lower()] = Honour(login, role, entry, data["build"], data.get("date"))
    return found


def live_shipped(reports: Sequence[Report]) -> set[str]:
    """Ids shipped by these builds and not withdrawn by a later one (reports newest first)."""
    live: set[str] = set()
    for data in reversed(reports):
        live |= {s["id"] for s in data["shipped"]}
        live -= {w["id"] for w in data["withdrawn"]}
    return live


def _person(login: str, role: str, cards: Mapping[str, Honour]) -> dict[str, Any]:
    card = cards.get(login.lower())
    if card is None:
        return {"login": login, "role": role, "card": None, "svg": None, "honour": None}
    return {"login": login, "role": role, "card": href(f"cards/{card.login}.png"),
            "svg": href(f"cards/{card.login}.svg"),
            "honour": {"role": card.role, "title": card.request["title"], "build": card.build}}


def _request(entry: Shipped, cards: Mapping[str, Honour]) -> dict[str, Any]:
    return {
        "id": entry["id"], "title": entry["title"], "link": safe_link(entry.get("url")), "votes": entry["votes"],
        "author": _person(entry["author"], SUGGESTED, cards) if entry["author"] else None,
        "co_authors": [_person(c, CO_SUGGESTED, cards) for c in entry["co_authors"]],
        "voters": [_person(v, VOTED, cards) for v in entry["voters"]],
        "builders": [_person(b, BUILT, cards) for b in entry.get("builders", [])],
        "builder_names": list(entry.get("builder_names", [])),  # no login known: plain text, never @name
    }


def _fans(data: Report, cards: Mapping[str, Honour]) -> list[dict[str, Any]]:
    """Every credited fan of one build, with the one thing their share text celebrates."""
    shipped = {s["id"]: s for s in data["shipped"]}
    fans = []
    for credit in data["credits"]:
        role, rid = next(((r, ids[0]) for r, ids in ((SUGGESTED, credit["suggested"]), (BUILT, credit["built"]),
                                                      (VOTED, credit["voted"])) if ids), (None, None))
        if role is None or rid is None or rid not in shipped:
            continue
        entry = shipped[rid]
        if role == SUGGESTED and credit["login"].lower() != (entry["author"] or "").lower():
            role = CO_SUGGESTED
        person = _person(credit["login"], role, cards)
        person.update(title=entry["title"], votes=entry["votes"], request=rid,
                      suggested=len(credit["suggested"]), voted=len(credit["voted"]), built=len(credit["built"]))
        fans.append(person)
    return fans


def build_view(data: Report, cards: Mapping[str, Honour]) -> dict[str, Any]:
    """One build as its page shows it."""
    return {
        "build": data["build"], "previous": data.get("previous"), "date": data.get("date"),
        "commits": data.get("commits", 0), "page": href("builds/" + page_name(data["build"])),
        "shipped": [_request(s, cards) for s in data["shipped"]],
        "withdrawn": [{"id": w["id"], "title": w["title"], "link": safe_link(w.get("url"))} for w in data["withdrawn"]],
        "fans": _fans(data, cards),
    }


def hall_of_fame(reports: Sequence[Report], cards: Mapping[str, Honour]) -> list[dict[str, Any]]:
    """`tracker fans` rows, each with its card and the titles of what the fan suggested."""
    titles = {s["id"]: s["title"] for data in reversed(reports) for s in data["shipped"]}
    rows = []
    for row in hooks.hall_of_fame(reports):
        person = _person(row["login"], SUGGESTED if row["suggested"] else VOTED, cards)
        person.update(suggested=[{"id": i, "title": titles.get(i, "")} for i in row["suggested"]],
                      voted=len(row["voted"]), built=len(row["built"]), builds=len(row["builds"]))
        rows.append(person)
    return rows


def roadmap(requests: Iterable[Request], shipped: set[str]) -> list[dict[str, Any]]:
    """The most-voted open requests not shipped yet (an issue system may leave a shipped one open);
    `requests` come with their URLs."""
    rows = top_requests([r for r in requests if r.id not in shipped], ROADMAP_SIZE, lambda _: None)
    return [{**row, "link": safe_link(row["url"])} for row in rows]


def model(reports: Sequence[Report], requests: Iterable[Request], cards_mode: str,
          fallback_name: str) -> dict[str, Any]:
    """Everything the site's templates are given; `reports` are every build up to this one, newest
    first; `requests` every request, with its URL (the roadmap)."""
    latest = reports[0]
    cards = honours(reports, cards_mode)
    builds = [build_view(data, cards) for data in reports]
    return {
        "project": latest.get("project") or fallback_name,
        "feed_id": "urn:tracker:" + quote(latest.get("project") or fallback_name, safe="/-._~"),
        "name": display_name(latest.get("project"), fallback_name),
        "latest": builds[0],
        "builds": builds,
        "feed": builds[:FEED_LIMIT],
        "fame": hall_of_fame(reports, cards),
        "fame_on_index": FAME_ON_INDEX,
        "roadmap": roadmap(requests, live_shipped(reports)),
        "honours": cards,
    }
