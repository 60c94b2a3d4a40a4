"""Keeping tokens out of everything tracker prints, logs or raises.

Tokens come from the environment; `redact` removes their values (and anything
shaped like a GitHub or GitLab token, and the credentials of any URL) from a text, and `install_log_filter`
applies it to every log record, including PyGithub's and urllib3's debug logs.
"""

from __future__ import annotations

import logging
import os
import re

TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN", "INPUT_TOKEN")
_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{20,})\b"
    r"|(?i:(?<=authorization: )(?:token|bearer|basic) \S+)"
)
# Credentials in a URL (`https://user:password@host/…`, `https://TOKEN@host/…`): the part
# before `@` is masked wherever a URL is printed, whatever variable or setting it came from.
_USERINFO = re.compile(r"(?<=://)[^\s/?#@'\"<>]+@")
MASK = "***"
_extra: set[str] = set()


def remember(secret: str | None) -> None:
    """Treat `secret` as a token from now on (one not taken from the usual variables)."""
    if secret and len(secret) >= 4:
        _extra.add(secret)


def remember_url(url: str | None) -> None:
    """Treat the credentials in `url` (`user:password@`) as a token from now on, also as they
    appear decoded or alone (a log line may show the password without the URL around it)."""
    from urllib.parse import unquote, urlsplit

    if not url or "@" not in url:
        return
    parts = urlsplit(url.strip())
    for secret in (parts.password, parts.username if parts.password is None else None):
        if secret:
            remember(secret)
            remember(unquote(secret))
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        remember(userinfo)
        import base64  # what an `Authorization: Basic` header a debug log prints holds

        remember(base64.b64encode(unquote(userinfo).encode()).decode())


def without_credentials(url: str) -> str:
    """`url` without its `user:password@` part: what may be shown or linked to."""
    return _USERINFO.sub("", url)


def _known() -> list[str]:
    values = {os.environ.get(name, "") for name in TOKEN_VARIABLES} | _extra
    return sorted((v for v in values if len(v) >= 4), key=len, reverse=True)


def redact(text: str) -> str:
    """`text` with every known token and token-shaped string replaced by ***."""
    for secret in _known():
        text = text.replace(secret, MASK)
    return _USERINFO.sub(MASK + "@", _SHAPES.sub(MASK, text))


class _RedactingFilter(logging.Filter):
    """Masks the message, and the traceback and stack a record may carry (formatted here,
    once, so that no handler formats them again from the live exception)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging itself reports it; show no argument
            message = str(record.msg)
            record.args = None
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FORMATTER = logging.Formatter()


def install_log_filter() -> None:
    """Redact every record at every handler that exists now (root's, and libraries' own,
    such as the console handler PyGithub adds), and at the HTTP libraries' loggers.

    A logger's filter sees only records logged on that very logger, a handler's sees
    every record it emits, so handlers are where the filter must sit.
    """
    flt = _RedactingFilter()
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict)
    ] + [logging.getLogger(name) for name in ("github", "urllib3", "gitlab", "requests")]
    for logger in loggers:
        for target in [logger, *logger.handlers]:
            if not any(isinstance(f, _RedactingFilter) for f in target.filters):
                target.addFilter(flt)
