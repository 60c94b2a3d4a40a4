"""The progress line, read off a real pseudo-terminal: one line per command, counting commits,
gone when the command ends, absent for sub-second work and when output is not a terminal."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from terminal import run

from tracker.cli.progress import Progress

REQUESTS = [{"id": str(n), "title": f"Request {n}", "author": f"fan{n}", "voters": ["ann"]} for n in range(1, 7)]
# Three builds of 5, 4 and 6 commits: a line counting git's blocks would say 1 for each.
STEPS: list[dict[str, Any]] = [
    *({"commit": f"feat: part {n}" + ("\n\nFixes #1" if n == 2 else ""), "author": "dev"} for n in range(5)),
    {"tag": "v1"},
    *({"commit": f"feat: more {n}" + ("\n\nCloses #2" if n == 1 else ""), "author": "dev"} for n in range(4)),
    {"tag": "v2"},
    *({"commit": f"fix: last {n}" + ("\n\nFixes #3" if n == 3 else ""), "author": "dev"} for n in range(6)),
    {"tag": "v3"},
]
FRAME = re.compile(r"(\d[\d,]*) (commits|requests|items), ([^\r\x1b]*)")


@pytest.fixture
def repo(make_repo: Callable[..., tuple[Path, dict[str, str]]]) -> Path:
    return make_repo(STEPS, config="issues: local\n", requests=REQUESTS)[0]


def test_one_line_counts_commits_and_is_gone_when_the_command_ends(repo: Path) -> None:
    shown = run(["fans"], repo, {"TRACKER_PROGRESS_DELAY": "0"})
    assert shown.code == 0
    frames = FRAME.findall(shown.raw)
    assert frames, shown.raw
    # Counted in commits, and the count runs on across the builds (one line for the command).
    assert frames[0] == ("6", "commits", "reading v2..v3")
    counts = [int(count.replace(",", "")) for count, unit, _ in frames if unit == "commits"]
    assert counts == sorted(counts) and counts[-1] >= 10
    assert {label for _, _, label in frames} >= {"reading v2..v3", "reading v1..v2", "reading v1"}
    # Nothing of it is left on screen: the table starts on the first line and is all there is.
    assert shown.screen[0].split() == ["login", "suggested", "voted", "built", "reported", "tested", "builds"]
    assert not any("commits" in line or "reading" in line for line in shown.screen)
    # The commits' author "dev" has no known login, so only the fans are credited.
    assert len(shown.screen) == 1 + len({"ann", "fan1", "fan2", "fan3"})


def test_no_line_for_sub_second_work(repo: Path) -> None:
    shown = run(["changelog", "v3", "--format", "text"], repo)  # milliseconds of reading
    assert shown.code == 0
    assert not FRAME.findall(shown.raw) and "\x1b[K" not in shown.raw
    assert "Request 3" in shown.text


def test_no_line_when_stdout_is_not_a_terminal(repo: Path) -> None:
    shown = run(["fans"], repo, {"TRACKER_PROGRESS_DELAY": "0"}, stdout_to_pipe=True)
    assert shown.code == 0
    assert shown.raw == ""


def test_an_error_after_the_work_leaves_only_its_one_line(repo: Path) -> None:
    shown = run(["changelog", "v3", "-o", ".github"], repo, {"TRACKER_PROGRESS_DELAY": "0"})
    assert shown.code == 2
    assert FRAME.findall(shown.raw)[0] == ("6", "commits", "reading v2..v3")
    assert len(shown.screen) == 1 and shown.screen[0].startswith("tracker: -o .github: ")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Screen:
    def __init__(self) -> None:
        self.written: list[str] = []

    def write(self, text: str) -> int:
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_stages_share_the_line_and_a_known_total_grows() -> None:
    clock, screen = Clock(), Screen()
    progress = Progress(screen, delay=1.0, clock=clock)  # type: ignore[arg-type]

    def ticking(items: list[int]) -> list[int]:
        out = []
        for item in progress(items, "reading issues", total=len(items), unit="requests"):
            clock.now += 0.3
            out.append(item)
        return out

    assert ticking([1, 2, 3]) == [1, 2, 3]  # 0.9 s so far: nothing shown yet
    assert screen.written == []
    ticking([4, 5])
    shown = "".join(screen.written)
    assert "[################....] 4/5 requests, reading issues" in shown  # 1.2 s: shown, total grown to 5
    assert shown.endswith("\r\x1b[K")  # cleared when the stage ended
    progress.note("note: something")
    assert screen.written[-1] == "note: something\n"
