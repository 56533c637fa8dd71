"""Anonymous introspection flood: 4 clients without credentials loop 30-alias `__schema` queries
while another tenant (the provisioned key) lists its stores.

Measures that tenant's `GET /api/integrations/stores` p50 idle, then during ~15 s of the flood,
and counts the flood's answers: run, refused for their cost (THROTTLED) or by the anonymous
rate limit (TOO_MANY_REQUESTS, 429).
"""

import asyncio
import statistics
import time
from collections import Counter

import httpx
from graphql import OperationDefinitionNode, get_introspection_query, parse, print_ast

from bench.attacks import Target

CLIENTS = 4
FLOOD_SECONDS = 15.0
IDLE_SAMPLES = 100
ALIASES = 30


def flood_query() -> str:
    """GraphiQL's full introspection, its `__schema` selection asked 30 times under aliases."""
    full = parse(get_introspection_query(descriptions=True))
    [operation, *fragments] = full.definitions
    assert isinstance(operation, OperationDefinitionNode)
    selection = print_ast(operation.selection_set.selections[0])
    aliased = " ".join(f"s{n}: {selection}" for n in range(ALIASES))
    return f"query Flood {{ {aliased} }}\n" + "\n".join(print_ast(f) for f in fragments)


async def stores_latency(http: httpx.AsyncClient, key: str, statuses: Counter[int]) -> float:
    started = time.perf_counter()
    response = await http.get("/api/integrations/stores", headers={"X-API-Key": key})
    statuses[response.status_code] += 1
    return time.perf_counter() - started


async def flood(base_url: str, query: str, until: float, outcomes: Counter[str]) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        while time.monotonic() < until:
            response = await http.post("/graphql", json={"query": query})
            if response.status_code != 200:
                outcomes[f"HTTP {response.status_code}"] += 1
                continue
            body = response.json()
            errors = body.get("errors") or []
            if body.get("data"):
                outcomes["answered"] += 1
            else:
                code = errors[0]["extensions"]["code"] if errors else "?"
                outcomes[code] += 1


async def run(target: Target) -> list[str]:
    query = flood_query()
    async with httpx.AsyncClient(base_url=target.base_url, timeout=60) as http:
        for n in range(3):
            created = await http.post(
                "/api/integrations/stores",
                headers={"X-API-Key": target.api_key},
                json={"name": f"Magasin {n}", "location": "Lyon"},
            )
            assert created.is_success, created.text
        probe = await http.post("/graphql", json={"query": query})
        first = probe.json()
        cost = first.get("extensions", {}).get("cost", {})
        first_error = (first.get("errors") or [{}])[0]
        idle_statuses: Counter[int] = Counter()
        idle = [
            await stores_latency(http, target.api_key, idle_statuses) for _ in range(IDLE_SAMPLES)
        ]
        statuses: Counter[int] = Counter()
        outcomes: Counter[str] = Counter()
        until = time.monotonic() + FLOOD_SECONDS
        flooders = [
            asyncio.create_task(flood(target.base_url, query, until, outcomes))
            for _ in range(CLIENTS)
        ]
        during: list[float] = []
        while time.monotonic() < until:
            during.append(await stores_latency(http, target.api_key, statuses))
            await asyncio.sleep(0.05)
        await asyncio.gather(*flooders)
    idle_p50, during_p50 = statistics.median(idle), statistics.median(during)
    return [
        f"one flood query: {len(query)} characters, {len(probe.content)} bytes answered, "
        f"requestedQueryCost {cost.get('requestedQueryCost')}, "
        f"answer {first_error.get('extensions', {}).get('code', 'data')}: "
        f"{first_error.get('message', '')[:90]}",
        f"GET /stores p50 idle {idle_p50 * 1000:.1f} ms ({len(idle)} calls), during the flood "
        f"{during_p50 * 1000:.1f} ms ({len(during)} calls): x{during_p50 / idle_p50:.1f}; "
        f"statuses idle {dict(idle_statuses)}, during {dict(statuses)}",
        f"flood ({CLIENTS} anonymous clients, {FLOOD_SECONDS:.0f} s): "
        + ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())),
    ]
