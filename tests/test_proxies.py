"""Issue 16 item 8: X-Forwarded-For counts only from web.trusted_proxies, right-most untrusted first.

Over real HTTP against `bulletin serve`: a client that makes up the header, a proxy
that appends to it as nginx's $proxy_add_x_forwarded_for does, and one that sets none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from bulletin.web.client_address import forwarded_client, parse_networks

from .digest_site import DigestSite
from .test_browser import Server

SIGN_UP_LIMIT = 5  # per client address per 10 minutes (web.app.SUBSCRIBE_LIMIT)


@pytest.fixture
def serve(site: DigestSite) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def sign_ups(url: str, forwarded: list[str | None]) -> list[int]:
    """Status of one sign-up per entry, each with that X-Forwarded-For (None: no header)."""
    statuses = []
    with httpx.Client(base_url=url, timeout=10) as client:
        form = client.get("/subscribe")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf
        for n, chain in enumerate(forwarded):
            headers = {"X-Forwarded-For": chain} if chain is not None else {}
            data = {"csrf": csrf.group(1), "email": f"reader{n}@example.org"}
            statuses.append(client.post("/subscribe", data=data, headers=headers).status_code)
    return statuses


def test_a_client_cannot_make_up_addresses_to_pass_the_limit(site: DigestSite, serve: list[Server]) -> None:
    """No trusted proxy (the default): the header is ignored, whoever sends it."""
    serve.append(server := Server(site))
    statuses = sign_ups(server.url, [f"198.51.100.{n}" for n in range(SIGN_UP_LIMIT + 3)])
    assert statuses == [200] * SIGN_UP_LIMIT + [429] * 3


def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(
    site: DigestSite, serve: list[Server]
) -> None:
    site.configure(web={"trusted_proxies": ["127.0.0.1", "10.0.0.0/8"]})
    serve.append(server := Server(site))
    # The client makes up the left part; the proxies append what they saw: 203.0.113.7,
    # then an inner proxy at 10.1.2.3 (trusted, so skipped).
    spoofing = [f"198.51.100.{n}, 203.0.113.7, 10.1.2.3" for n in range(SIGN_UP_LIMIT + 2)]
    another_reader = ["203.0.113.99"]
    assert sign_ups(server.url, spoofing + another_reader) == [200] * SIGN_UP_LIMIT + [429] * 2 + [200]


def test_a_trusted_proxy_that_names_no_client_shares_one_limit_and_is_told(
    site: DigestSite, serve: list[Server]
) -> None:
    site.configure(web={"trusted_proxies": ["127.0.0.1"]})
    serve.append(server := Server(site))
    statuses = sign_ups(server.url, [None] * (SIGN_UP_LIMIT + 2))
    server.stop()
    output = server.process.stdout.read() if server.process.stdout else ""
    assert statuses == [200] * SIGN_UP_LIMIT + [429] * 2
    warnings = [line for line in output.splitlines() if "sends no X-Forwarded-For" in line]
    assert len(warnings) == 1, output  # said once, not per request
    assert "127.0.0.1" in warnings[0] and "proxy_set_header" in warnings[0]


def test_forwarded_client_rule() -> None:
    trusted = parse_networks(["127.0.0.1", "10.0.0.0/8", "::1"])
    assert forwarded_client("1.2.3.4", trusted) == "1.2.3.4"
    assert forwarded_client("6.6.6.6, 1.2.3.4", trusted) == "1.2.3.4"
    assert forwarded_client("6.6.6.6, 1.2.3.4, 10.0.0.5", trusted) == "1.2.3.4"
    assert forwarded_client(" 10.0.0.9 , 127.0.0.1 ", trusted) == "10.0.0.9"  # all trusted: left-most
    assert forwarded_client("10.0.0.1, unknown", trusted) == "unknown"  # not an address: never trusted
    assert forwarded_client("2001:db8::1, ::1", trusted) == "2001:db8::1"
    with pytest.raises(ValueError, match="'localhost' is not an IP address"):
        parse_networks(["localhost"])


def test_a_trusted_proxy_that_is_no_address_is_a_config_error(site: DigestSite) -> None:
    from bulletin.config import load_config
    from bulletin.errors import ConfigError

    with pytest.raises(ConfigError, match=r"'web.trusted_proxies' lists 'proxy.local', which is not an IP"):
        site.configure(web={"trusted_proxies": ["127.0.0.1", "proxy.local"]})  # writes, then reads
    with pytest.raises(ConfigError, match="proxy.local"):
        load_config(site.config_path)
