"""The `tracker` command line: the only module that imports click.

Commands stay thin: parse options, call the pipeline, print. Every expected
failure is one line on stderr with exit 2 (bad input) or 1 (the work failed);
a traceback only with --debug.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from tracker import __version__
from tracker.errors import BadInput, TrackerError

REPORT_FORMATS = ["markdown", "html", "json", "text", "atom"]
LIST_FORMATS = ["text", "markdown", "json", "csv"]


# Sessions of this invocation: their caches are written only once the command succeeded.
_SESSIONS: list[Any] = []


class Group(click.Group):
    """A click group whose errors are one line, never click's three-line usage block."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> NoReturn:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or "-v" in argv or "--verbose" in argv
        _SESSIONS.clear()
        try:
            super().main(args=argv, prog_name=prog_name or "tracker", standalone_mode=False, **extra)
            for session in _SESSIONS:
                session.save_caches()
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.Abort:
            _fail("aborted", 1)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "tracker"
            _fail(f"{exc.format_message()} (see '{command} --help')", 2)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except TrackerError as exc:
            if debug:
                _traceback()
            _fail(str(exc), exc.exit_code)
        except BrokenPipeError:
            sys.exit(1)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as exc:  # the last line of defence: still one line, no traceback
            if debug:
                _traceback()
            from tracker.secrets import redact

            _fail(redact(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)"), 1)
        sys.exit(0)


def _traceback() -> None:
    import traceback

    from tracker.secrets import redact

    click.echo(redact(traceback.format_exc()), err=True, nl=False)


def _fail(message: str, code: int) -> NoReturn:
    from tracker.secrets import redact

    line = " ".join(redact(message).split())
    if os.environ.get("GITHUB_ACTIONS") == "true":
        # Workflow-command data escapes `%` (and line breaks, already folded above).
        click.echo(f"::error::{line.replace('%', '%25')}", err=True)
    else:
        click.echo(f"tracker: {line}", err=True)
    sys.exit(code)


def _session(ctx: click.Context, dry_run: bool = False) -> Any:
    from tracker.pipeline import Session

    options = ctx.find_root().params
    session = Session(
        repo_path=options["repo"],
        config_path=options["config"],
        issues_name=options["issues"],
        dry_run=dry_run,
        verbose=options["verbose"] or options["debug"],
        say=lambda text: click.echo(text, err=True),
        progress=_progress if sys.stderr.isatty() and sys.stdout.isatty() else None,
    )
    _SESSIONS.append(session)
    return session


def _progress(items: Iterable[Any], label: str) -> Iterator[Any]:
    with click.progressbar(items, label=label, file=sys.stderr, show_pos=True) as bar:
        yield from bar


def _emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from tracker.files import write_if_changed

    try:
        write_if_changed(Path(output), text)
    except OSError as exc:
        raise BadInput(f"-o {output}: cannot write: {exc.strerror}") from None


def _emit_report(data: Any, output: str | None) -> None:
    """A report as JSON, streamed (a long range's `changes` never sits in memory whole)."""
    from tracker.changes import write_json

    if output is None:
        # Indented only for a person at a terminal: scripts get the compact form.
        write_json(data, sys.stdout, 2 if sys.stdout.isatty() else None)
        sys.stdout.write("\n")
        sys.stdout.flush()
        return
    from tracker.files import write_stream_if_changed

    def write(handle: Any) -> None:
        write_json(data, handle)
        handle.write("\n")

    try:
        write_stream_if_changed(Path(output), write)
    except OSError as exc:
        raise BadInput(f"-o {output}: cannot write: {exc.strerror}") from None


def _json(data: Any, pretty: bool | None = None) -> str:
    # Indented JSON goes through the pure-Python encoder (10x slower on a 100k-commit
    # report), so indent only for a person at a terminal.
    if pretty is None:
        pretty = sys.stdout.isatty()
    return json.dumps(data, ensure_ascii=False, indent=2 if pretty else None) + "\n"


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--repo", default=".", metavar="PATH", show_default=True, help="The git repository.")
@click.option("--config", default=None, metavar="PATH", help="Config file [default: .github/tracker.yml when present].")
@click.option("--issues", default=None, metavar="NAME",
              help="Issue-system plugin: local, github, gitlab, …"
                   " [default: github when GITHUB_REPOSITORY is set, else local].")
@click.option("-v", "--verbose", is_flag=True, help="Say more (API calls made); tracebacks on errors.")
@click.option("--debug", is_flag=True, help="Like --verbose, plus the HTTP libraries' debug log (tokens masked).")
@click.version_option(__version__, prog_name="tracker")
def cli(repo: str, config: str | None, issues: str | None, verbose: bool, debug: bool) -> None:
    """Credit the fans whose feature requests shipped in each build.

    \b
    Fans vote on requests; each build (a tag) ships some of them; tracker finds
    which, marks them in the issue system and publishes a changelog that names
    the fans behind each change.

    \b
    Start here:
      tracker demo                       # a sample project, released offline
      tracker changelog v2026.47         # what build v2026.47 shipped, and who asked
      tracker release v2026.47 --dry-run # what the GitHub Action would write
    """
    if debug:
        import logging

        from tracker.secrets import install_log_filter

        # HTTP libraries log requests at DEBUG; the filter keeps tokens out of every record.
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(name)s: %(message)s")
        install_log_filter()


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.pass_context
def demo(ctx: click.Context, directory: str | None) -> None:
    """Build a sample project offline and release its latest build.

    Creates a git history with three weekly builds, fans and votes in the local
    store, then runs the release for the latest build with the file publishers
    and prints the credited changelog. DIRECTORY must be new or empty
    [default: a new temporary directory].

    \b
    Examples:
      tracker demo
      tracker demo ./lumen && cd lumen && tracker top
    """
    from tracker import demo as sample_project

    target = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="tracker-demo-"))
    outcome = sample_project.run(target, say=lambda text: click.echo(text, err=True))
    _SESSIONS.append(outcome.session)
    click.echo(outcome.changelog)
    click.echo(f"Demo project: {target}")
    click.echo(f"Released {outcome.builds[-1]} (builds: {', '.join(outcome.builds)}); wrote:")
    for line in sample_project.condensed(outcome.written):
        click.echo(f"  {line}")
    if outcome.site is not None:
        click.echo(f"Open the fans' site: {outcome.site.as_uri()}")
    click.echo(f"Try: tracker --repo {target} top    ·    tracker --repo {target} fans")


