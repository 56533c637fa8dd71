"""What one tenant's imports may take before they run, on SecantusDB: a few queued or running
at once (the app's worker idle here, so none ends); the next is refused before its file is
read, and another tenant is not."""

import httpx
import pytest

from contract import messages
from models import KpiImportChunk
from resolvers.kpi.imports import MAX_IMPORTS_IN_FLIGHT
from tests.support.factories import headers, make_gerant, make_key

pytestmark = pytest.mark.usefixtures("client")

IMPORTS = "/api/integrations/kpi/imports"
NDJSON = {"Content-Type": "application/x-ndjson"}


async def test_a_tenant_queues_a_few_imports_at_once_and_others_are_not_held_back(
    client: httpx.AsyncClient,
) -> None:
    gerant = await make_gerant()
    key = await make_key(gerant)
    sent = {**headers(key), **NDJSON}
    queued = [
        await client.post(IMPORTS, content=b"{}\n", headers=sent)
        for _ in range(MAX_IMPORTS_IN_FLIGHT)
    ]

    refused = await client.post(IMPORTS, content=b"{}\n{}\n", headers=sent)
    elsewhere = await client.post(
        IMPORTS, content=b"{}\n", headers={**headers(await make_key(await make_gerant())), **NDJSON}
    )

    assert [answer.status_code for answer in queued] == [202] * MAX_IMPORTS_IN_FLIGHT
    assert refused.status_code == 429
    assert refused.json() == {
        "detail": messages.KPI_IMPORTS_IN_FLIGHT.format(maximum=MAX_IMPORTS_IN_FLIGHT)
    }
    assert refused.headers["Retry-After"] == "60"
    assert elsewhere.status_code == 202
    assert await KpiImportChunk.find({"gerant_id": gerant.id}).count() == MAX_IMPORTS_IN_FLIGHT
