"""Mutation score of the core rules: mutmut over the functions below, with the fast tests that
cover them (`[tool.mutmut]` in pyproject.toml), summed up in one line.

Usage: `make mutation` (or `.venv/bin/python bench/mutation.py [--children N]`), from a fresh
`mutants/` each time. Prints `mutation score: killed/total` with a line per area and the
surviving mutants: `.venv/bin/mutmut show NAME` prints one's diff, `.venv/bin/mutmut run NAME`
tests it again, and `--last` prints the score of `mutants/` as it stands. Not a test: CI does
not run it.
"""

import argparse
import fnmatch
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"

# Each area's mutants, by mutmut's names (module.x_function or module.xǁClassǁmethod); a
# mutant counts in the first area that names it.
AREAS: dict[str, list[str]] = {
    "checksums": [
        "resolvers.kpi.figures.xǁDayLineǁ*",
        "resolvers.kpi.figures.x_canonical_day__*",
        "resolvers.kpi.figures.x_day_checksum__*",
        "infra.api_key_format.x_checksum__*",
        "infra.api_key_format.x__base62__*",
    ],
    "money and figures": [
        "resolvers.kpi.figures.*",
        "resolvers.kpi.sync.x__number__*",
        "resolvers.kpi.sync.x__in_cents__*",
        "resolvers.kpi.sync.x__line__*",
        "resolvers.kpi.summaries.x__divide__*",
        "resolvers.kpi.summaries.x__rounded__*",
        "resolvers.kpi.summaries.x__exact__*",
        "resolvers.kpi.summaries.x__metrics__*",
        "resolvers.kpi.summaries.x__relative__*",
        "resolvers.kpi.summaries.x__change__*",
        "schema.money.*",
    ],
    "rollups": [
        "resolvers.kpi.rollups.*",
        "resolvers.kpi.rollup_writes.*",
        "resolvers.kpi.rollup_admin.*",
    ],
    "key format": ["infra.api_key_format.*"],
    # The pricing, not the extension that draws from the buckets (tested through a server).
    "cost pricing": ["schema.cost.x_*", "infra.cost_buckets.*"],
    "rate limits": ["infra.rate_limits.*"],
    "scope helpers": [
        "resolvers.scopes.*",
        "resolvers.kpi.scope.*",
    ],
}
KILLED = frozenset({"killed", "timeout", "caught by type check"})


def area_of(name: str) -> str | None:
    for area, patterns in AREAS.items():
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
            return area
    return None


def run_mutmut(children: int) -> int:
    shutil.rmtree(MUTANTS, ignore_errors=True)
    MUTANTS.mkdir(exist_ok=True)
    mutmut = Path(sys.executable).parent / "mutmut"
    patterns = [pattern for patterns in AREAS.values() for pattern in patterns]
    command = [str(mutmut), "run", "--max-children", str(children), *patterns]
    log = MUTANTS / "run.log"
    print(f"mutmut run, {children} worker(s); its output: {log}", flush=True)  # noqa: T201
    with log.open("w") as output:
        return subprocess.run(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT).returncode


def results() -> dict[str, str]:
    """Each selected mutant's status, by name."""
    found: dict[str, str] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if area_of(name) is not None:
                found[name] = status_by_exit_code[code]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1, help="mutmut workers (default 1)")
    parser.add_argument("--last", action="store_true", help="the last run's score, no new run")
    arguments = parser.parse_args()
    code = 0 if arguments.last else run_mutmut(arguments.children)
    if code != 0:
        print(f"mutmut failed (exit {code}); see {MUTANTS / 'run.log'}")  # noqa: T201
        return code
    statuses = results()
    by_area: dict[str, Counter[str]] = {area: Counter() for area in AREAS}
    for name, status in statuses.items():
        by_area[area_of(name) or ""][status] += 1
    report = []
    for area, counts in by_area.items():
        killed = sum(counts[status] for status in KILLED)
        report.append(f"  {area:<18} {killed:>4}/{sum(counts.values())}")
    survivors = sorted(name for name, status in statuses.items() if status not in KILLED)
    report += [f"  {statuses[name]}: {name}" for name in survivors]
    killed = len(statuses) - len(survivors)
    report.append(
        f"mutation score: {killed}/{len(statuses)} ({100 * killed / len(statuses):.1f} %)"
    )
    print("\n".join(report))  # noqa: T201 - the report
    return 0


if __name__ == "__main__":
    sys.exit(main())
