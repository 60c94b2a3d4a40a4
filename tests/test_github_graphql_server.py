"""The tests' GitHub server answers GraphQL as GitHub does (graphql-core over a small schema)."""

from __future__ import annotations

from collections.abc import Iterator

import github
import pytest
from github_server import FakeGitHub, pygithub_client, serve


@pytest.fixture
def server() -> Iterator[FakeGitHub]:
    with serve() as fake:
        fake.add_issue(1, "Dark mode")
        fake.add_issue(3, "Light mode")
        fake.add_pull(2, "Both", body="", merge_commit_sha="a" * 40)
        fake.link_closing(2, 1, 3)
        yield fake


def query(fake: FakeGitHub, text: str, variables: dict[str, object] | None = None) -> dict[str, object]:
    return pygithub_client(fake).requester.graphql_query(text, variables or {})[1]


def test_queries_are_reads_and_mutations_writes(server: FakeGitHub) -> None:
    number = server.add_discussion(title="Idea")
    text = 'query($n: Int!) { repository(owner: "acme", name: "app") { discussion(number: $n) { id } } }'
    found = query(server, text, {"n": number})
    node = found["data"]["repository"]["discussion"]["id"]  # type: ignore[index]
    pygithub_client(server).requester.graphql_named_mutation(
        "addDiscussionComment", {"discussionId": node, "body": "thanks"}, "comment { id }")
    assert (server.reads(), server.writes()) == (1, 1)
    assert [c.body for c in server.discussions[number].comments] == ["thanks"]


def test_a_malformed_query_fails_as_at_github(server: FakeGitHub) -> None:
    with pytest.raises(github.GithubException) as failed:
        query(server, '{ repository(owner: "acme", name: "app") { pullRequest(number: 2) { closes } } }')
    assert "Cannot query field 'closes'" in str(failed.value)


def test_connections_page_and_refuse_more_than_100(server: FakeGitHub) -> None:
    text = 'query($after: String) { repository(owner: "acme", name: "app") { pullRequest(number: 2) {' \
           ' closingIssuesReferences(first: 1, after: $after) {' \
           ' nodes { number } pageInfo { hasNextPage endCursor } } } } }'
    first = query(server, text)["data"]["repository"]["pullRequest"]["closingIssuesReferences"]  # type: ignore[index]
    assert [n["number"] for n in first["nodes"]] == [1]
    assert first["pageInfo"]["hasNextPage"]
    second = query(server, text, {"after": first["pageInfo"]["endCursor"]})
    assert [n["number"] for n in second["data"]["repository"]["pullRequest"]  # type: ignore[index]
            ["closingIssuesReferences"]["nodes"]] == [3]
    with pytest.raises(github.GithubException, match="exceeds the `first` limit of 100"):
        query(server, text.replace("first: 1", "first: 101"))


def test_errors_knob_answers_200_with_errors(server: FakeGitHub) -> None:
    server.graphql_errors = ["Something went wrong while executing your query."]
    with pytest.raises(github.GithubException, match="Something went wrong"):
        query(server, '{ repository(owner: "acme", name: "app") { id } }')
    assert server.log[-1].status == 200
