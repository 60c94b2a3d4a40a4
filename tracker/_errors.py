"""One error root. The core raises; only the CLI decides exit codes and output.

Every message is one line meant for a person: say what is wrong and, where
possible, what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a mistyped `word` most likely meant, or None when none is close."""
    import difflib  # only on an error path

    close = difflib.get_close_matches(word, list(dict.fromkeys(choices)), n=1)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """" (did you mean 'x'?)" for the choice closest to a mistyped `word`, or "" when none is close."""
    close = closest(word, choices)
    return f" (did you mean '{close}'?)" if close else ""


class TrackerError(Exception):
    """Root of every error tracker expects and reports as one line."""

    exit_code = 1


class BadInput(TrackerError):
    """The user gave something unusable (argument, config, file): exit 2, nothing written."""

    exit_code = 2


class ConfigError(BadInput):
    """A config file that cannot be read, or a key with a wrong name or type."""


class WorkFailed(TrackerError):
    """The work could not be finished (remote error after retries, bad credentials): exit 1."""

    exit_code = 1
