"""What happens during a request, for the middlewares that answer for it afterwards.

The request context (edge/context.py) says who is calling and through which transport, and
never changes. A fact learnt while the request runs is written here by the one layer that
learns it: the GraphQL operation that ran (schema/audit.py), the credential error the request
was refused for (each transport's error mapping), the secrets its response shows once
(schema/secrets.py). Metrics, the audit and the idempotency store read it once the app answered.
"""

from dataclasses import dataclass, field

from starlette.types import Scope

from contract.errors import RefusedKey, Unauthenticated

SCOPE_KEY = "rpai.outcome"


@dataclass(frozen=True)
class SecretNote:
    """A value shown once in a response (a new API key, a session token, a webhook signing
    secret): where it is, and what a replay of the response says in its place."""

    path: tuple[str | int, ...]
    replay_message: str


@dataclass
class RequestOutcome:
    """One per request, made empty with its context by the authentication step."""

    operation: str | None = None  # the GraphQL operation that ran, for the audit
    refusal: Unauthenticated | None = None  # the credential error the request was refused for
    # The secrets the response shows once: the idempotency store keeps the response without them.
    secrets: list[SecretNote] = field(default_factory=list)

    @property
    def refused_key(self) -> RefusedKey | None:
        """The inactive or expired key a refused request was made with."""
        return self.refusal.refused_key if self.refusal else None


def request_outcome(scope: Scope) -> RequestOutcome:
    outcome: RequestOutcome = scope[SCOPE_KEY]
    return outcome
