"""The contract's words: every message the specification (`../shared/spec/integrations-api.fr.md`)
and the reference (`docs/`) spell out, pinned to its literal text beside what the code answers.

Other tests compare answers with the `messages` constants, so a changed constant changes what
they expect too; here it fails. A message the docs add must be pinned here as well."""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from contract import messages
from contract.errors import BadRequest
from contract.validation import parse
from resolvers.kpi.sync import KpiSync
from resolvers.stores import StoreCreate, StoreFilter, StoreUpdate
from resolvers.users import UserUpdate
from rest_compat.events import EventListQuery
from rest_compat.users import UserListQuery

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = sorted((ROOT / "docs").glob("integrations-api.*.md"))


def refusal(model: type[BaseModel], data: object) -> str:
    """The 400 message validating `data` answers (as both transports give it)."""
    try:
        parse(model, data)
    except BadRequest as refused:
        return refused.message
    return "(accepted)"


def entry(ca: object = 1) -> dict[str, object]:
    return {"seller_id": "s", "ca_journalier": ca, "nb_ventes": 0, "nb_articles": 0}


# The specification's messages: its examples and the titles of its FAQ.
SPEC = [
    (
        "Insufficient permissions. Requires 'stores:write'",
        messages.INSUFFICIENT_PERMISSIONS.format(permission="stores:write"),
    ),
    (
        "API key does not have access to this store (not in store_ids list)",
        messages.STORE_NOT_IN_KEY_SCOPE,
    ),
    ("No fields to update", messages.NO_FIELDS_TO_UPDATE),
    ("Email already registered", messages.EMAIL_TAKEN),
    ("Store not found", messages.STORE_NOT_FOUND),
    ("Magasin supprimé avec succès", messages.STORE_DELETED),
    ("Manager supprimé avec succès", messages.MANAGER_DELETED),
    ("Seller supprimé avec succès", messages.SELLER_DELETED),
]

