"""Password-reset enumeration: requestPasswordReset for a known and for unknown emails.

Addresses are simulated with X-Forwarded-For (believed from 127.0.0.1 here only, SERVER_ENV),
documentation addresses written in a header: each request comes from a fresh one, and the
per-email bound is raised so that the timing samples are not cut short. Prints the answers and
the time (p50, p95, mean) of known and unknown emails, interleaved, then what a burst from one
address and one email gets under the default bounds' shape.
"""

import statistics
import time
from collections import Counter

import httpx

from bench.attacks import Target

SERVER_ENV = {
    "FORWARDED_ALLOW_IPS": "127.0.0.1",
    "RPAI_PASSWORD_RESETS_PER_EMAIL": "1000",
    "RPAI_PASSWORD_RESETS_PER_ADDRESS": "20",
}
REQUEST = "mutation($email: String!) { requestPasswordReset(email: $email) }"
SAMPLES = 200


async def ask(http: httpx.AsyncClient, email: str, address: str) -> tuple[str, float]:
    started = time.perf_counter()
    response = await http.post(
        "/graphql",
        json={"query": REQUEST, "variables": {"email": email}},
        headers={"X-Forwarded-For": address},
    )
    elapsed = time.perf_counter() - started
    body = response.json()
    if body.get("data"):
        return f"data={body['data']['requestPasswordReset']}", elapsed
    return str(body["errors"][0]["extensions"]["code"]), elapsed


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return (
        f"p50 {statistics.median(ordered) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, "
        f"mean {statistics.fmean(ordered) * 1000:.2f} ms"
    )


async def run(target: Target) -> list[str]:
    known: list[float] = []
    unknown: list[float] = []
    answers: dict[str, Counter[str]] = {"known": Counter(), "unknown": Counter()}
    async with httpx.AsyncClient(base_url=target.base_url, timeout=30) as http:
        for n in range(20):  # warm-up, not counted
            await ask(http, f"warm{n}@attack.example", f"192.0.2.{n % 250 + 1}")
        for n in range(SAMPLES):
            address = f"198.51.{n // 250}.{n % 250 + 1}"
            # Interleaved, so that a drift of the machine weighs on both alike.
            answer, took = await ask(http, target.gerant_email, address)
            answers["known"][answer] += 1
            known.append(took)
            answer, took = await ask(
                http, f"nobody{n}@attack.example", f"203.0.{n // 250}.{n % 250 + 1}"
            )
            answers["unknown"][answer] += 1
            unknown.append(took)
        burst = Counter(
            [(await ask(http, f"b{n}@attack.example", "192.0.2.200"))[0] for n in range(25)]
        )
    difference = statistics.median(known) - statistics.median(unknown)
    return [
        f"known email ({SAMPLES}): {dict(answers['known'])}; {figures(known)}",
        f"unknown emails ({SAMPLES}): {dict(answers['unknown'])}; {figures(unknown)}",
        f"median difference known - unknown: {difference * 1000:+.2f} ms",
        f"25 requests from one address (bound 20 an hour): {dict(burst)}",
    ]