@cli.group(short_help="Add and import requests in the local store.")
def requests() -> None:
    """Manage requests in the local store (forums, surveys, spreadsheets)."""


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
    from tracker import importer

    store = _local_store(ctx)
    created, updated, votes = importer.import_file(store, Path(file))
    click.echo(f"imported {file}: {created} new, {updated} updated, {votes} new votes ({store.path})")


@requests.command("add")
@click.argument("title")
@click.option("--by", "login", required=True, help="The fan who suggested it.")
@click.option("--id", "request_id", default=None, help="Its id [default: the next free number].")
@click.pass_context
def requests_add(ctx: click.Context, title: str, login: str, request_id: str | None) -> None:
    """Add one request to the local store.

    \b
    Example:
      tracker requests add "Dark mode" --by alice
    """
    from tracker import importer, logins
    from tracker.model import Request

    store = _local_store(ctx)
    title = " ".join(title.split())
    if not title:
        raise BadInput("the title is empty")
    if not logins.valid(login):
        raise BadInput(f"--by {login!r}: not a login (letters, digits, '-', '_', '.'; not starting with '.')")
    if request_id is not None and not importer.valid_id(request_id.lstrip("#")):
        raise BadInput(f"--id {request_id!r}: not a request id (letters, digits, '-', '_', '.')")
    with store.transaction() as conn:
        new_id = (request_id or store.next_id(conn)).lstrip("#")
        if conn.execute("SELECT 1 FROM requests WHERE id = ?", (new_id,)).fetchone():
            raise BadInput(f"request #{new_id} already exists")
        store.upsert(conn, Request(id=new_id, title=title, author=login, state="open"))
    click.echo(f"added #{new_id}: {title} (by @{login})")


@cli.command()
@click.argument("request_id", metavar="ID")
@click.option("--by", "login", required=True, help="The fan who votes.")
@click.pass_context
def vote(ctx: click.Context, request_id: str, login: str) -> None:
    """Vote for a request in the local store (one vote per fan).

    \b
    Example:
      tracker vote 12 --by bob
    """
    from tracker import logins
    from tracker.store import require_request

    store = _local_store(ctx)
    request_id = request_id.lstrip("#")
    if not logins.valid(login):
        raise BadInput(f"--by {login!r}: not a login (letters, digits, '-', '_', '.'; not starting with '.')")
    require_request(store, request_id)
    with store.transaction() as conn:
        added = store.add_votes(conn, request_id, [login])
    click.echo(f"@{login} voted for #{request_id}" if added else f"@{login} had already voted for #{request_id}")


def _local_store(ctx: click.Context) -> Any:
    from tracker.store import Store, store_path

    session = _session(ctx)
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
    from tracker import views

    session = _session(ctx)
    rows = views.top(session.requests.values(), count, session.issues.issue_url)
    click.echo(views.table(rows, fmt, ["id", "title", "author", "votes", "url"]), nl=False)