# Those of docs/integrations-api.en.md and .fr.md (both quote the same ones).
DOCS = [
    ("Missing API key. Send it in the X-API-Key header", messages.MISSING_API_KEY),
    ("Invalid API key", messages.INVALID_API_KEY),
    ("API key is inactive", messages.INACTIVE_API_KEY),
    ("API key has expired", messages.EXPIRED_API_KEY),
    (
        "Insufficient permissions. Requires '<permission>'",
        messages.INSUFFICIENT_PERMISSIONS.format(permission="<permission>"),
    ),
    (
        "Insufficient permissions. Requires 'users:read'",
        messages.INSUFFICIENT_PERMISSIONS.format(permission="users:read"),
    ),
    (
        "API key does not have access to this store (not in store_ids list)",
        messages.STORE_NOT_IN_KEY_SCOPE,
    ),
    ("A store with this name already exists", messages.STORE_NAME_TAKEN),
    ("A store with this external_id already exists", messages.STORE_EXTERNAL_ID_TAKEN),
    ("A user with this external_id already exists", messages.USER_EXTERNAL_ID_TAKEN),
    ("Amounts have at most two decimals (whole cents)", messages.AMOUNT_TOO_PRECISE),
    ("No fields to update", messages.NO_FIELDS_TO_UPDATE),
    ("Store not found", messages.STORE_NOT_FOUND),
    ("Store is inactive", messages.STORE_INACTIVE),
    ("Magasin supprimé avec succès", messages.STORE_DELETED),
    ("Email already registered", messages.EMAIL_TAKEN),
    ("Manager not found in this store", messages.MANAGER_NOT_FOUND_IN_STORE),
    ("User not found", messages.USER_NOT_FOUND),
    ("User already deleted", messages.USER_ALREADY_DELETED),
    ("Cannot update a deleted user", messages.USER_DELETED_CANNOT_UPDATE),
    ("Cannot change the gérant's status through the API", messages.GERANT_STATUS_LOCKED),
    (
        "API key restricted by store_ids cannot modify a user without store",
        messages.USER_WITHOUT_STORE,
    ),
    ("Manager supprimé avec succès", messages.MANAGER_DELETED),
    ("Seller supprimé avec succès", messages.SELLER_DELETED),
    ("Service temporarily unavailable", messages.SERVICE_UNAVAILABLE),
    (
        "Other syncs of the same entries kept the database busy: nothing was saved; "
        "send the same request again after Retry-After seconds",
        messages.KPI_WRITE_CONFLICT,
    ),
    ("PersistedQueryNotFound", messages.PERSISTED_QUERY_NOT_FOUND),
    ("provided sha does not match query", messages.PERSISTED_QUERY_HASH_MISMATCH),
    (
        "kpi_entries: seller_id not a seller of this store: …",
        messages.KPI_UNKNOWN_SELLERS.format(ids="…"),
    ),
    (
        "kpi_entries: seller_external_id not a seller of this store: …",
        messages.KPI_UNKNOWN_SELLER_EXTERNAL_IDS.format(ids="…"),
    ),
    ("Mutations are sent with POST: GET runs queries only", messages.MUTATION_OVER_GET),
    (
        "Too many connections: this caller already holds 10",
        messages.CONNECTIONS_LIMITED.format(limit=10),
    ),
    (
        "Too many subscriptions: this caller already holds 50; end one before subscribing again",
        messages.SUBSCRIPTIONS_LIMITED.format(limit=50),
    ),
    ("store_ids[0]: Not a store id", f"store_ids[0]: {messages.STORE_ID_MALFORMED}"),
    ("Event not found", messages.EVENT_NOT_FOUND),
    (
        "No such event to start after: unknown, or older than the feed keeps",
        messages.EVENT_CURSOR_UNKNOWN,
    ),
    (
        "The events feed covers every store of the tenant: read it with an API key that is not "
        "restricted by store_ids",
        messages.EVENTS_STORE_RESTRICTED,
    ),
    (
        "Insufficient permissions. Requires 'events:read'",
        messages.INSUFFICIENT_PERMISSIONS.format(permission="events:read"),
    ),
    ("url: webhook endpoints must use https", messages.WEBHOOK_URL_NOT_HTTPS),
    (
        "url: the host must resolve to public internet addresses only",
        messages.WEBHOOK_URL_NOT_PUBLIC,
    ),
    ("url: not a valid URL (give https:// and a host name)", messages.WEBHOOK_URL_MALFORMED),
    ("events: Unknown event types: …", f"events: {messages.UNKNOWN_EVENT_TYPES.format(names='…')}"),
    (
        "A tenant has at most 20 webhook endpoints: delete one first",
        messages.WEBHOOK_ENDPOINTS_LIMITED.format(maximum=20),
    ),
    ("Webhook endpoint not found", messages.WEBHOOK_ENDPOINT_NOT_FOUND),
    ("Endpoint de webhook supprimé avec succès", messages.WEBHOOK_ENDPOINT_DELETED),
    (
        "Webhook endpoints receive the events of every store: a key restricted by store_ids "
        "cannot manage them",
        messages.WEBHOOKS_NEED_ALL_STORES,
    ),
    (
        "The signing secret of webhook endpoint we_… is shown only once and is not replayed: "
        "rotate it (rotate_secret) if it was lost",
        messages.WEBHOOK_SECRET_NOT_REPLAYED.format(id="we_…"),
    ),
    ("starting_after: no store with this id in this list", messages.STARTING_AFTER_UNKNOWN),
    (
        "updated_since: Input should be an ISO 8601 date and time, such as 2024-01-15T10:00:00Z "
        "(in a query string, write an offset's + as %2B)",
        refusal(StoreFilter, {"updated_since": "yesterday"}),
    ),
    (
        "No delivery of this event to this endpoint, and no event of a type it receives to deliver",
        messages.WEBHOOK_DELIVERY_NOT_FOUND,
    ),
    (
        "This delivery is being sent right now: retry once this attempt has finished",
        messages.WEBHOOK_DELIVERY_SENDING,
    ),
    ("No such delivery of this endpoint to start after", messages.WEBHOOK_DELIVERY_CURSOR_UNKNOWN),
    (
        "This webhook endpoint is disabled: enable it (status enabled) before sending to it",
        messages.WEBHOOK_ENDPOINT_DISABLED,
    ),
    (
        "Ce lien de réinitialisation est inconnu, remplacé ou déjà utilisé",
        messages.PASSWORD_RESET_UNKNOWN,
    ),
    (
        "Ce lien de réinitialisation a expiré : demandez-en un nouveau depuis la page de connexion",
        messages.PASSWORD_RESET_EXPIRED,
    ),
    (
        "Trop de demandes de réinitialisation : réessayez plus tard",
        messages.PASSWORD_RESETS_LIMITED,
    ),
    ("Only a seller can be moved to another store or manager", messages.ONLY_SELLERS_MOVE),
    # Validation answers, as the rules give them.
    ("name: Field required", refusal(StoreCreate, {"location": "Lyon"})),
    ("name: Field required; location: Field required", refusal(StoreCreate, {})),
    ("name: Field cannot be null", refusal(StoreUpdate, {"name": None})),
    ("limit: Input should be less than or equal to 100", refusal(UserListQuery, {"limit": 101})),
    ("role: Input should be 'manager' or 'seller'", refusal(UserListQuery, {"role": "gerant"})),
    (
        "types: Unknown event types: store.renamed",
        refusal(EventListQuery, {"types": "store.created,store.renamed"}),
    ),
    ("status: Input should be 'active' or 'suspended'", refusal(UserUpdate, {"status": "x"})),
    (
        "kpi_entries[1].ca_journalier: Amounts have at most two decimals (whole cents)",
        refusal(
            KpiSync,
            {"store_id": "st", "date": "2024-01-15", "kpi_entries": [entry(), entry(12.345)]},
        ),
    ),
    (
        "store_id: Give exactly one of store_id and store_external_id",
        refusal(KpiSync, {"date": "2024-01-15", "kpi_entries": [entry()]}),
    ),
    (
        "kpi_entries: Too many entries: 101 (maximum 100 per request)",
        refusal(KpiSync, {"store_id": "st", "date": "2024-01-15", "kpi_entries": [{}] * 101}),
    ),
    ("Content-Type must be application/x-ndjson or text/csv", messages.KPI_IMPORT_CONTENT_TYPE),
    ("The file holds no entries", messages.KPI_IMPORT_EMPTY),
    ("Unknown columns: …", messages.KPI_IMPORT_UNKNOWN_COLUMNS.format(names="…")),
    ("Missing columns: …", messages.KPI_IMPORT_MISSING_COLUMNS.format(names="…")),
    (
        "Too many imports queued or running (maximum 3): send this one when one has ended",
        messages.KPI_IMPORTS_IN_FLIGHT.format(maximum=3),
    ),
    (
        "Not written: line 17 of the same store and date is refused",
        messages.KPI_IMPORT_DAY_REFUSED.format(line=17),
    ),
]


