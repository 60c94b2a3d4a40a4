"""GitHub's GraphQL API through PyGithub's own requester (`Requester.graphql_query`,
`graphql_named_mutation`), for what REST v3 cannot see or sees one call per item.

Two requesters share the plugin's retry counter: queries, which change nothing, are
POSTs that may be repeated on a 5xx like any read; mutations are never repeated
blindly (a 502 may come after the comment was posted) and go through `client.write`'s
check-then-write. The address is `GITHUB_GRAPHQL_URL` (GitHub Enterprise, tests),
else what PyGithub derives from the REST base URL; PyGithub posts to the base URL's
`/graphql`, so the requester is built on the address less that suffix.

An answer with `errors` becomes a `GithubException` carrying one message (403 for
GitHub's FORBIDDEN, 404 for NOT_FOUND, else 400), so it reads as one line like a
REST failure; `NOT_FOUND` errors on some aliases of a batch are the answer "no such
object" for those aliases, and the rest of the batch is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from github import GithubException

from tracker.hooks import Calls
from tracker_github import client

if TYPE_CHECKING:
    from github.Requester import Requester

    from tracker_github.settings import Settings

PAGE = 100  # GitHub's most nodes per connection page, and the aliases one query batches
STATUS = {"FORBIDDEN": 403, "NOT_FOUND": 404, "UNAUTHORIZED": 401, "RATE_LIMITED": 403}


class GraphQL:
    """Queries and mutations against one GitHub's GraphQL endpoint."""

    def __init__(self, settings: Settings, counter: Calls, verbose: bool = False):
        base = settings.graphql.removesuffix("/graphql")
        self._reads: Requester = client.connect(settings, counter, verbose, base_url=base, retry_posts=True).requester
        self._writes: Requester = client.connect(settings, counter, verbose, base_url=base).requester

    def query(self, text: str, variables: dict[str, Any] | None = None, missing_ok: bool = False) -> dict[str, Any]:
        """The answer's `data`. With `missing_ok`, aliases GitHub could not resolve are None."""
        try:
            _, answer = self._reads.graphql_query(text, variables or {})
        except GithubException as exc:
            answer = exc.data if isinstance(exc.data, dict) else {}
            errors = answer.get("errors") or []
            if not (missing_ok and errors and all(_kind(e) == "NOT_FOUND" for e in errors)
                    and isinstance(answer.get("data"), dict)):
                raise _one_line(exc) from None
        return dict(answer.get("data") or {})

    def mutate(self, name: str, value: dict[str, Any], output: str) -> dict[str, Any]:
        """One mutation (`name(input: value) { output }`); its payload."""
        try:
            _, payload = self._writes.graphql_named_mutation(name, value, output)
        except GithubException as exc:
            raise _one_line(exc) from None
        return dict(payload or {})


def _kind(error: Any) -> str:
    return str(error.get("type") or "") if isinstance(error, dict) else ""


def _one_line(exc: GithubException) -> GithubException:
    """A GraphQL `errors` answer as a GithubException with GitHub's first message."""
    data = exc.data if isinstance(exc.data, dict) else {}
    errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
    if not errors:
        return exc  # an HTTP failure (401, 5xx after retries): already one status and message
    first = errors[0]
    status = STATUS.get(_kind(first), 400)
    return GithubException(status, {"message": str(first.get("message") or "GraphQL error")}, exc.headers)


def aliases(items: list[Any], size: int = PAGE) -> list[list[Any]]:
    """`items` in batches of `size`, one batched query each."""
    return [items[i:i + size] for i in range(0, len(items), size)]
