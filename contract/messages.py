"""Every message a caller can read, in one place; the spec fixes most of them to the byte."""

MISSING_API_KEY = "Missing API key. Send it in the X-API-Key header"
INVALID_API_KEY = "Invalid API key"
INACTIVE_API_KEY = "API key is inactive"
EXPIRED_API_KEY = "API key has expired"
INSUFFICIENT_PERMISSIONS = "Insufficient permissions. Requires '{permission}'"
STORE_NOT_IN_KEY_SCOPE = "API key does not have access to this store (not in store_ids list)"

STORE_NOT_FOUND = "Store not found"
STORE_INACTIVE = "Store is inactive"
STORE_NAME_TAKEN = "A store with this name already exists"
STORE_EXTERNAL_ID_TAKEN = "A store with this external_id already exists"
STORE_DELETED = "Magasin supprimé avec succès"

USER_NOT_FOUND = "User not found"
USER_ALREADY_DELETED = "User already deleted"
USER_DELETED_CANNOT_UPDATE = "Cannot update a deleted user"
USER_WITHOUT_STORE = "API key restricted by store_ids cannot modify a user without store"
GERANT_STATUS_LOCKED = "Cannot change the gérant's status through the API"
GERANT_NOT_DELETABLE = "Cannot delete a gérant through the API"
EMAIL_TAKEN = "Email already registered"
USER_EXTERNAL_ID_TAKEN = "A user with this external_id already exists"
MANAGER_NOT_FOUND_IN_STORE = "Manager not found in this store"
NO_FIELDS_TO_UPDATE = "No fields to update"
FIELD_NOT_NULLABLE = "Field cannot be null"
MANAGER_DELETED = "Manager supprimé avec succès"
SELLER_DELETED = "Seller supprimé avec succès"

KPI_TOO_MANY_ENTRIES = "Too many entries: {count} (maximum {maximum} per request)"
KPI_UNKNOWN_SELLERS = "kpi_entries: seller_id not a seller of this store: {ids}"
KPI_DUPLICATE_SELLERS = "seller_id appears more than once: {ids}"
KPI_STORE_REFERENCE = "Give exactly one of store_id and store_external_id"
KPI_SELLER_REFERENCE = "Give exactly one of seller_id and seller_external_id"
KPI_UNKNOWN_SELLER_EXTERNAL_IDS = (
    "kpi_entries: seller_external_id not a seller of this store: {ids}"
)
KPI_DUPLICATE_SELLER_EXTERNAL_IDS = "seller_external_id appears more than once: {ids}"
AMOUNT_TOO_PRECISE = "Amounts have at most two decimals (whole cents)"
AMOUNT_NOT_A_NUMBER = "Input should be a number or a decimal string"
KPI_INVALID_DATE = "Input should be a real calendar date in the format YYYY-MM-DD"
KPI_NOT_A_NUMBER = "Input should be a number"
KPI_EPOCH_RANGE = (
    "A number is read as seconds since 1970-01-01 UTC, from 0 to {maximum}; "
    "send milliseconds divided by 1000, or an ISO 8601 date and time"
)
KPI_WRITE_FAILED = (
    "Database write error: the KPI entries may not all have been saved; "
    "sending the same request again is safe"
)
KPI_WRITE_CONFLICT = (
    "Other syncs of the same entries kept the database busy: nothing was saved; "
    "send the same request again after Retry-After seconds"
)
KPI_IMPORT_CONTENT_TYPE = "Content-Type must be application/x-ndjson or text/csv"
KPI_IMPORT_EMPTY = "The file holds no entries"
KPI_IMPORT_LINE_TOO_LONG = "Line {line} is longer than {maximum} bytes"
KPI_IMPORT_UNKNOWN_COLUMNS = "Unknown columns: {names}"
KPI_IMPORT_MISSING_COLUMNS = "Missing columns: {names}"
KPI_IMPORT_REPEATED_COLUMNS = "A column is named twice"
KPI_IMPORT_CELL_COUNT = "{count} cells where the header has {size}"
KPI_IMPORT_NOT_JSON = "Not valid JSON"
KPI_IMPORT_NOT_AN_OBJECT = "Not a JSON object: each line must be one"
KPI_IMPORT_NOT_UTF8 = "Not UTF-8 text"
KPI_IMPORT_DAY_REFUSED = "Not written: line {line} of the same store and date is refused"
KPI_IMPORT_NOT_FOUND = "Import not found"
KPI_IMPORT_CURSOR_UNKNOWN = "starting_after: not one of your imports"
KPI_IMPORTS_IN_FLIGHT = (
    "Too many imports queued or running (maximum {maximum}): send this one when one has ended"
)
KPI_IMPORT_GAVE_UP = "The import stopped after {attempts} failed attempts: send it again"
KPI_UPDATES_TOO_SLOW = "Updates arrived faster than this subscription read them: subscribe again"
KPI_PERIOD_REVERSED = "to: must not be before from"
KPI_PERIOD_TOO_LONG = "The period is too long: {days} days (maximum {maximum})"
KPI_DATE_OUT_OF_RANGE = "Input should be a date from {first} to {last}"
KPI_TOTAL_LABEL = "Total"
KPI_DAY_LABEL = "{weekday} {day} {month} {year}"
KPI_FIRST_DAY = "1er"
KPI_WEEK_LABEL = "semaine {week} {year}"
KPI_MONTH_LABEL = "{month} {year}"

