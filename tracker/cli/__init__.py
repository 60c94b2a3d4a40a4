"""The `tracker` command line: the only package that imports click.

Commands stay thin: parse options, call the session, print. Every expected
failure is one line on stderr with exit 2 (bad input) or 1 (the work failed);
a traceback only with --debug.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, NoReturn

import click

from tracker import __version__
from tracker._errors import TrackerError

if TYPE_CHECKING:
    from tracker.cli.progress import Progress

REPORT_FORMATS = ["markdown", "html", "json", "text", "atom"]
LIST_FORMATS = ["text", "markdown", "json", "csv"]


# Sessions of this invocation: their caches are written only once the command succeeded.
_SESSIONS: list[ExitStack] = []  # the running command's: where its sessions end
# This invocation's progress line (at most one, on a terminal): every session reports into it.
_PROGRESS: list[Progress] = []


class _Interrupted(Exception):
    """Ctrl-C while a command ran: kept apart from click, which would make it an "Aborted!"."""


class Group(click.Group):
    """A click group whose errors are one line, never click's three-line usage block."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> NoReturn:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or "-v" in argv or "--verbose" in argv
        _SESSIONS.clear()
        _PROGRESS.clear()
        try:
            # Each session the command opens ends with it: on success it keeps what it learnt.
            with ExitStack() as sessions:
                _SESSIONS.append(sessions)
                super().main(args=argv, prog_name=prog_name or "tracker", standalone_mode=False, **extra)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except _Interrupted:
            _fail("interrupted", 130)
        except click.Abort as exc:
            # Ctrl-C while click itself was busy (reading the command line) arrives as an Abort.
            if isinstance(exc.__context__, KeyboardInterrupt):
                _fail("interrupted", 130)
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
            from tracker._secrets import redact

            _fail(redact(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)"), 1)
        sys.exit(0)


def _traceback() -> None:
    import traceback

    from tracker._secrets import redact

    click.echo(redact(traceback.format_exc()), err=True, nl=False)


_LONGEST = 1000  # characters of an error line: a message never repeats a huge value whole


def _fail(message: str, code: int) -> NoReturn:
    from tracker._secrets import redact
    from tracker._textsafe import plain

    for progress in _PROGRESS:
        progress.clear()  # a stage cut short by the error may still be on screen
    line = " ".join(redact(plain(message)).split())
    if len(line) > _LONGEST:
        line = line[:_LONGEST - 1] + "…"
    if os.environ.get("GITHUB_ACTIONS") == "true":
        # Workflow-command data escapes `%` (and line breaks, already folded above).
        click.echo(f"::error::{line.replace('%', '%25')}", err=True)
    else:
        click.echo(f"tracker: {line}", err=True)
    sys.exit(code)


def _session(ctx: click.Context, dry_run: bool = False) -> Any:
    from tracker.session import Session

    options = ctx.find_root().params
    session = Session(
        repo_path=options["repo"],
        config_path=options["config"],
        issues_name=options["issues"],
        dry_run=dry_run,
        verbose=options["verbose"] or options["debug"],
        say=_say,
        progress=_progress(),
    )
    return _SESSIONS[-1].enter_context(session) if _SESSIONS else session


def _progress() -> Progress | None:
    """The invocation's one progress line; None unless stdout and stderr are both a terminal."""
    if not (sys.stderr.isatty() and sys.stdout.isatty()):
        return None
    if not _PROGRESS:
        from tracker.cli.progress import DELAY, Progress

        try:  # TRACKER_PROGRESS_DELAY=0 shows the line at once, even for short work
            delay = float(os.environ.get("TRACKER_PROGRESS_DELAY") or DELAY)
        except ValueError:
            delay = DELAY
        _PROGRESS.append(Progress(sys.stderr, delay))
    return _PROGRESS[0]


def _say(text: str) -> None:
    """A note on stderr, above the progress line when there is one."""
    if _PROGRESS:
        _PROGRESS[0].note(text)
    else:
        click.echo(text, err=True)


def complete_builds(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of a BUILD: the repository's build tags (`builds.tags`), newest first."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(name) for name in _build_names(ctx) if name.startswith(incomplete)]


def complete_range(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of a RANGE: a build tag, or the tag after `A..`."""
    from click.shell_completion import CompletionItem

    start, dots, end = incomplete.rpartition("..")
    return [CompletionItem(f"{start}{dots}{name}") for name in _build_names(ctx) if name.startswith(end)]


def _build_names(ctx: click.Context) -> list[str]:
    try:
        from tracker import _builds as build_tags
        from tracker import _config as config
        from tracker import _git as git

        options = ctx.find_root().params
        repo = git.open_repo(options.get("repo"))
        pattern = config.load(git.work_tree(repo), options.get("config")).build_tags
        return [tag.name for tag in sorted(build_tags.tags(repo, pattern), key=lambda t: t.date, reverse=True)]
    except Exception:  # completing a word must never print an error into the shell: offer nothing
        return []


def _json(data: Any, pretty: bool | None = None) -> str:
    # Indented JSON goes through the pure-Python encoder (10x slower on a 100k-commit
    # report), so indent only for a person at a terminal.
    import json  # not before `git log` starts (a report imports it while git walks)

    if pretty is None:
        pretty = sys.stdout.isatty()
    return json.dumps(data, ensure_ascii=False, indent=2 if pretty else None) + "\n"


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--repo", default=None, metavar="PATH",
              help="The git repository holding PATH, found as git finds it [default: the current folder's].")
@click.option("--config", default=None, metavar="PATH", help="Config file [default: .github/tracker.yml when present].")
@click.option("--issues", default=None, metavar="NAME",
              help="Issue-system plugin: local, github, gitlab, …"
                   " [default: github when GITHUB_REPOSITORY is set, else local].")
@click.option("-v", "--verbose", is_flag=True, help="Say more (API calls made); tracebacks on errors.")
@click.option("--debug", is_flag=True, help="Like --verbose, plus the HTTP libraries' debug log (tokens masked).")
@click.version_option(__version__, prog_name="tracker")
def cli(repo: str | None, config: str | None, issues: str | None, verbose: bool, debug: bool) -> None:
    """Credit the fans whose feature requests shipped in each build.

    \b
    Fans vote on requests; each build (a tag) ships some of them; tracker finds
    which, marks them in the issue system and publishes a changelog that names
    the fans behind each change.

    \b
    Start here:
      tracker demo                       # a sample project, released offline
      tracker init                       # your project's config and release workflow
      tracker changelog v2026.47         # what build v2026.47 shipped, and who asked
      tracker release v2026.47 --dry-run # what the GitHub Action would write

    \b
    Run it in any folder of your repository (or give --repo PATH). Shell completion
    (bash): eval "$(_TRACKER_COMPLETE=bash_source tracker)"
    """
    if debug:
        import logging

        from tracker._secrets import install_log_filter

        # HTTP libraries log requests at DEBUG; the filter keeps tokens out of every record.
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(name)s: %(message)s")
        install_log_filter()


def main() -> None:
    """Console entry point."""
    cli.main()


# The commands register themselves on `cli` (imported last: they need it defined).
from tracker.cli import builds, init, store  # noqa: E402, F401