@pytest.mark.parametrize(("literal", "answered"), SPEC + DOCS, ids=[p for p, _ in SPEC + DOCS])
def test_every_documented_message_is_answered_word_for_word(literal: str, answered: str) -> None:
    assert answered == literal


def words(text: str) -> str:
    """Text with every run of spaces and line breaks as one space (the docs wrap lines)."""
    return " ".join(text.split())


REFERENCE_TEXT = {path.name: path.read_text() for path in REFERENCES}


@pytest.mark.parametrize("literal", [literal for literal, _ in DOCS])
def test_each_pinned_message_is_still_in_the_docs(literal: str) -> None:
    assert [name for name, text in REFERENCE_TEXT.items() if literal in words(text)] != []


def template(text: str) -> re.Pattern[str]:
    parts = re.split(r"\{[a-z_]*\}", text)
    return re.compile(".+".join(re.escape(part) for part in parts))


# The constants a quoted text may be: whole, or a template whose fixed start is long enough to
# tell a message from any text (not the calendar labels, `{month} {year}`).
CONSTANTS = [
    template(value)
    for name, value in vars(messages).items()
    if name.isupper() and isinstance(value, str) and len(value.split("{")[0]) >= 10
]
CODE_BLOCK = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`([^`]+)`")
ANSWER = re.compile(r'"(?:detail|message)": "([^"]+)"')


def quoted_messages(text: str) -> set[str]:
    """What the text quotes (in backticks, or as an answer's `detail` or `message`) that a
    constant says, alone or after a field's path (`kpi_entries[1].ca_journalier: …`)."""
    quoted = [*INLINE_CODE.findall(CODE_BLOCK.sub("", text)), *ANSWER.findall(text)]
    found = set()
    for text_quoted in (words(q).strip('"') for q in quoted):
        candidates = [text_quoted, text_quoted.split(": ", 1)[-1]]
        if any(pattern.fullmatch(c) for pattern in CONSTANTS for c in candidates):
            found.add(text_quoted)
    return found


@pytest.mark.parametrize("name", sorted(REFERENCE_TEXT))
def test_every_message_the_docs_quote_is_pinned(name: str) -> None:
    pinned = {literal for literal, _ in DOCS}
    assert sorted(quoted_messages(REFERENCE_TEXT[name]) - pinned) == []
