"""Trusted proxies: IP/CIDR matching and the client address behind them (pure)."""

from __future__ import annotations

import pytest

from app.access.identity import Identity, clean_user
from app.access.networks import client_address, is_loopback, is_trusted, parse_networks

PROXIES = parse_networks("127.0.0.1, 10.0.0.0/8, ::1, fd00::/8")


def test_parse_ips_and_cidrs() -> None:
    assert [str(n) for n in parse_networks(" 10.1.2.3 ,192.168.0.0/16,, ::1")] == [
        "10.1.2.3/32",
        "192.168.0.0/16",
        "::1/128",
    ]
    assert parse_networks("") == ()


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "proxy.local", "1.2.3"])
def test_bad_entries_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not an IP address or CIDR"):
        parse_networks(bad)


@pytest.mark.parametrize(
    ("address", "trusted"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", False),
        ("10.200.3.4", True),
        ("11.0.0.1", False),
        ("::1", True),
        ("fd12::5", True),
        ("::ffff:10.0.0.7", True),  # IPv4-mapped IPv6
        ("testclient", False),
        ("", False),
    ],
)
def test_is_trusted(address: str, trusted: bool) -> None:
    assert is_trusted(address, PROXIES) is trusted


def test_nothing_is_trusted_by_default() -> None:
    assert not is_trusted("127.0.0.1", parse_networks(""))


def test_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("127.9.9.9")
    assert not is_loopback("10.0.0.1") and not is_loopback("testclient")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not a proxy: the header is ignored
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),  # forged left part
        ("127.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),  # all proxies: the first
        ("127.0.0.1", "garbage", "127.0.0.1"),
    ],
)
def test_client_address(peer: str, forwarded: str | None, client: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == client


def test_user_names_are_cleaned() -> None:
    assert clean_user(" anna@example.se ") == "anna@example.se"
    assert clean_user("") is None and clean_user(None) is None
    assert clean_user("a\nb") is None and clean_user("x" * 201) is None


def test_identity_keys_for_rate_limits_and_feedback() -> None:
    assert Identity("1.2.3.4").rate_key == "ip:1.2.3.4"
    assert Identity("1.2.3.4", key_name="batch").rate_key == "key:batch"
    assert Identity("1.2.3.4", user="anna").rate_key == "user:anna"
    assert Identity("1.2.3.4", key_name="batch").principal == "key:batch"
    assert Identity("1.2.3.4", user="anna").principal == "anna"
    assert Identity("1.2.3.4").principal is None and not Identity("1.2.3.4").authenticated
