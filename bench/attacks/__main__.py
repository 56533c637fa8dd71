"""`make attack`: run each scenario on a fresh server and print its figures."""

import argparse
import asyncio
import importlib
import time

from bench.attacks import provisioned

SCENARIOS: list[str] = [
    "login_lockout",
    "subscription_flood",
    "anonymous_flood",
    "negative_first",
    "unknown_commit",
    "reset_timing",
]


def say(line: str) -> None:
    print(line, flush=True)  # noqa: T201 - the report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"scenarios to run (default: all of {SCENARIOS})")
    names = parser.parse_args().names or SCENARIOS
    for name in names:
        scenario = importlib.import_module(f"bench.attacks.{name}")
        started = time.monotonic()
        say(f"== {name}: {scenario.__doc__.splitlines()[0] if scenario.__doc__ else ''}")
        with provisioned(getattr(scenario, "SERVER_ENV", None)) as target:
            for line in asyncio.run(scenario.run(target)):
                say(f"   {line}")
        say(f"   ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
