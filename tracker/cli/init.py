"""`tracker init`: the config, the workflow, and the labels on the issue system."""

from __future__ import annotations

import click

from tracker._errors import BadInput
from tracker.cli import _session, cli


@cli.command(short_help="Write a first config and workflow; create the labels.")
@click.option("--dry-run", is_flag=True, help="Print what would be written and created; write nothing.")
@click.pass_context
def init(ctx: click.Context, dry_run: bool) -> None:
    """Write .github/tracker.yml (every default, commented) and .github/workflows/tracker.yml
    (the release workflow), never overwriting a file; on GitHub or GitLab with a token, create
    the labels they name (feature-request, shipped, bug) when missing.

    \\b
    Examples:
      tracker init --dry-run
      tracker init
      GITHUB_TOKEN=… tracker --issues github init   # the labels too
    """
    from tracker import _config as config
    from tracker import _scaffold as scaffold

    session = _session(ctx, dry_run=dry_run)
    if session.root == session.repo.git_dir:  # (an existing config is not even read: it is never used)
        raise BadInput("a bare repository has no work tree to write .github/ in: run init in a clone")
    planned = scaffold.files(session.root, session.config_path)
    scaffold.check_new(planned)
    # The issue system sees the config as it is about to be written (the defaults).
    session.config = config.parse(planned[0].text, planned[0].shown)
    lines = session.issues.ensure_labels(scaffold.LABELS)  # remote first: a failure there writes no file
    session.issues.close()
    files = [file.shown for file in planned] if dry_run else scaffold.write(planned)
    prefix = "would write" if dry_run else "wrote"
    for line in [*files, *lines]:
        click.echo(f"{prefix}: {line}")
    click.echo(f"next: in {scaffold.WORKFLOW_PATH}, set `uses: acme/tracker@v1` to where the tracker action lives;"
               " then commit both files")
