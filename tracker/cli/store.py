"""Commands on requests: `requests list` (the issue system's), `requests import|add` and `vote`
(the local store), `top`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tracker._errors import BadInput
from tracker.cli import LIST_FORMATS, _session, cli


@cli.group(short_help="List requests; add and import them in the local store.")
def requests() -> None:
    """List the issue system's requests; add and import requests in the local store
    (from forums, surveys, spreadsheets)."""


@requests.command("list")
@click.option("--state", type=click.Choice(["open", "closed", "all"]), default="open", show_default=True)
@click.option("--format", "fmt", type=click.Choice(LIST_FORMATS), default="text", show_default=True)
@click.pass_context
def requests_list(ctx: click.Context, state: str, fmt: str) -> None:
    """The requests the issue system holds (the local store, GitHub's or GitLab's issues), by id.

    \b
    Examples:
      tracker requests list
      tracker requests list --state all --format csv > requests.csv
      tracker --issues github requests list --state closed --format json
    """
    from tracker import _views as views

    session = _session(ctx)
    rows = views.requests(session.requests.values(), state, session.issues.issue_url)
    columns = ["id", "kind", "state", "votes", "title", "author", "duplicate_of", "url"]
    click.echo(views.table(rows, fmt, columns), nl=False)


@requests.command("import", short_help="Load requests from JSON or CSV (re-import updates).")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def requests_import(ctx: click.Context, file: str) -> None:
    """Load requests from a JSON array or a CSV file; re-importing updates, never duplicates.

    \b
    JSON: [{"id": "12", "title": "Dark mode", "author": "alice", "state": "open",
            "created_at": "2026-03-01T10:00:00Z", "voters": ["bob", "carol"],
            "duplicate_of": null, "url": null}]
    CSV:  the same columns; voters separated by ';'.

    \b
    Examples:
      tracker requests import forum-export.json
      tracker requests import survey.csv
    """
    from tracker import _importer as importer

    store = _local_store(_session(ctx))
    created, updated, votes = importer.import_file(store, Path(file))
    click.echo(f"imported {file}: {created} new, {updated} updated, {votes} new votes ({store.path})")


@requests.command("add")
@click.argument("title")
@click.option("--by", "login", required=True, metavar="LOGIN", help="The fan who suggested it (bob or @bob).")
@click.option("--id", "request_id", default=None,
              help="Its id [default: a number above every id in the store and every #N the history names].")
@click.pass_context
def requests_add(ctx: click.Context, title: str, login: str, request_id: str | None) -> None:
    """Add one request to the local store.

    \b
    Example:
      tracker requests add "Dark mode" --by alice
    """
    from tracker import _ids as ids
    from tracker import _importer as importer
    from tracker import _logins as logins
    from tracker._model import Request

    session = _session(ctx)
    store = _local_store(session)
    login = logins.given(login)
    title = " ".join(title.split())
    if not title:
        raise BadInput("the title is empty")
    if not logins.valid(login):
        raise BadInput(f"--by {login!r}: not a login (letters, digits, '-', '_', '.'; not starting with '.')")
    if request_id is not None and not importer.valid_id(request_id.lstrip("#")):
        raise BadInput(f"--id {request_id!r}: not a request id (letters, digits, '-', '_', '.')")
    store.requests()  # a store that is not one is bad input before anything is written (the ids' cache)
    # Read before the write lock is taken: the walk of every branch's history takes a while.
    named = ids.highest_named(session.repo) if request_id is None else 0
    with store.transaction() as conn:
        new_id = (request_id or store.next_id(conn, above=named)).lstrip("#")
        if conn.execute("SELECT 1 FROM requests WHERE id = ?", (new_id,)).fetchone():
            raise BadInput(f"request #{new_id} already exists")
        store.upsert(conn, Request(id=new_id, title=title, author=login, state="open"))
    click.echo(f"added #{new_id}: {title} (by @{login})")


@cli.command()
@click.argument("request_id", metavar="ID")
@click.option("--by", "login", required=True, metavar="LOGIN", help="The fan who votes (bob or @bob).")
@click.pass_context
def vote(ctx: click.Context, request_id: str, login: str) -> None:
    """Vote for a request in the local store (one vote per fan).

    \b
    Example:
      tracker vote 12 --by bob
    """
    from tracker import _logins as logins
    from tracker._store import require_request

    store = _local_store(_session(ctx))
    request_id = request_id.lstrip("#")
    login = logins.given(login)
    if not logins.valid(login):
        raise BadInput(f"--by {login!r}: not a login (letters, digits, '-', '_', '.'; not starting with '.')")
    require_request(store, request_id)
    with store.transaction() as conn:
        added = store.add_votes(conn, request_id, [login])
    click.echo(f"@{login} voted for #{request_id}" if added else f"@{login} had already voted for #{request_id}")


def _local_store(session: Any) -> Any:
    from tracker._store import Store, store_path

    return Store(store_path(session.config.store, session.root, session.context.git_dir))


@cli.command()
@click.option("-n", "count", metavar="N", default=10, show_default=True, type=click.IntRange(min=1), help="How many.")
@click.option("--format", "fmt", type=click.Choice(LIST_FORMATS), default="text", show_default=True)
@click.pass_context
def top(ctx: click.Context, count: int, fmt: str) -> None:
    """The most-voted open requests: the roadmap fans see.

    \b
    Examples:
      tracker top
      tracker top -n 5 --format json
    """
    from tracker import _views as views

    session = _session(ctx)
    rows = views.top(session.requests.values(), count, session.issues.issue_url)
    click.echo(views.table(rows, fmt, ["id", "title", "author", "votes", "url"]), nl=False)
