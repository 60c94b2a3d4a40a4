"""The token never leaves: not in stdout, stderr, `--debug` logs (tracker's, PyGithub's,
urllib3's), tracebacks, error lines, written files or anything sent to GitHub, whatever
fails. Each command runs as its own process, as in a workflow, so `--debug` really turns
on the HTTP libraries' debug logging.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from github_fixtures import HISTORY, env_for, seed
from github_server import FakeGitHub, serve

from tracker import _secrets as secrets

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]
SHAPED = "ghp_" + "Zq7x" * 9  # what a GitHub token looks like: "ghp_" and 36 characters
PLAIN = "s3cr3t-t0k3n-value"  # no recognisable shape: only knowing the value masks it


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Scenario:
    name: str
    args: list[str]
    code: int
    faults: Callable[[FakeGitHub], None] = lambda server: None
    env: Callable[[FakeGitHub, str], dict[str, str]] = lambda server, token: {}
    server_token: str | None = None  # None: the token the command is given
    masked: bool = False  # the token is in what fails (a URL, a value): the output must show *** instead
    tokens: tuple[str, ...] = (SHAPED, PLAIN)


def _refuse(server: FakeGitHub) -> None:
    server.refuse_writes_after = 2


def _down(server: FakeGitHub) -> None:
    server.fail_rate = 1.0


def _lossy(server: FakeGitHub) -> None:
    server.drop_after_write = True


SCENARIOS = [
    Scenario("release", ["--debug", "release", "v2"], 0, tokens=(SHAPED,)),
    Scenario("verbose release", ["-v", "release", "v2"], 0, tokens=(PLAIN,)),
    Scenario("rejected token", ["--debug", "release", "v2"], 1, server_token="someone-elses-token"),
    Scenario("GitHub down", ["--debug", "release", "v2"], 1, faults=_down, tokens=(SHAPED,)),
    Scenario("writes refused half-way", ["--debug", "release", "v2"], 1, faults=_refuse, tokens=(PLAIN,)),
    Scenario("answers lost after writes", ["--debug", "release", "v2"], 0, faults=_lossy, tokens=(SHAPED,)),
    Scenario("unreachable, token in the URL", ["--debug", "changelog", "v2"], 1, masked=True,
             env=lambda server, token: {"GITHUB_API_URL": f"http://127.0.0.1:{_closed_port()}/{token}/api"}),
    Scenario("token in a malformed value", ["--debug", "top"], 2, masked=True, tokens=(PLAIN,),
             env=lambda server, token: {"GITHUB_REPOSITORY": f"acme/{token}/x"}),
    Scenario("bad build", ["--debug", "ship", "v9", "--dry-run"], 2, tokens=(SHAPED,)),
]
RUNS = [(s, t) for s in SCENARIOS for t in s.tokens]


def test_the_token_appears_nowhere(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo, labels = make_repo(HISTORY, config="publish: [github-release, changelog-file]\n")
    outside = tmp_path / "runner"  # what the runner gives the step: outputs, summary, temp
    outside.mkdir()
    servers: list[FakeGitHub] = []

    def run(index: int) -> tuple[Scenario, str, subprocess.CompletedProcess[str]]:
        scenario, token = RUNS[index]
        server = serve(token=scenario.server_token or token)
        servers.append(server)
        seed(server, labels)
        scenario.faults(server)
        env = {**os.environ, **env_for(server), "GITHUB_TOKEN": token, **scenario.env(server, token),
               "GITHUB_OUTPUT": str(outside / f"output-{index}"),
               "GITHUB_STEP_SUMMARY": str(outside / f"summary-{index}"), "RUNNER_TEMP": str(outside / f"temp-{index}")}
        done = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), *scenario.args], env=env,
                              capture_output=True, text=True, timeout=120)
        return scenario, token, done

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(run, range(len(RUNS))))
        stored = [json.dumps(server.snapshot()) + repr(server.log) for server in servers]
    finally:
        for server in servers:
            server.stop()

    for scenario, token, done in results:
        where = f"{scenario.name} ({token[:4]}…)"
        assert done.returncode == scenario.code, (where, done.stdout, done.stderr[-3000:])
        assert token not in done.stdout and token not in done.stderr, where
        if scenario.masked:
            assert "***" in done.stderr, (where, done.stderr[-2000:])
        if scenario.args[0] == "--debug" and scenario.code:
            assert "Traceback" in done.stderr, where  # --debug does show the traceback, masked
    debug = next(d for s, _, d in results if s.name == "release").stderr
    assert "urllib3.connectionpool" in debug and "GET http" in debug  # the HTTP libraries did log

    files = [p for root in (repo, outside) for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "CHANGELOG.md" for p in files) and any(p.name.startswith("output-") for p in files)
    for token in (SHAPED, PLAIN):
        needle = token.encode()
        assert [p for p in files if needle in p.read_bytes()] == []
        assert [s for s in stored if token in s] == []


def test_redact_masks_known_values_and_token_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", PLAIN)
    secrets.remember("another-secret-value")
    text = f"a {PLAIN} b another-secret-value c {SHAPED} d github_pat_{'A1' * 20} e Authorization: token xyz"
    assert secrets.redact(text) == "a *** b *** c *** d *** e Authorization: ***"


def test_log_records_are_masked_messages_arguments_and_tracebacks(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import logging

    monkeypatch.setenv("GITHUB_TOKEN", PLAIN)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tracker-test-secrets")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        secrets.install_log_filter()
        logger.warning("sending %s", {"Authorization": f"token {PLAIN}"})
        try:
            raise RuntimeError(f"failed at https://x.example/{PLAIN}/repos")
        except RuntimeError:
            logger.exception("boom %d", 1)
        logger.warning("%d%% of %s", 100, "it")  # formatted once: the % it leaves is not formatted again
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert PLAIN not in out
    assert "{'Authorization': 'token ***'}" in out and "RuntimeError: failed at https://x.example/***/repos" in out
    assert "boom 1" in out and "100% of it" in out


def test_settings_never_show_the_token() -> None:
    from tracker_github.settings import Settings

    settings = Settings(slug="acme/app", api_url="https://api.github.com", web_url="https://github.com",
                        token=PLAIN, fast=False)
    assert PLAIN not in repr(settings) and PLAIN not in str(settings)


URL_SECRET = "pa55-w0rd-in-url"


@pytest.mark.parametrize("variables, args, code", [
    ({"GITHUB_API_URL": "http://tracker:{secret}@127.0.0.1:{closed}/api/v3"}, ["--debug", "changelog", "v2"], 1),
    ({"GITHUB_API_URL": "{server}"}, ["--debug", "-v", "release", "v2"], 0),  # notes link issues without it
    ({"GITHUB_API_URL": "ftp://tracker:{secret}@example.org/api"}, ["top"], 2),
    ({"GITHUB_API_URL": "http://{secret}@127.0.0.1:{closed}/api/v3"}, ["changelog", "v2"], 1),
    ({"CI_SERVER_URL": "http://ci:{secret}@127.0.0.1:{closed}", "GITLAB_TOKEN": "glt0k3n-other",
      "CI_PROJECT_PATH": "acme/app"}, ["--debug", "--issues", "gitlab", "changelog", "v2"], 1),
], ids=["unreachable", "working", "malformed", "token as user", "gitlab"])
def test_credentials_in_a_url_setting_are_masked(make_repo: MakeRepo, variables: dict[str, str], args: list[str],
                                                 code: int) -> None:
    import base64

    repo, labels = make_repo(HISTORY, config="publish: [github-release]\n")
    with serve() as server:
        seed(server, labels)
        address = server.url.replace("://", f"://tracker:{URL_SECRET}@")
        env = {**os.environ, **env_for(server)}
        env.update({k: v.format(secret=URL_SECRET, closed=_closed_port(), server=address)
                    for k, v in variables.items()})
        done = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), *args], env=env,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == code, done.stderr[-2000:]
    basic = base64.b64encode(f"tracker:{URL_SECRET}".encode()).decode()
    written = json.dumps(server.snapshot())  # the release notes link the issues
    for shown in (done.stdout, done.stderr, written):
        assert URL_SECRET not in shown and basic not in shown, shown[-2000:]
    if code == 2:
        assert "ftp://***@example.org" in done.stderr


def test_links_made_from_a_url_setting_carry_no_credentials(tmp_path: Path) -> None:
    from tracker_github.settings import load_settings

    env = {"GITHUB_API_URL": f"https://ci:{URL_SECRET}@ghe.example/api/v3", "GITHUB_REPOSITORY": "acme/app"}
    assert load_settings(None, env, tmp_path).web_url == "https://ghe.example"
    env["GITHUB_SERVER_URL"] = f"https://{URL_SECRET}@ghe.example"
    assert load_settings(None, env, tmp_path).web_url == "https://ghe.example"
    assert secrets.redact(f"GET https://ci:{URL_SECRET}@ghe.example/x") == "GET https://***@ghe.example/x"
