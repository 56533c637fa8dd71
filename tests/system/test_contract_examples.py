"""The contract's own examples (Notice d'utilisation, version 1.0), sent as written, answer byte
for byte as the contract shows them: its ids and timestamps stand for ours, and version 1.1's
additions to these answers, the store's `external_id` then its `updated_at`, come last."""

import json
from typing import Any

import httpx
import pytest

from models import Role, Store, User
from tests.support.factories import make_gerant, make_key, make_store, make_user

pytestmark = pytest.mark.usefixtures("client")


def rendered(body: Any) -> bytes:
    """JSON as the API writes it: compact, UTF-8, keys in the order given."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def spec_store(store: Store, gerant: User, **fields: Any) -> dict[str, Any]:
    """A store in the contract's shape and key order, with our ids and timestamps; `fields`
    (its external_id), then its updated_at, follow."""
    return {
        "id": store.id,
        "name": store.name,
        "location": store.location,
        "address": store.address,
        "phone": store.phone,
        "opening_hours": store.opening_hours,
        "gerant_id": gerant.id,
        "active": store.active,
        "created_at": store.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **fields,
        "updated_at": store.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


async def send(
    client: httpx.AsyncClient, method: str, path: str, key: str, body: str | None = None
) -> httpx.Response:
    headers = {"X-API-Key": key}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return await client.request(method, f"/api/integrations{path}", content=body, headers=headers)


async def test_get_stores(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    store = await make_store(
        gerant,
        "Magasin Paris Centre",
        address="123 Rue de Rivoli",
        phone="0123456789",
        opening_hours="9h-19h du lundi au samedi",
    )
    response = await send(client, "GET", "/stores", await make_key(gerant))
    assert response.status_code == 200
    assert response.content == rendered({"stores": [spec_store(store, gerant, external_id=None)]})


async def test_post_stores(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    key = await make_key(gerant)
    body = """{
  "name": "Magasin Lyon Centre",
  "location": "69001 Lyon",
  "address": "456 Rue de la République",
  "phone": "0123456789",
  "opening_hours": "9h-19h du lundi au samedi",
  "external_id": "LYON-001"
}"""
    response = await send(client, "POST", "/stores", key, body)
    assert response.status_code == 200
    store = await Store.get(response.json()["store"]["id"])
    assert store is not None
    expected = {"success": True, "store": spec_store(store, gerant, external_id="LYON-001")}
    assert response.content == rendered(expected)
    curl = """{
    "name": "Magasin Lyon Part-Dieu",
    "location": "69003 Lyon",
    "address": "456 Rue de la République"
  }"""
    response = await send(client, "POST", "/stores", key, curl)
    store = await Store.get(response.json()["store"]["id"])
    assert store is not None
    expected = {"success": True, "store": spec_store(store, gerant, external_id=None)}
    assert response.content == rendered(expected)


async def test_post_managers_and_sellers(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    key = await make_key(gerant)
    manager = await send(
        client,
        "POST",
        f"/stores/{store.id}/managers",
        key,
        """{
  "name": "Jean Dupont",
  "email": "jean.dupont@example.com",
  "phone": "0123456789",
  "external_id": "MANAGER-001",
  "send_invitation": true
}""",
    )
    manager_id = manager.json()["manager_id"]
    assert manager.content == rendered(
        {
            "success": True,
            "manager_id": manager_id,
            "manager": {
                "id": manager_id,
                "name": "Jean Dupont",
                "email": "jean.dupont@example.com",
                "store_id": store.id,
                "external_id": "MANAGER-001",
            },
        }
    )
    seller = await send(
        client,
        "POST",
        f"/stores/{store.id}/sellers",
        key,
        f"""{{
  "name": "Marie Martin",
  "email": "marie.martin@example.com",
  "manager_id": "{manager_id}",
  "phone": "0123456789",
  "external_id": "SELLER-001",
  "send_invitation": true
}}""",
    )
    seller_id = seller.json()["seller_id"]
    assert seller.content == rendered(
        {
            "success": True,
            "seller_id": seller_id,
            "seller": {
                "id": seller_id,
                "name": "Marie Martin",
                "email": "marie.martin@example.com",
                "store_id": store.id,
                "manager_id": manager_id,
                "external_id": "SELLER-001",
            },
        }
    )


async def test_put_and_delete_users(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    manager = await make_user(gerant, Role.MANAGER, store)
    seller = await make_user(gerant, Role.SELLER, store)
    key = await make_key(gerant)
    body = """{
  "name": "Jean Dupont Modifié",
  "phone": "0987654321",
  "status": "active",
  "external_id": "MANAGER-001-UPDATED"
}"""
    updated = await send(client, "PUT", f"/users/{manager.id}", key, body)
    assert updated.content == rendered(
        {
            "success": True,
            "user_id": manager.id,
            "user": {
                "id": manager.id,
                "name": "Jean Dupont Modifié",
                "role": "manager",
                "status": "active",
                "phone": "0987654321",
                "store_id": store.id,
                "external_id": "MANAGER-001-UPDATED",
            },
        }
    )
    for user, message in ((manager, "Manager"), (seller, "Seller")):
        deleted = await send(client, "DELETE", f"/users/{user.id}", key)
        assert deleted.content == rendered(
            {"success": True, "message": f"{message} supprimé avec succès"}
        )


async def test_delete_store(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    response = await send(client, "DELETE", f"/stores/{store.id}", await make_key(gerant))
    assert response.content == rendered(
        {"success": True, "message": "Magasin supprimé avec succès"}
    )


async def test_kpi_sync(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(2)]
    body = f"""{{
  "store_id": "{store.id}",
  "date": "2024-01-15",
  "kpi_entries": [
    {{
      "seller_id": "{sellers[0].id}",
      "ca_journalier": 1250.50,
      "nb_ventes": 12,
      "nb_articles": 28,
      "prospects": 35
    }},
    {{
      "seller_id": "{sellers[1].id}",
      "ca_journalier": 980.25,
      "nb_ventes": 8,
      "nb_articles": 15,
      "prospects": 20
    }}
  ],
  "source": "external_api"
}}"""
    response = await send(client, "POST", "/kpi/sync", await make_key(gerant), body)
    assert response.content == rendered(
        {"status": "success", "entries_created": 2, "entries_updated": 0, "total": 2}
    )
