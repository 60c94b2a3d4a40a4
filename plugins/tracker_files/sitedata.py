"""What the site shows, as plain data for its templates: builds, fans, cards, awards, the roadmap.

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
AWARDS_SIZE = 10
SUGGESTED = "suggested"
CO_SUGGESTED = "co-suggested"
REPORTED = "reported"
VOTED = "voted"
BUILT = "built"
TESTED = "tested"
# What a fan is credited for, in the order their box and page list it.
ROLES = (SUGGESTED, REPORTED, TESTED, BUILT, VOTED)
# The roles whose requests shipping put an entry in the fan's own feed.
FEED_ROLES = (SUGGESTED, VOTED, REPORTED)
# Awards: the credit counted, per category.
AWARDS = (SUGGESTED, REPORTED, VOTED, BUILT)


def build_folder(build: str) -> str:
    """A build's name as one path segment: `%` and `/` (allowed in tags) percent-encoded, so two
    builds never share a page or a card folder (`v2/rc` and `v2-rc`, `v2%2Frc`)."""
    return build.replace("%", "%25").replace("/", "%2F")


def page_name(build: str) -> str:
    """The file of a build's page under `builds/` (see `build_folder`)."""
    return build_folder(build) + ".html"


def report_name(build: str) -> str:
    """The file under `reports/` holding the build's report as the site published it."""
    return build_folder(build) + ".json"


def href(path: str) -> str:
    """A site-relative path as a link (logins and tags may hold any letter)."""
    return quote(path, safe="/.-_~")


def ref(rid: str, own: str | None = None) -> str:
    """A request id as pages show it: `#12`; `acme/app#12` once ids are qualified (merged reports:
    `own` names this repository, whose ids are not)."""
    if "#" in rid:
        return rid
    return f"{own}#{rid}" if own else f"#{rid}"


def repository_of(name: str, own: str) -> str:
    """The repository a (qualified) id or build name belongs to: `acme/app` for `acme/app#12`."""
    for mark in ("#", "@"):
        if mark in name:
            return name.split(mark, 1)[0]
    return own


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
    """One fan's card in one build: the request (or fixed bug report) it celebrates and their role."""

    login: str
    role: str  # suggested | co-suggested | reported | voted
    request: Shipped
    build: str
    date: str | None
    first: bool  # the build's report marks this fan `first`

    @property
    def stem(self) -> str:
        """The card's files, without the extension: `cards/B/LOGIN`."""
        return f"cards/{build_folder(self.build)}/{self.login}"


def alive(reports: Sequence[Report]) -> set[tuple[str, str]]:
    """(build, id) for every request or bug report a build shipped or fixed that no later build
    withdrew (reports newest first); a request shipped again after its withdrawal lives again."""
    out: set[tuple[str, str]] = set()
    for data in reversed(reports):
        gone = {w["id"] for w in data["withdrawn"]}
        out = {(build, rid) for build, rid in out if rid not in gone}
        out |= {(data["build"], s["id"]) for s in [*data["shipped"], *data.get("fixed", [])]}
    return out


def honours(reports: Sequence[Report], mode: str) -> list[Honour]:
    """Every card: per build, one for each suggester, co-suggester and reporter of what it shipped
    or fixed and nobody withdrew since (`site.cards: all` adds voters); a fan with several gets
    the most-voted one (`shipped` is ordered by votes), a suggestion before a report, then a vote."""
    live = alive(reports)
    found: list[Honour] = []
    for data in reports:
        firsts = {c["login"].lower() for c in data["credits"] if c.get("first")}
        shipped = [s for s in data["shipped"] if (data["build"], s["id"]) in live]
        fixed = [s for s in data.get("fixed", []) if (data["build"], s["id"]) in live]
        people: list[tuple[str | None, str, Shipped]] = []
        people += [(s["author"], SUGGESTED, s) for s in shipped]
        people += [(c, CO_SUGGESTED, s) for s in shipped for c in s["co_authors"]]
        people += [(s["author"], REPORTED, s) for s in fixed]
        if mode == "all":
            people += [(v, VOTED, s) for s in [*shipped, *fixed] for v in s["voters"]]
        seen: set[str] = set()
        for login, role, entry in people:
            if login and valid_login(login) and login.lower() not in seen:
                seen.add(login.lower())
                found.append(Honour(login, role, entry, data["build"], data.get("date"),
                                    login.lower() in firsts))
    return found


