"""Run `tracker ARGS` in this process and print its own peak RSS to stderr on exit.

    python benchmarks/selfrss.py changelog v2 --previous v1 --format json

`wait4` reports the largest process of a tree, which for a long range is the
`git log` tracker reads from (git's memory grows with the commits it walks, for
any reader). This measures tracker's process alone: `self-peak-rss-kib N`.
"""

from __future__ import annotations

import atexit
import resource
import runpy
import sys


def _report() -> None:
    print(f"self-peak-rss-kib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)


if __name__ == "__main__":
    atexit.register(_report)
    sys.argv = ["tracker", *sys.argv[1:]]
    runpy.run_module("tracker", run_name="__main__", alter_sys=True)
