"""Login lockout: others flood the gérant's email with wrong passwords while he logs in.

Addresses are simulated with X-Forwarded-For, believed from 127.0.0.1 here only (SERVER_ENV);
they are documentation addresses written in a header, no traffic goes to them. Prints the
owner's login latency (p50, p95) and answers during the flood, what 400 wrong logins from one
address get, and the time of a wrong login for a known and for an unknown email.
"""

import asyncio
import statistics
import time
from collections import Counter

import httpx

from bench.attacks import Target

SERVER_ENV = {"FORWARDED_ALLOW_IPS": "127.0.0.1"}
LOGIN = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }"  # noqa: E501
FLOOD_SECONDS = 20.0
OWNER_LOGINS = 20


async def login(http: httpx.AsyncClient, email: str, password: str, address: str) -> str:
    """The answer's kind: ok, or the error's code."""
    response = await http.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"email": email, "password": password}},
        headers={"X-Forwarded-For": address},
    )
    body = response.json()
    if body.get("data") and body["data"].get("login"):
        return "ok"
    return str(body["errors"][0]["extensions"]["code"])


async def attacker(http: httpx.AsyncClient, email: str, until: float, seen: Counter[str]) -> None:
    """12 wrong logins at once from 12 addresses, then one a second from new ones."""
    first = [login(http, email, "wrong", f"203.0.113.{n}") for n in range(1, 13)]
    for outcome in await asyncio.gather(*first):
        seen[outcome] += 1
    n = 13
    while time.monotonic() < until:
        seen[await login(http, email, "wrong", f"203.0.113.{n % 250 + 1}")] += 1
        n += 1
        await asyncio.sleep(1.0)


async def owner(http: httpx.AsyncClient, target: Target, seen: Counter[str]) -> list[float]:
    times = []
    for _ in range(OWNER_LOGINS):
        started = time.perf_counter()
        seen[await login(http, target.gerant_email, target.gerant_password, "198.51.100.7")] += 1
        times.append(time.perf_counter() - started)
        await asyncio.sleep(0.5)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


async def run(target: Target) -> list[str]:
    lines = []
    async with httpx.AsyncClient(base_url=target.base_url, timeout=120) as http:
        flood: Counter[str] = Counter()
        answers: Counter[str] = Counter()
        until = time.monotonic() + FLOOD_SECONDS
        flooding = asyncio.create_task(attacker(http, target.gerant_email, until, flood))
        await asyncio.sleep(0.2)
        times = await owner(http, target, answers)
        await flooding
        p95 = statistics.quantiles(times, n=20)[18]
        lines.append(
            f"owner's correct login during the flood: p50 {ms(statistics.median(times))}, "
            f"p95 {ms(p95)}, max {ms(max(times))} (the first, in the burst: {ms(times[0])}), "
            f"answers {dict(answers)}; the flood got {dict(flood)}"
        )
        one_address: Counter[str] = Counter()
        for _ in range(400):
            one_address[await login(http, "x@attack.example", "wrong", "198.51.100.99")] += 1
        lines.append(f"400 wrong logins from one address: {dict(one_address)}")
        timings: dict[str, list[float]] = {"known": [], "unknown": []}
        for n in range(20):
            for kind, email in (("known", target.gerant_email), ("unknown", "nobody@x.example")):
                started = time.perf_counter()
                await login(http, email, "wrong", f"198.51.100.{100 + n}")
                timings[kind].append(time.perf_counter() - started)
        known, unknown = (statistics.median(timings[k]) for k in ("known", "unknown"))
        lines.append(f"a wrong login, p50: known email {ms(known)}, unknown email {ms(unknown)}")
    return lines
