"""Commands on builds: `demo`, `scan`, `changelog`, `ship`, `publish`, `release`, `fans`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from tracker._errors import BadInput
from tracker.cli import LIST_FORMATS, REPORT_FORMATS, _json, _session, cli, complete_builds, complete_range


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
    import tempfile

    from tracker import demo as sample_project

    target = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="tracker-demo-"))
    outcome = sample_project.run(target, say=lambda text: click.echo(text, err=True))
    click.echo(outcome.changelog)
    click.echo(f"Demo project: {target}")
    click.echo(f"Released {outcome.builds[-1]} (builds: {', '.join(outcome.builds)}); wrote:")
    for line in sample_project.condensed(outcome.written):
        click.echo(f"  {line}")
    if outcome.site is not None:
        click.echo(f"Open the fans' site: {outcome.site.as_uri()}")
    if outcome.fan_page is not None and outcome.share_page is not None:
        click.echo(f"A fan's own page: {outcome.fan_page.as_uri()}")
        click.echo(f"A card's share page: {outcome.share_page.as_uri()}")
    click.echo(f"Try: tracker --repo {target} top    ·    tracker --repo {target} fans")


@cli.command(short_help="Every commit or PR → request link in a range.")
@click.argument("spec", metavar="[RANGE]", required=False, shell_complete=complete_range)
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
    from tracker import _views as views

    session = _session(ctx)
    rows = list(session.scan(spec))
    if fmt == "json":
        click.echo(_json(rows), nl=False)
        return
    if not rows:
        return  # the scan's note on stderr says why there is nothing to list
    table = [{"commit": row["sha"][:10], "kind": row["kind"],
              "request": f"#{row['request']}" if row["request"] else "-", "of": (row.get("commit") or "")[:10],
              "pull": f"#{row['pull']}" if row["pull"] else "", "summary": row["summary"]} for row in rows]
    click.echo(views.table(table, "text", ["commit", "kind", "request", "of", "pull", "summary"]), nl=False)


@cli.command()
@click.argument("build", shell_complete=complete_builds)
@click.option("--previous", metavar="TAG", shell_complete=complete_builds,
              help="Compare with this build instead of the nearest earlier one.")
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
        from tracker import _locales as locales

        locales.check(locale)
    if template and not Path(template).is_file():
        raise BadInput(f"--template {template}: no such file")
    from tracker import _output as output_to

    data = session.report(build, previous)
    if (fmt or session.config.template) == "json" and not template:
        output_to.emit_report(data, output)
        return
    text = session.render(data, template or fmt, locale)
    output_to.emit(text, output)


def _writes_build(command: Callable[..., None]) -> Callable[..., None]:
    """BUILD (default: the release's tag in GitHub Actions) and --dry-run, for the commands that write."""
    command = click.pass_context(command)
    command = click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")(command)
    return click.argument("build", required=False, shell_complete=complete_builds)(command)


def _release_command(ctx: click.Context, build: str | None, dry_run: bool, ship: bool, publish: bool) -> None:
    session = _session(ctx, dry_run=dry_run)
    build, lines = session.release(build, ship=ship, publish=publish)
    prefix = "would write" if dry_run else "wrote"
    if not lines:
        click.echo(f"{build}: nothing to write (already up to date)")
    for line in lines:
        click.echo(f"{prefix}: {line}")


@cli.command(short_help="Mark BUILD's shipped requests in the issue system.")
@_writes_build
def ship(ctx: click.Context, build: str | None, dry_run: bool) -> None:
    """Mark BUILD's shipped requests in the issue system (label, thank-you, close). Idempotent.

    \b
    Example:
      tracker ship v2026.47 --dry-run
    """
    _release_command(ctx, build, dry_run, ship=True, publish=False)


@cli.command(short_help="Run the configured publishers for BUILD.")
@_writes_build
def publish(ctx: click.Context, build: str | None, dry_run: bool) -> None:
    """Run the configured publishers for BUILD (release notes, CHANGELOG.md, site). Idempotent.

    \b
    Example:
      tracker publish v2026.47
    """
    _release_command(ctx, build, dry_run, ship=False, publish=True)


@cli.command()
@_writes_build
def release(ctx: click.Context, build: str | None, dry_run: bool) -> None:
    """Ship and publish BUILD: what the GitHub Action runs. Idempotent.

    \b
    Examples:
      tracker release v2026.47 --dry-run
      tracker release v2026.47
    """
    _release_command(ctx, build, dry_run, ship=True, publish=True)


@cli.command()
@click.option("--since", metavar="BUILD", shell_complete=complete_builds, help="Count builds from this one on.")
@click.option("--top", "limit", metavar="N", type=click.IntRange(min=1), default=None,
              help="Only the N most engaged fans.")
@click.option("--reports", "folder", metavar="DIR", default=None,
              help="Merge the JSON reports in DIR (several repositories' builds) into one hall of fame.")
@click.option("--format", "fmt", type=click.Choice(LIST_FORMATS), default="text", show_default=True)
@click.pass_context
def fans(ctx: click.Context, since: str | None, limit: int | None, folder: str | None, fmt: str) -> None:
    """The hall of fame: credits across builds.

    With --reports DIR, the hall of fame of every repository whose JSON reports
    are in DIR ('tracker changelog BUILD --format json', written by each
    repository's own release): requests and builds are named with their
    repository (acme/app#12, acme/app@v2.0), and no history is read.

    \b
    Examples:
      tracker fans
      tracker fans --since v2026.40 --format json
      tracker fans --top 20 --format csv > early-access.csv
      tracker fans --reports reports/ --format json
    """
    from tracker import _views as views
    from tracker import credit

    columns = ["login", "suggested", "voted", "built", "reported", "tested", "builds"]
    if folder is not None:
        from tracker import _reports as merging

        if since is not None:
            raise BadInput("--since names a build of this repository; it cannot be used with --reports")
        rows = credit.hall_of_fame(merging.merged(merging.read(folder)))
        for row in rows:
            row["repositories"] = merging.repositories(row)
        columns.append("repositories")
    else:
        rows = credit.hall_of_fame(_session(ctx).all_reports(since=since))
    if limit is not None:
        rows = rows[:limit]
    click.echo(views.table(rows, fmt, columns), nl=False)
