"""Whether a webhook URL may be called: https, and a host that resolves only to public addresses.

The same check runs when an endpoint is created and again before each delivery, whose connection
then goes to the address checked here (DNS may answer differently a second later). URLs are parsed
with httpx, the client that sends, so the check and the request cannot read a URL differently.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
Refusal = Literal["malformed", "not_https", "not_public", "unresolvable"]

# The well-known NAT64 prefix (RFC 6052): an IPv6-only network reaches IPv4 hosts through it,
# so the IPv4 address inside is the one that decides.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# IANA's "not globally reachable" ranges that Python 3.11's tables miss (before 3.11.10 they
# call 192.0.0.8 and up global).
_NOT_GLOBAL = (ipaddress.IPv4Network("192.0.0.0/24"),)

_REASONS: dict[Refusal, str] = {
    "malformed": "the URL has no scheme or host",
    "not_https": "the URL's scheme is not https",
    "not_public": "the host is not only at public addresses",
    "unresolvable": "the host name does not resolve",
}


class UnsafeUrl(ValueError):
    """A URL this process must not call; `reason` is a stable code for the caller's message."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(_REASONS[reason])
        self.reason: Refusal = reason


@dataclass(frozen=True, slots=True)
class CheckedUrl:
    """A URL that passed the check, with the addresses its host resolved to (all allowed);
    `by_name` is false when the host is itself an address."""

    url: httpx.URL
    addresses: tuple[IPAddress, ...]
    by_name: bool


def is_public_address(address: IPAddress) -> bool:
    """Whether `address` is globally reachable unicast: not loopback, private, link-local,
    shared (CGNAT), multicast, reserved, unspecified, nor an IPv6 form of such an IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if address in _NAT64:
            return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.sixtofour is not None and not is_public_address(address.sixtofour):
            return False
        if address.is_site_local:
            return False
    elif any(address in network for network in _NOT_GLOBAL):
        return False
    # `is_global` alone lets multicast (224.0.0.0/4, ff00::/8) and some reserved ranges through;
    # the other flags repeat it where Python patch releases before 3.11.10 had shorter tables.
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_unspecified
        and not address.is_private
    )


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def parse_endpoint_url(url: str, *, allow_private: bool) -> httpx.URL:
    """The URL parsed and checked without DNS: https (or http when `allow_private`), a host, and
    a literal IP host public unless `allow_private`. Raises `UnsafeUrl`."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise UnsafeUrl("malformed") from error
    if not parsed.scheme or not parsed.host:
        raise UnsafeUrl("malformed")
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parsed.scheme not in allowed_schemes:
        raise UnsafeUrl("not_https")
    literal = _literal_address(parsed.host)
    if literal is not None and not allow_private and not is_public_address(literal):
        raise UnsafeUrl("not_public")
    return parsed


async def resolve_host(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for `host` (the default `Resolver`)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def check_endpoint_url(
    url: str, *, allow_private: bool, resolve: Resolver = resolve_host
) -> CheckedUrl:
    """`parse_endpoint_url`, then the host resolved: every address must be public unless
    `allow_private` (one private answer among public ones is refused too). Raises `UnsafeUrl`."""
    parsed = parse_endpoint_url(url, allow_private=allow_private)
    literal = _literal_address(parsed.host)
    if literal is not None:
        return CheckedUrl(url=parsed, addresses=(literal,), by_name=False)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        answers = await resolve(parsed.raw_host.decode("ascii"), port)
    except (OSError, UnicodeError) as error:
        raise UnsafeUrl("unresolvable") from error
    addresses = tuple(ipaddress.ip_address(answer) for answer in answers)
    if not addresses:
        raise UnsafeUrl("unresolvable")
    if not allow_private and not all(is_public_address(address) for address in addresses):
        raise UnsafeUrl("not_public")
    return CheckedUrl(url=parsed, addresses=addresses, by_name=True)


@dataclass(frozen=True, slots=True)
class EndpointUrlPolicy:
    """How this process checks the webhook URLs it is given: private addresses (and http) only
    when `allow_private` (development and tests), names resolved by `resolve`."""

    allow_private: bool
    resolve: Resolver = resolve_host

    async def check(self, url: str) -> CheckedUrl:
        """`check_endpoint_url` under this policy. Raises `UnsafeUrl`."""
        return await check_endpoint_url(url, allow_private=self.allow_private, resolve=self.resolve)