@cli.command(short_help="Every commit or PR → request link in a range.")
@click.argument("spec", metavar="[RANGE]", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def scan(ctx: click.Context, spec: str | None, fmt: str) -> None:
    """Every link found in a range: commit or PR → request, with its kind.

    Kinds: closes (ships the request), refs (a mention), revert (cancels what the
    reverted commit closed), cherry-pick (carries what the original closed).

    \b
    Examples:
      tracker scan v2026.46..v2026.47
      tracker scan --format json
    """
    session = _session(ctx)
    rows = list(session.scan(spec))
    if fmt == "json":
        click.echo(_json(rows), nl=False)
        return
    for row in rows:
        target = f"#{row['request']}" if row["request"] else "-"
        via = f" (PR #{row['pull']})" if row["pull"] else ""
        of = f" of {row['commit'][:10]}" if row.get("commit") else ""
        click.echo(f"{row['sha'][:10]}  {row['kind']:<11} {target}{of}{via}  {row['summary']}")


@cli.command()
@click.argument("build")
@click.option("--previous", metavar="TAG", help="Compare with this build instead of the nearest earlier one.")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default=None,
              help="Output format [default: changelog.template, markdown].")
@click.option("--template", metavar="FILE", help="Render with your own jinja2 template.")
@click.option("--locale", type=click.Choice(["en", "zh-CN"]), default=None, help="Language of fan-facing text.")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@click.pass_context
def changelog(ctx: click.Context, build: str, previous: str | None, fmt: str | None, template: str | None,
              locale: str | None, output: str | None) -> None:
    """Report what BUILD shipped and who to thank (read-only).

    \b
    Examples:
      tracker changelog v2026.47
      tracker changelog v2026.47 --format json -o report.json
      tracker changelog v2026.47 --previous v2026.45 --locale zh-CN
      tracker changelog v2026.47 --template .github/my-notes.md.j2
    """
    session = _session(ctx)
    if locale:
        from tracker import locales

        locales.check(locale)
    if template and not Path(template).is_file():
        raise BadInput(f"--template {template}: no such file")
    data = session.report(build, previous)
    if (fmt or session.config.template) == "json" and not template:
        _emit_report(data, output)
        return
    text = session.render(data, template or fmt, locale)
    _emit(text, output)


def _release_command(ctx: click.Context, build: str | None, dry_run: bool, ship: bool, publish: bool) -> None:
    session = _session(ctx, dry_run=dry_run)
    build, lines = session.release(build, ship=ship, publish=publish)
    prefix = "would write" if dry_run else "wrote"
    if not lines:
        click.echo(f"{build}: nothing to write (already up to date)")
    for line in lines:
        click.echo(f"{prefix}: {line}")


@cli.command(short_help="Mark BUILD's shipped requests in the issue system.")
@click.argument("build", required=False)
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@click.pass_context
def ship(ctx: click.Context, build: str | None, dry_run: bool) -> None:
    """Mark BUILD's shipped requests in the issue system (label, thank-you, close). Idempotent.

    \b
    Example:
      tracker ship v2026.47 --dry-run
    """
    _release_command(ctx, build, dry_run, ship=True, publish=False)


@cli.command(short_help="Run the configured publishers for BUILD.")
@click.argument("build", required=False)
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@click.pass_context
def publish(ctx: click.Context, build: str | None, dry_run: bool) -> None:
    """Run the configured publishers for BUILD (release notes, CHANGELOG.md, site). Idempotent.

    \b
    Example:
      tracker publish v2026.47
    """
    _release_command(ctx, build, dry_run, ship=False, publish=True)


@cli.command()
@click.argument("build", required=False)
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@click.pass_context
def release(ctx: click.Context, build: str | None, dry_run: bool) -> None:
    """Ship and publish BUILD: what the GitHub Action runs. Idempotent.

    \b
    Examples:
      tracker release v2026.47 --dry-run
      tracker release v2026.47
    """
    _release_command(ctx, build, dry_run, ship=True, publish=True)


@cli.command()
@click.option("--since", metavar="BUILD", help="Count builds from this one on.")
@click.option("--top", "limit", metavar="N", type=click.IntRange(min=1), default=None,
              help="Only the N most engaged fans.")
@click.option("--format", "fmt", type=click.Choice(LIST_FORMATS), default="text", show_default=True)
@click.pass_context
def fans(ctx: click.Context, since: str | None, limit: int | None, fmt: str) -> None:
    """The hall of fame: credits across builds.

    \b
    Examples:
      tracker fans
      tracker fans --since v2026.40 --format json
      tracker fans --top 20 --format csv > early-access.csv
    """
    from tracker import views

    session = _session(ctx)
    rows = views.fans(session.all_reports(since=since))
    if limit is not None:
        rows = rows[:limit]
    click.echo(views.table(rows, fmt, ["login", "suggested", "voted", "built", "builds"]), nl=False)


def main() -> None:
    """Console entry point."""
    cli.main()
