"""The process services one app instance uses, built together by the shell at start-up."""

from dataclasses import dataclass

from infra.audit_buffer import AuditBuffer
from infra.cost_buckets import CostBuckets
from infra.event_log import EventLog
from infra.idempotency_store import IdempotencyStore
from infra.introspection_prices import IntrospectionPrices
from infra.key_directory import KeyDirectory
from infra.key_usage import KeyUsageRecorder
from infra.login_limits import LoginLimits
from infra.persisted_queries import PersistedQueries
from infra.principal_slots import PrincipalSlots
from infra.public_addresses import EndpointUrlPolicy
from infra.rate_limits import RateLimits
from infra.read_slots import ReadSlots
from infra.rechecks import Rechecks
from infra.tokens import TokenSigner
from models import User


@dataclass(frozen=True)
class Services:
    """Handed to the edge and the transports, which pass each rule the one it needs."""

    signer: TokenSigner
    keys: KeyDirectory
    key_usage: KeyUsageRecorder
    rate_limits: RateLimits
    audit: AuditBuffer
    events: EventLog
    login_limits: LoginLimits
    reset_limits: LoginLimits  # password-reset requests, per address and per email
    idempotency: IdempotencyStore
    persisted_queries: PersistedQueries
    query_costs: CostBuckets
    anonymous_query_costs: CostBuckets  # callers without credentials, one bucket an address
    introspection_prices: IntrospectionPrices
    read_slots: ReadSlots
    rechecks: Rechecks[User | None]  # websockets' credentials, checked again
    connection_slots: PrincipalSlots  # websocket connections per principal
    subscription_slots: PrincipalSlots  # subscriptions per principal
    webhook_urls: EndpointUrlPolicy  # which webhook endpoint URLs may be registered
