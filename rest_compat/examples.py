"""The spec's success responses, shown as examples in the OpenAPI document."""

from typing import Any

STORE = {
    "id": "store-123",
    "name": "Magasin Paris Centre",
    "location": "75001 Paris",
    "address": "123 Rue de Rivoli",
    "phone": "0123456789",
    "opening_hours": "9h-19h du lundi au samedi",
    "gerant_id": "gerant-xyz",
    "active": True,
    "created_at": "2024-01-15T10:00:00Z",
}

SUCCESS_EXAMPLES: dict[tuple[str, str], Any] = {
    ("get", "/api/integrations/stores"): {"stores": [STORE]},
    ("post", "/api/integrations/stores"): {
        "success": True,
        "store": {
            **STORE,
            "id": "store-456",
            "name": "Magasin Lyon Centre",
            "location": "69001 Lyon",
            "address": "456 Rue de la République",
        },
    },
    ("post", "/api/integrations/stores/{store_id}/managers"): {
        "success": True,
        "manager_id": "manager-789",
        "manager": {
            "id": "manager-789",
            "name": "Jean Dupont",
            "email": "jean.dupont@example.com",
            "store_id": "store-123",
            "external_id": "MANAGER-001",
        },
    },
    ("post", "/api/integrations/stores/{store_id}/sellers"): {
        "success": True,
        "seller_id": "seller-456",
        "seller": {
            "id": "seller-456",
            "name": "Marie Martin",
            "email": "marie.martin@example.com",
            "store_id": "store-123",
            "manager_id": "manager-789",
            "external_id": "SELLER-001",
        },
    },
    ("put", "/api/integrations/users/{user_id}"): {
        "success": True,
        "user_id": "manager-789",
        "user": {
            "id": "manager-789",
            "name": "Jean Dupont Modifié",
            "role": "manager",
            "status": "active",
            "phone": "0987654321",
            "store_id": "store-123",
            "external_id": "MANAGER-001-UPDATED",
        },
    },
    ("delete", "/api/integrations/stores/{store_id}"): {
        "success": True,
        "message": "Magasin supprimé avec succès",
    },
    ("delete", "/api/integrations/users/{user_id}"): {
        "success": True,
        "message": "Manager supprimé avec succès",
    },
    ("post", "/api/integrations/kpi/sync"): {
        "status": "success",
        "entries_created": 2,
        "entries_updated": 0,
        "total": 2,
    },
    ("get", "/api/integrations/me"): {
        "key": {
            "id": "key_65f1c0ffee",
            "name": "Caisse Magasin Paris",
            "prefix": "sk_live_AbC123",
            "permissions": ["kpi:write"],
            "store_ids": ["store-paris-123", "store-paris-456"],
            "expires_at": None,
            "created_at": "2024-01-15T10:00:00Z",
            "last_used_at": "2024-01-16T08:30:00Z",
        },
        "gerant": {"id": "gerant-xyz", "name": "Alice Martin"},
    },
    ("get", "/api/integrations/kpi"): {
        "store_id": "store-123",
        "from": "2024-01-15",
        "to": "2024-01-16",
        "days": [
            {
                "date": "2024-01-15",
                "entries": 2,
                "ca_total": "2230.75",
                "nb_ventes": 20,
                "nb_articles": 43,
                "prospects": 55,
                "checksum": "16bd2b1ea2ff364faaf54d32e708dd0e2ce2d417cc077641ab266dd5ff334068",
            },
            {
                "date": "2024-01-16",
                "entries": 0,
                "ca_total": "0.00",
                "nb_ventes": 0,
                "nb_articles": 0,
                "prospects": 0,
                "checksum": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            },
        ],
    },
}