UNKNOWN_PERMISSIONS = "Unknown permissions: {names}"
UNKNOWN_STORE_IDS = "store_ids not found in this tenant: {ids}"
GERANT_NOT_FOUND = "No gérant with this email"
API_KEY_NOT_FOUND = "API key not found"
GRACE_DAYS_RANGE = "graceDays: must be between 0 and {maximum}"
GRACE_HOURS_RANGE = "graceHours: must be between 0 and {maximum}"
GRACE_DAYS_OR_HOURS = "graceDays, graceHours: give one or the other, not both"
API_KEY_INACTIVE_CANNOT_ROTATE = "API key is inactive and cannot be rotated"
API_KEY_ALREADY_ROTATED = "API key was already replaced by a rotation: rotate its replacement"
API_KEY_REQUIRED = "This operation describes an API key: call it with one"
GERANT_SESSION_REQUIRED = "This operation requires a gérant session (log in with a password)"
GERANT_OR_MANAGER_SESSION_REQUIRED = (
    "This operation requires a gérant's or a manager's session (log in with a password)"
)
INVALID_CREDENTIALS = "Invalid email or password"
LOGIN_FAILURES_LIMITED = "Too many failed logins from this address. Retry later"
PASSWORD_BLANK = "A password cannot be only spaces"
INVALID_SESSION = "Invalid or expired session token"

GRAPHQL_QUERY_MISSING = "No GraphQL query found in the request"
MUTATION_OVER_GET = "Mutations are sent with POST: GET runs queries only"
SUBSCRIPTION_OVER_WEBSOCKET = (
    "Subscriptions run over a websocket at /graphql (protocol graphql-transport-ws)"
)
# The reason a websocket over the caller's connection cap is closed with (at most 123 bytes).
CONNECTIONS_LIMITED = "Too many connections: this caller already holds {limit}"
SUBSCRIPTIONS_LIMITED = (
    "Too many subscriptions: this caller already holds {limit}; end one before subscribing again"
)
STORE_ID_MALFORMED = "Not a store id"
# Apollo clients recognise this exact message (and the code) and send the query's text.
PERSISTED_QUERY_NOT_FOUND = "PersistedQueryNotFound"
PERSISTED_QUERY_HASH_MISMATCH = "provided sha does not match query"
PERSISTED_QUERY_INVALID = (
    'extensions.persistedQuery must be {"version": 1, "sha256Hash": <64 lowercase hex>}'
)
INVALID_JSON = "Request body is not valid JSON"
BODY_TOO_DEEP = "Request body is nested too deeply"
GRAPHQL_BODY_NOT_OBJECT = "The request body must be a JSON object with a `query`"
BODY_TOO_LARGE = "Request body too large (maximum 1 MiB)"
INTERNAL_ERROR = "Internal server error"
INVALID_TEXT = "Text must be valid Unicode (no unpaired surrogates)"
CONTROL_CHARACTERS = (
    "Text must be one line, without control characters (line break, tab, NUL, ESC…)"
)
SERVICE_UNAVAILABLE = "Service temporarily unavailable"

IDEMPOTENCY_KEY_LENGTH = "Idempotency-Key must be 1 to {maximum} characters long"
IDEMPOTENCY_KEY_REUSED = (
    "This Idempotency-Key was already used for a different request (method, path or body); "
    "use a new key for a new request"
)
IDEMPOTENCY_KEY_IN_PROGRESS = (
    "A request with this Idempotency-Key is still being processed; retry after it has finished"
)
API_KEY_NOT_REPLAYED = (
    "API key {id} was created by the first request with this Idempotency-Key; the key itself "
    "is shown only once and is not replayed: rotate {id} (or deactivate it) if it was lost"
)
SESSION_TOKEN_NOT_REPLAYED = "A session token is shown only once and is not replayed: log in again"
WEBHOOK_SECRET_NOT_REPLAYED = (
    "The signing secret of webhook endpoint {id} is shown only once and is not replayed: "
    "rotate it (rotate_secret) if it was lost"
)

