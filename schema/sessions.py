"""GraphQL: password login for the App API."""

from datetime import datetime

import strawberry

from contract import messages
from contract.validation import parse
from resolvers import password_resets, sessions
from schema.access import Public, UserSession
from schema.context import Info
from schema.enums import Role
from schema.secrets import Secret


@strawberry.type
class SessionUser:
    id: strawberry.ID
    name: str
    email: str
    role: Role
    external_id: str | None = strawberry.field(
        description="The person's id in the integrator's system."
    )


@strawberry.type
class LoginResult:
    token: str = strawberry.field(
        description="The session token (JWT): shown in this response only.",
        extensions=[Secret(lambda _: messages.SESSION_TOKEN_NOT_REPLAYED)],
    )
    expires_at: datetime
    user: SessionUser


def login_result(result: sessions.LoginResult) -> LoginResult:
    user = result.user
    return LoginResult(
        token=result.token.token,
        expires_at=result.token.expires_at,
        user=SessionUser(
            id=strawberry.ID(user.id),
            name=user.name,
            email=user.email,
            role=Role(user.role),
            external_id=user.external_id,
        ),
    )


@strawberry.type
class ViewerStore:
    id: strawberry.ID
    name: str


@strawberry.type(description="The logged-in user, as the pages show him.")
class Viewer:
    id: strawberry.ID
    name: str
    email: str
    role: Role
    external_id: str | None = strawberry.field(
        description="The person's id in the integrator's system."
    )
    store: ViewerStore | None = strawberry.field(
        description="A manager's or seller's store; null for the gérant."
    )


def viewer_type(view: sessions.SessionView) -> Viewer:
    user, store = view.user, view.store
    return Viewer(
        id=strawberry.ID(user.id),
        name=user.name,
        email=user.email,
        role=Role(user.role),
        external_id=user.external_id,
        store=ViewerStore(id=strawberry.ID(store.id), name=store.name) if store else None,
    )


@strawberry.type
class SessionQuery:
    # Nullable, as `me` is: an API key gets null and a FORBIDDEN error here, not an empty answer.
    @strawberry.field(
        description="Who is logged in; null (with a FORBIDDEN error) for an API key.",
        permission_classes=[UserSession],
    )
    async def viewer(self, info: Info) -> Viewer | None:
        return viewer_type(await sessions.describe_session(actor=info.context.actor()))

    @strawberry.field(
        description="Whether a password-reset link can still be used (true), without using it; "
        "an unknown, used or expired one is a BAD_REQUEST error saying which.",
        permission_classes=[Public],
    )
    async def password_reset_link(self, token: str) -> bool:
        await password_resets.check_reset_link(token=token)
        return True


@strawberry.type
class SessionMutation:
    @strawberry.mutation(
        description="Log in with email and password; returns a JWT.", permission_classes=[Public]
    )
    async def login(self, info: Info, email: str, password: str) -> LoginResult:
        services = info.context.services
        result = await sessions.login(
            email=email,
            password=password,
            signer=services.signer,
            limits=services.login_limits,
            client=info.context.request_context.client_ip,
        )
        return login_result(result)

    @strawberry.mutation(
        description="Email a one-time password-reset link (valid 1 hour) to the active user with "
        "this email; true whatever the email, known or not. Rate-limited per address and email.",
        permission_classes=[Public],
    )
    async def request_password_reset(self, info: Info, email: str) -> bool:
        return await password_resets.request_password_reset(
            data=parse(password_resets.PasswordResetRequest, {"email": email}),
            limits=info.context.services.reset_limits,
            client=info.context.request_context.client_ip,
        )

    @strawberry.mutation(
        description="Set a new password with a reset link's token and log in; the link works "
        "once, and every session opened before is refused from now on.",
        permission_classes=[Public],
    )
    async def reset_password(self, info: Info, token: str, password: str) -> LoginResult:
        data = parse(password_resets.PasswordReset, {"token": token, "password": password})
        result = await password_resets.reset_password(
            data=data, signer=info.context.services.signer
        )
        return login_result(result)