def card_view(card: Honour) -> dict[str, Any]:
    """A card as templates link it: its image, SVG and share page, and what it celebrates."""
    return {"login": card.login, "role": card.role, "title": card.request["title"], "id": card.request["id"],
            "votes": card.request["votes"], "build": card.build, "date": card.date, "first": card.first,
            "png": href(card.stem + ".png"), "svg": href(card.stem + ".svg"), "share": href(card.stem + ".html")}


def live_shipped(reports: Sequence[Report]) -> set[str]:
    """Ids shipped by these builds and not withdrawn by a later one (reports newest first)."""
    live: set[str] = set()
    for data in reversed(reports):
        live |= {s["id"] for s in data["shipped"]}
        live -= {w["id"] for w in data["withdrawn"]}
    return live


class People:
    """Who has a page on the site (every login the hall of fame holds), and where it is."""

    def __init__(self, fame: Sequence[Mapping[str, Any]]):
        self.logins = {row["login"].lower(): row["login"] for row in fame}

    def page(self, login: str) -> str | None:
        known = self.logins.get(login.lower())
        return href(f"fans/{known}.html") if known else None

    def person(self, login: str, role: str) -> dict[str, Any]:
        return {"login": login, "role": role, "page": self.page(login)}


def _request(entry: Shipped, people: People) -> dict[str, Any]:
    return {
        "id": entry["id"], "title": entry["title"], "link": safe_link(entry.get("url")), "votes": entry["votes"],
        "author": people.person(entry["author"], SUGGESTED) if entry["author"] else None,
        "co_authors": [people.person(c, CO_SUGGESTED) for c in entry["co_authors"]],
        "voters": [people.person(v, VOTED) for v in entry["voters"]],
        "builders": [people.person(b, BUILT) for b in entry.get("builders", [])],
        "builder_names": list(entry.get("builder_names", [])),  # no login known: plain text, never @name
    }


def _credited(data: Report, credit: Mapping[str, Any], live: set[tuple[str, str]],
              foreign: frozenset[str] = frozenset(), own: str | None = None) -> list[dict[str, Any]]:
    """What one credit of a build names, as (role, request) items in ROLES order; a build of
    another repository (`foreign`, merged from `site.reports`) has no page on this site."""
    entries = {s["id"]: (s, False) for s in data["shipped"]}
    entries.update({s["id"]: (s, True) for s in data.get("fixed", [])})
    items = []
    for role in ROLES:
        for rid in credit.get(role, ()):
            if rid not in entries or (data["build"], rid) not in live:
                continue
            entry, fixed = entries[rid]
            if role == SUGGESTED and credit["login"].lower() != (entry["author"] or "").lower():
                shown = CO_SUGGESTED
            else:
                shown = role
            page = None if data["build"] in foreign else href("builds/" + page_name(data["build"]))
            items.append({"role": shown, "id": rid, "ref": ref(rid, own), "title": entry["title"],
                          "link": safe_link(entry.get("url")), "votes": entry["votes"], "fixed": fixed,
                          "build": data["build"], "date": data.get("date"), "page": page,
                          "first": bool(credit.get("first")), "where": None})
    return items


