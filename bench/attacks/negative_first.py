"""Negative `first`: a nested connection asked with `first: -2147483648` beside a huge query,
to cancel its price; then the huge query alone, and `first: 0` / `first: 101`.

Prints what the server answered to each: the error code and message, and the prices in
`extensions.cost`.
"""

from typing import Any

import httpx

from bench.attacks import Target

NEGATIVE = "n: stores { sellers(first: -2147483648) { edges { node { id } } } }"
# Every seller of 100 pages of users, each with a 10-year summary by day: millions of points.
HUGE = (
    "h: users(first: 100) { edges { node { ... on Seller { "
    'kpiSummary(from: "2015-01-01", to: "2024-12-31", groupBy: DAY) { key ca } } } } }'
)
QUERIES = {
    "negative beside huge": f"{{ {NEGATIVE} {HUGE} }}",
    "negative alone": f"{{ {NEGATIVE} }}",
    "huge alone": f"{{ {HUGE} }}",
    "first: 0": "{ users(first: 0) { edges { node { id } } } }",
    "first: 101 nested": "{ stores { managers(first: 101) { edges { node { id } } } } }",
}


def summary(body: dict[str, Any]) -> str:
    cost = body.get("extensions", {}).get("cost", {})
    prices = f"requested {cost.get('requestedQueryCost')}, actual {cost.get('actualQueryCost')}"
    errors = body.get("errors") or []
    if not errors:
        return f"ran ({prices})"
    error = errors[0]
    code = error.get("extensions", {}).get("code")
    path = ".".join(str(step) for step in error.get("path") or [])
    return f"{code} at {path or '-'}: {error['message'][:70]} ({prices})"


async def run(target: Target) -> list[str]:
    lines = []
    async with httpx.AsyncClient(base_url=target.base_url, timeout=60) as http:
        headers = {"X-API-Key": target.api_key}
        created = await http.post(
            "/api/integrations/stores", headers=headers, json={"name": "Lyon", "location": "Lyon"}
        )
        assert created.is_success, created.text
        for name, query in QUERIES.items():
            response = await http.post("/graphql", json={"query": query}, headers=headers)
            lines.append(f"{name}: HTTP {response.status_code}, {summary(response.json())}")
    return lines
