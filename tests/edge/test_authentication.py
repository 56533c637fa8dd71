"""The one authentication step: every request gets a request id, echoed or replaced."""

import re

import httpx


class TestRequestId:
    async def test_generated_echoed_or_replaced(self, client: httpx.AsyncClient) -> None:
        generated = await client.get("/healthz")
        assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
        echoed = await client.get("/healthz", headers={"X-Request-ID": "pos-42.retry-1"})
        assert echoed.headers["x-request-id"] == "pos-42.retry-1"
        for insane in ("has spaces", "x" * 129, "<script>"):
            replaced = await client.get("/healthz", headers={"X-Request-ID": insane})
            assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])