def _fans(data: Report, cards: Mapping[tuple[str, str], Honour], people: People,
          live: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """Every credited fan of one build: everything they are credited for, and their card of it."""
    fans = []
    for credit in data["credits"]:
        items = _credited(data, credit, live)
        if not items:
            continue
        card = cards.get((data["build"], credit["login"].lower()))
        fans.append({**people.person(credit["login"], items[0]["role"]), "credited": items,
                     "first": bool(credit.get("first")), "card": card_view(card) if card else None})
    return fans


def build_view(data: Report, cards: Mapping[tuple[str, str], Honour], people: People,
               live: set[tuple[str, str]]) -> dict[str, Any]:
    """One build as its page shows it."""
    return {
        "build": data["build"], "previous": data.get("previous"), "date": data.get("date"),
        "commits": data.get("commits", 0), "page": href("builds/" + page_name(data["build"])),
        "channel": data.get("channel"), "component": data.get("component"),
        "shipped": [_request(s, people) for s in data["shipped"]],
        "fixed": [_request(s, people) for s in data.get("fixed", [])],
        "withdrawn": [{"id": w["id"], "title": w["title"], "link": safe_link(w.get("url"))} for w in data["withdrawn"]],
        "fans": _fans(data, cards, people, live),
    }


def history(builds: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The earlier builds as the index lists them: a run of builds that shipped, fixed and
    withdrew nothing is one row (`quiet`), every other build a row of its own."""
    rows: list[dict[str, Any]] = []
    for view in builds:
        if view["shipped"] or view["fixed"] or view["withdrawn"]:
            rows.append({"build": view, "quiet": None})
        elif rows and rows[-1]["quiet"]:
            rows[-1]["quiet"].append(view)
        else:
            rows.append({"build": None, "quiet": [view]})
    return rows


def hall_of_fame(reports: Sequence[Report], fame: Sequence[Mapping[str, Any]], people: People,
                 own: str | None = None) -> list[dict[str, Any]]:
    """`tracker fans` rows (`fame`: `hooks.hall_of_fame` of `reports`), each with the fan's page,
    rank and the titles of what they suggested; with merged reports (`own` names this
    repository) the repositories each fan is credited in."""
    titles = {s["id"]: s["title"] for data in reversed(reports) for s in [*data["shipped"], *data.get("fixed", [])]}
    rows = []
    for rank, row in enumerate(fame, 1):
        person = people.person(row["login"], SUGGESTED if row["suggested"] else VOTED)
        names = [i for role in ROLES for i in row.get(role, ())] + list(row["builds"])
        person["repositories"] = list(dict.fromkeys(repository_of(n, own) for n in names)) if own else []
        person.update(rank=rank, suggested=[{"id": i, "ref": ref(i, own), "title": titles.get(i, "")}
                                            for i in row["suggested"]],
                      voted=len(row["voted"]), built=len(row["built"]), reported=len(row.get("reported", [])),
                      tested=len(row.get("tested", [])), builds=len(row["builds"]))
        rows.append(person)
    return rows


def fan_pages(reports: Sequence[Report], fame: Sequence[Mapping[str, Any]], cards: Sequence[Honour],
              live: set[tuple[str, str]], where: Mapping[str, dict[str, Any]] | None = None,
              foreign: frozenset[str] = frozenset(), own: str | None = None) -> list[dict[str, Any]]:
    """One page (and feed) per fan of the hall of fame: every credit by role, newest build first,
    their cards, their rank; the feed's entries are what they suggested, voted for or reported.
    With channels (`where`: see `availability`) each request is listed once per role, saying
    where the fan can have it now ("try it in v2.0-beta.3", "shipped in v2.0")."""
    items: dict[str, list[dict[str, Any]]] = {}
    for data in reports:
        for credit in data["credits"]:
            items.setdefault(credit["login"].lower(), []).extend(_credited(data, credit, live, foreign, own))
    by_login: dict[str, list[dict[str, Any]]] = {}
    for card in cards:
        by_login.setdefault(card.login.lower(), []).append(card_view(card))
    pages = []
    for row in fame:
        key = row["login"].lower()
        mine = items.get(key, [])
        roles = {role: [i for i in mine if i["role"] == role or (role == SUGGESTED and i["role"] == CO_SUGGESTED)]
                 for role in ROLES}
        if where is not None:
            roles = {role: _once_each(found, where) for role, found in roles.items()}
        firsts = [i for i in mine if i["first"] and i["role"] in (SUGGESTED, CO_SUGGESTED, REPORTED)]
        pages.append({"login": row["login"], "rank": row["rank"], "page": row["page"],
                      "feed": href(f"fans/{row['login']}.atom"), "roles": roles, "cards": by_login.get(key, []),
                      "first": firsts[-1] if firsts else None,
                      "entries": [i for i in mine if i["role"] in (SUGGESTED, CO_SUGGESTED, VOTED, REPORTED)]})
    return pages


def _once_each(items: Sequence[dict[str, Any]], where: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Items of one role, one per request (a request shipped in a beta and in stable is one idea),
    each saying where it can be had now; bug reports fixed keep their build."""
    out: dict[tuple[str, bool], dict[str, Any]] = {}
    for item in items:
        key = (item["id"], item["fixed"])
        if key not in out:
            out[key] = {**item, "where": None if item["fixed"] else where.get(item["id"])}
    return list(out.values())


def awards(reports: Sequence[Report], people: People, cards: Sequence[Honour],
           live: set[tuple[str, str]], foreign: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Per year with builds (newest first): the top fans of each category by what builds dated
    that year shipped or fixed, each with their page and that year's cards."""
    years: dict[str, list[Report]] = {}
    for data in reports:
        if data.get("date"):
            years.setdefault(data["date"][:4], []).append(data)
    out = []
    for year in sorted(years, reverse=True):
        counts: dict[str, dict[str, list[Any]]] = {role: {} for role in AWARDS}
        for data in years[year]:
            for credit in data["credits"]:
                for item in _credited(data, credit, live, foreign):
                    role = SUGGESTED if item["role"] == CO_SUGGESTED else item["role"]
                    if role in counts:
                        entry = counts[role].setdefault(credit["login"].lower(), [credit["login"], set()])
                        entry[1].add(item["id"])
        year_cards = [c for c in cards if (c.date or "")[:4] == year]
        categories = []
        for role in AWARDS:
            ranked = sorted(counts[role].values(), key=lambda e: (-len(e[1]), e[0].casefold(), e[0]))[:AWARDS_SIZE]
            categories.append({"role": role, "fans": [
                {**people.person(login, role), "count": len(ids),
                 "cards": [card_view(c) for c in year_cards if c.login.lower() == login.lower()]}
                for login, ids in ranked]})
        out.append({"year": year, "page": href(f"awards/{year}.html"), "builds": len(years[year]),
                    "categories": categories})
    return out


def roadmap(requests: Iterable[Request], shipped: set[str], trying: Mapping[str, dict[str, Any]] | None = None,
            own: str | None = None, others: Sequence[Report] = ()) -> list[dict[str, Any]]:
    """The most-voted open requests not shipped yet (an issue system may leave a shipped one open);
    `requests` come with their URLs. With channels, a request only a preview channel shipped
    is still on it, saying where to try it (`trying`); with merged reports (`others`, newest
    first), each other repository's roadmap from its newest report joins, each row naming its
    repository (`own` names this one)."""
    rows = top_requests([r for r in requests if r.id not in shipped], ROADMAP_SIZE, lambda _: None)
    out = [{**row, "ref": ref(row["id"], own), "repository": own, "try": (trying or {}).get(row["id"])}
           for row in rows]
    done: set[str] = set()
    gone = live_shipped(others)
    for data in others:
        project = data.get("project") or ""
        if project.lower() in done:
            continue
        done.add(project.lower())
        out += [{"id": row["id"], "title": row["title"], "author": row.get("author"), "votes": row["votes"],
                 "url": row.get("url"), "ref": ref(row["id"]), "repository": project, "try": None}
                for row in data.get("roadmap", ()) if row["id"] not in gone]
    if others:
        out.sort(key=lambda row: (-row["votes"], (row["repository"] or "").casefold(), row["ref"]))
    return [{**row, "link": safe_link(row["url"])} for row in out[:ROADMAP_SIZE]]


def availability(reports: Sequence[Report], live: set[tuple[str, str]], final: str) -> dict[str, dict[str, Any]]:
    """With channels: for each request a build shipped (and no later build withdrew), where a fan
    can have it now: the first build of the `final` channel that shipped it ("shipped"), else the
    first build of another channel that did ("try": a beta)."""
    out: dict[str, dict[str, Any]] = {}
    for data in reversed(reports):  # oldest first: each channel's first build that shipped it
        channel = data.get("channel")
        if channel is None:
            continue
        state = "shipped" if channel == final else "try"
        for entry in data["shipped"]:
            known = out.get(entry["id"])
            upgrade = known is None or (known["state"], state) == ("try", "shipped")
            if (data["build"], entry["id"]) in live and upgrade:
                out[entry["id"]] = {"state": state, "build": data["build"], "channel": channel,
                                    "page": href("builds/" + page_name(data["build"]))}
    return out


def side_by_side(builds: Sequence[Mapping[str, Any]], names: Sequence[str], key: str) -> list[dict[str, Any]]:
    """Builds grouped by channel or component (`key`), in the config's order, each newest first."""
    return [{"name": name, "builds": [view for view in builds if view[key] == name],
             "page": href(f"components/{name}.html") if key == "component" else None} for name in names]


def model(reports: Sequence[Report], requests: Iterable[Request], cards_mode: str,
          fallback_name: str, channels: Sequence[str] = (), components: Sequence[str] = (),
          others: Sequence[Report] = ()) -> dict[str, Any]:
    """Everything the site's templates are given; `reports` are every build up to this one, newest
    first; `requests` every request, with its URL (the roadmap). `honours` holds the cards to draw.
    `channels` and `components` are the configured names, in order; `others` other repositories'
    reports (`site.reports`), merged: ids and builds qualified (`acme/app#12`), newest first."""
    latest = reports[0]
    project = latest.get("project") or fallback_name
    mine = {data["build"] for data in reports}
    # Another repository's copy of this repository's reports is never counted twice.
    others = [data for data in others if repository_of(data["build"], "").lower() != project.lower()
              and data["build"] not in mine]
    own = project if others else None
    everything = [*reports, *others]
    foreign = frozenset(data["build"] for data in others)
    live = alive(everything)
    cards = honours(reports, cards_mode)
    by_build = {(c.build, c.login.lower()): c for c in cards}
    rows = hooks.hall_of_fame(everything)
    people = People(rows)
    fame = hall_of_fame(everything, rows, people, own)
    builds = [build_view(data, by_build, people, live) for data in reports]
    where = availability(reports, live, channels[-1]) if channels else None
    if where is not None:
        shipped = {rid for rid, found in where.items() if found["state"] == "shipped"}
        trying = {rid: found for rid, found in where.items() if found["state"] == "try"}
    else:
        shipped, trying = live_shipped(reports), {}
    return {
        "project": project,
        "feed_id": "urn:tracker:" + quote(project, safe="/-._~"),
        "name": display_name(latest.get("project"), fallback_name),
        "latest": builds[0],
        "builds": builds,
        "history": history(builds[1:]),
        "feed": builds[:FEED_LIMIT],
        "fame": fame,
        "fame_on_index": FAME_ON_INDEX,
        "fan_pages": fan_pages(everything, fame, cards, live, where, foreign, own),
        "awards": awards(everything, people, cards, live, foreign),
        "roadmap": roadmap(requests, shipped, trying, own, others),
        "channels": side_by_side(builds, channels, "channel") if channels else [],
        "components": side_by_side(builds, components, "component") if components else [],
        "merged": sorted({repository_of(data["build"], "") for data in others}, key=str.casefold),
        "honours": cards,
    }