INVALID_CURSOR = "after: invalid cursor"
QUERY_TOO_COSTLY = (
    "Query cost {cost} is over the maximum of {maximum}: ask for fewer items (smaller `first`, "
    "shorter periods) or split the query"
)
QUERY_TOO_COSTLY_COUNTED = (
    "Query cost is over the maximum of {maximum} (counted up to {cost}, then stopped): ask for "
    "less introspection at once (fewer aliases of __schema or __type) or split the query"
)
QUERY_THROTTLED = "Query cost {cost} is over what is left for this caller: retry in {seconds} s"
SUMMARIES_BUSY = (
    "This caller's KPI summaries are taking their share of the server: retry in {seconds} s"
)
TIME_OUT_OF_RANGE = "Times must be between {earliest} and {latest}"
TIMESTAMP_INVALID = (
    "Input should be an ISO 8601 date and time, such as 2024-01-15T10:00:00Z "
    "(in a query string, write an offset's + as %2B)"
)
STARTING_AFTER_UNKNOWN = "starting_after: no store with this id in this list"
PAGE_SIZE_RANGE = "first: must be between 1 and {maximum}"
RATE_LIMITED = "Rate limit exceeded: {limit} requests per minute for this API key. Retry later"
ANONYMOUS_RATE_LIMITED = (
    "Rate limit exceeded: {limit} requests per minute from this address without credentials. "
    "Send an API key or a session token, or retry later"
)
AUTH_FAILURES_LIMITED = "Too many failed authentications from this address. Retry later"

STORE_NOT_IN_USER_SCOPE = "You do not have access to this store"
USER_SESSION_REQUIRED = "This operation requires a user session (log in with a password)"
SELLER_OWN_KPIS_ONLY = "A seller can read only his own KPIs"
# Read by invited staff on the French landing page.
INVITATION_UNKNOWN = "Lien d'invitation inconnu ou remplacé par une invitation plus récente"
INVITATION_USED = "Ce lien d'invitation a déjà été utilisé"
INVITATION_EXPIRED = "Ce lien d'invitation a expiré : demandez une nouvelle invitation"
INVITATION_USER_INACTIVE = "Ce compte est suspendu ou supprimé"
INVITATION_ALREADY_ACCEPTED = "This invitation was already accepted"
INVITATION_NOT_STAFF = "Only managers and sellers can be invited"
# Read on the French password-reset page.
PASSWORD_RESET_UNKNOWN = "Ce lien de réinitialisation est inconnu, remplacé ou déjà utilisé"
PASSWORD_RESET_EXPIRED = (
    "Ce lien de réinitialisation a expiré : demandez-en un nouveau depuis la page de connexion"
)
ONLY_SELLERS_MOVE = "Only a seller can be moved to another store or manager"
PASSWORD_RESETS_LIMITED = "Trop de demandes de réinitialisation : réessayez plus tard"

EVENT_NOT_FOUND = "Event not found"
# One answer for an id never issued, expired, or another tenant's: the feed tells none apart.
EVENT_CURSOR_UNKNOWN = "No such event to start after: unknown, or older than the feed keeps"
UNKNOWN_EVENT_TYPES = "Unknown event types: {names}"
EVENTS_STORE_RESTRICTED = (
    "The events feed covers every store of the tenant: "
    "read it with an API key that is not restricted by store_ids"
)
WEBHOOK_ENDPOINT_NOT_FOUND = "Webhook endpoint not found"
WEBHOOK_ENDPOINT_DELETED = "Endpoint de webhook supprimé avec succès"
WEBHOOK_URL_MALFORMED = "url: not a valid URL (give https:// and a host name)"
WEBHOOK_URL_NOT_HTTPS = "url: webhook endpoints must use https"
# One message for a host that does not resolve and one at a private address: a caller cannot
# tell them apart, so cannot probe which internal names exist.
WEBHOOK_URL_NOT_PUBLIC = "url: the host must resolve to public internet addresses only"
WEBHOOK_ENDPOINTS_LIMITED = "A tenant has at most {maximum} webhook endpoints: delete one first"
WEBHOOKS_NEED_ALL_STORES = (
    "Webhook endpoints receive the events of every store: "
    "a key restricted by store_ids cannot manage them"
)
WEBHOOK_SECRET_ROTATING = (
    "This endpoint's secret was rotated by another request at the same time: "
    "rotate again if you need a secret you have seen"
)
# One answer for an event never issued, expired, another tenant's, or one the endpoint does not
# receive: a caller cannot probe which event ids exist elsewhere.
WEBHOOK_DELIVERY_NOT_FOUND = (
    "No delivery of this event to this endpoint, and no event of a type it receives to deliver"
)
WEBHOOK_DELIVERY_SENDING = (
    "This delivery is being sent right now: retry once this attempt has finished"
)
WEBHOOK_DELIVERY_CURSOR_UNKNOWN = "No such delivery of this endpoint to start after"
WEBHOOK_ENDPOINT_DISABLED = (
    "This webhook endpoint is disabled: enable it (status enabled) before sending to it"
)
