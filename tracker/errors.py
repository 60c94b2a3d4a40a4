"""One error root. The core raises; only the CLI decides exit codes and output.

Every message is one line meant for a person: say what is wrong and, where
possible, what to do about it.
"""

from __future__ import annotations


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
