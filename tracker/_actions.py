"""GitHub Actions: step outputs and the job summary, written by the CLI itself.

The Action stays a thin wrapper: when `GITHUB_OUTPUT` is set the CLI appends
`shipped`, `credited` and `report`; when `GITHUB_STEP_SUMMARY` is set it appends
the build's Markdown changelog.
"""

from __future__ import annotations

import json
import secrets as random_tokens
from collections.abc import Callable, Mapping
from pathlib import Path

from tracker._output import write_report
from tracker._schema import Report


def _append(path: str, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def output_block(name: str, value: str) -> str:
    """One output in GitHub's multiline-safe form, with a delimiter the value cannot contain."""
    delimiter = f"ghadelimiter_{random_tokens.token_hex(16)}"
    while delimiter in value:
        delimiter = f"ghadelimiter_{random_tokens.token_hex(16)}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def report_outputs(env: Mapping[str, str], git_dir: Path, data: Report, markdown: Callable[[], str]) -> None:
    """Write the outputs and job summary when running inside GitHub Actions; no-op elsewhere.
    `markdown` gives the build's Markdown changelog (asked only for the job summary)."""
    outputs = env.get("GITHUB_OUTPUT")
    summary = env.get("GITHUB_STEP_SUMMARY")
    if not outputs and not summary:
        return
    if outputs:
        folder = Path(env.get("RUNNER_TEMP") or git_dir / "tracker")
        report_path = folder / f"tracker-report-{data['build']}.json"
        write_report(data, report_path, indent=2)
        shipped = json.dumps([s["id"] for s in data["shipped"]])
        credited = json.dumps([c["login"] for c in data["credits"]], ensure_ascii=False)
        _append(outputs, output_block("shipped", shipped) + output_block("credited", credited)
                + output_block("report", str(report_path.resolve())))
    if summary:
        _append(summary, markdown().rstrip("\n") + "\n")


def build_from_env(env: Mapping[str, str]) -> str | None:
    """The build tag of this workflow run: the release event's tag, else the tag ref being built."""
    event_path = env.get("GITHUB_EVENT_PATH")
    if event_path:
        try:
            event = json.loads(Path(event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            event = {}
        tag = (event.get("release") or {}).get("tag_name") if isinstance(event, dict) else None
        if isinstance(tag, str) and tag:
            return tag
    if env.get("GITHUB_REF_TYPE") == "tag" and env.get("GITHUB_REF_NAME"):
        return env["GITHUB_REF_NAME"]
    ref = env.get("GITHUB_REF", "")
    return ref[len("refs/tags/"):] if ref.startswith("refs/tags/") else None
