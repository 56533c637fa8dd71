"""The webhook URL check: https only, and hosts at public addresses only (no DNS in these tests:
the resolver is a stand-in, except for a numeric host the system resolves without a query)."""

import ipaddress
import socket
from collections.abc import Sequence

import pytest

from infra.public_addresses import (
    UnsafeUrl,
    check_endpoint_url,
    is_public_address,
    parse_endpoint_url,
)

NOT_PUBLIC = [
    "127.0.0.1",
    "127.255.255.254",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "100.64.0.1",
    "100.127.255.254",
    "0.0.0.0",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",
    "2002:7f00:1::1",
    "fec0::1",
    "224.0.0.1",
    "239.255.255.250",
    "ff02::1",
    "255.255.255.255",
    "240.0.0.1",
    "192.0.0.8",
    "192.0.2.1",
    "198.18.0.1",
    "2001:db8::1",
    "::127.0.0.1",
]
PUBLIC = [
    "93.184.216.34",
    "8.8.8.8",
    "2606:2800:220:1:248:1893:25c8:1946",
    "::ffff:93.184.216.34",
    "64:ff9b::5db8:d822",
    "2002:5db8:d822::1",
]


def url_for(address: str, path: str = "/hooks") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}{path}"


class StubResolver:
    """Answers every name with fixed addresses and records what it was asked."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append((host, port))
        return self.answers


class FailingResolver:
    async def __call__(self, host: str, port: int) -> Sequence[str]:
        raise socket.gaierror(socket.EAI_NONAME, f"{host}:{port} unknown")


class TestLiteralHosts:
    @pytest.mark.parametrize("address", NOT_PUBLIC)
    def test_refuses_each_non_public_address(self, address: str) -> None:
        with pytest.raises(UnsafeUrl) as refused:
            parse_endpoint_url(url_for(address), allow_private=False)
        assert refused.value.reason == "not_public"
        assert str(refused.value) == "the host is not only at public addresses"

    @pytest.mark.parametrize("address", PUBLIC)
    def test_accepts_a_public_address(self, address: str) -> None:
        parsed = parse_endpoint_url(url_for(address), allow_private=False)
        assert parsed.path == "/hooks"

    @pytest.mark.parametrize("address", PUBLIC)
    async def test_a_public_literal_is_its_own_address_without_resolving(
        self, address: str
    ) -> None:
        resolver = StubResolver("10.0.0.1")
        checked = await check_endpoint_url(url_for(address), allow_private=False, resolve=resolver)
        assert checked.addresses == (ipaddress.ip_address(address),)
        assert not checked.by_name
        assert resolver.asked == []

    @pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.1.2.3", "169.254.169.254"])
    def test_allow_private_lets_them_through(self, address: str) -> None:
        parse_endpoint_url(url_for(address), allow_private=True)


class TestScheme:
    @pytest.mark.parametrize(
        "url", ["http://93.184.216.34/hooks", "ftp://93.184.216.34/", "ws://example.com/"]
    )
    def test_only_https(self, url: str) -> None:
        with pytest.raises(UnsafeUrl) as refused:
            parse_endpoint_url(url, allow_private=False)
        assert refused.value.reason == "not_https"
        assert str(refused.value) == "the URL's scheme is not https"

    def test_allow_private_adds_http_only(self) -> None:
        assert parse_endpoint_url("http://127.0.0.1:8000/", allow_private=True).port == 8000
        with pytest.raises(UnsafeUrl) as refused:
            parse_endpoint_url("ftp://127.0.0.1/", allow_private=True)
        assert refused.value.reason == "not_https"

    @pytest.mark.parametrize("url", ["", "example.com/hooks", "https://", "//example.com/x"])
    def test_a_url_without_scheme_or_host_is_malformed(self, url: str) -> None:
        with pytest.raises(UnsafeUrl) as refused:
            parse_endpoint_url(url, allow_private=False)
        assert refused.value.reason == "malformed"
        assert str(refused.value) == "the URL has no scheme or host"


class TestResolvedHosts:
    @pytest.mark.parametrize("address", NOT_PUBLIC)
    async def test_a_name_at_a_non_public_address_is_refused(self, address: str) -> None:
        with pytest.raises(UnsafeUrl) as refused:
            await check_endpoint_url(
                "https://hooks.example.com/x", allow_private=False, resolve=StubResolver(address)
            )
        assert refused.value.reason == "not_public"

    async def test_one_private_answer_among_public_ones_is_refused(self) -> None:
        resolver = StubResolver("93.184.216.34", "10.0.0.1")
        with pytest.raises(UnsafeUrl) as refused:
            await check_endpoint_url(
                "https://hooks.example.com/x", allow_private=False, resolve=resolver
            )
        assert refused.value.reason == "not_public"

    async def test_a_public_name_keeps_every_address_it_resolved_to(self) -> None:
        resolver = StubResolver("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
        checked = await check_endpoint_url(
            "https://Hooks.Example.com:8443/x?y=1", allow_private=False, resolve=resolver
        )
        assert [str(a) for a in checked.addresses] == [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
        ]
        assert str(checked.url) == "https://hooks.example.com:8443/x?y=1"
        assert checked.by_name
        assert resolver.asked == [("hooks.example.com", 8443)]

    async def test_the_resolver_gets_the_idna_name_and_the_scheme_port(self) -> None:
        resolver = StubResolver("93.184.216.34")
        await check_endpoint_url("https://bücher.example/", allow_private=False, resolve=resolver)
        await check_endpoint_url("http://local.test/", allow_private=True, resolve=resolver)
        assert resolver.asked == [("xn--bcher-kva.example", 443), ("local.test", 80)]

    async def test_allow_private_accepts_a_private_name(self) -> None:
        checked = await check_endpoint_url(
            "http://receiver.test/", allow_private=True, resolve=StubResolver("127.0.0.1")
        )
        assert [str(a) for a in checked.addresses] == ["127.0.0.1"]

    async def test_a_name_that_does_not_resolve(self) -> None:
        for resolver in (FailingResolver(), StubResolver()):
            with pytest.raises(UnsafeUrl) as refused:
                await check_endpoint_url(
                    "https://nowhere.example/", allow_private=False, resolve=resolver
                )
            assert refused.value.reason == "unresolvable"
            assert str(refused.value) == "the host name does not resolve"

    async def test_a_numeric_name_the_system_reads_as_loopback_is_refused(self) -> None:
        # httpx keeps "2130706433" as a name; the C resolver reads it as 127.0.0.1, no DNS asked.
        with pytest.raises(UnsafeUrl) as refused:
            await check_endpoint_url("https://2130706433/", allow_private=False)
        assert refused.value.reason == "not_public"


def test_is_public_address_matches_the_tables() -> None:
    assert not any(is_public_address(ipaddress.ip_address(a)) for a in NOT_PUBLIC)
    assert all(is_public_address(ipaddress.ip_address(a)) for a in PUBLIC)
