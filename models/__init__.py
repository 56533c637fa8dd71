"""Beanie documents; DOCUMENT_MODELS is the one list given to init_beanie everywhere."""

from beanie import Document

from models.api_key import ApiKey
from models.kpi_entry import KpiEntry
from models.store import Store
from models.user import Role, User, UserStatus

DOCUMENT_MODELS: list[type[Document]] = [User, Store, ApiKey, KpiEntry]

__all__ = ["DOCUMENT_MODELS", "ApiKey", "KpiEntry", "Role", "Store", "User", "UserStatus"]
