"""The client address the sign-up limit counts: the peer's, or the one a trusted proxy names.

X-Forwarded-For is a list each proxy appends the address it saw to, so only its
right end is written by proxies; anything to the left may come from the client. The
client is the right-most address that is not one of ``web.trusted_proxies`` (none by
default: the header is then ignored whoever sends it).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("bulletin.web")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``["127.0.0.1", "10.0.0.0/8"]`` as networks; ValueError names the first bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(networks)


def is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False  # a name, "unknown", a garbled entry: nothing a proxy of ours wrote
    return any(ip in network for network in trusted)


def forwarded_client(chain: str, trusted: tuple[Network, ...]) -> str:
    """The right-most address in an X-Forwarded-For ``chain`` that is not a trusted proxy
    (the left-most one when every address is trusted)."""
    hops = [hop.strip() for hop in chain.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else ""


class ClientAddress:
    """ASGI middleware: ``scope["client"]`` becomes the client a trusted proxy names.

    From any other peer the header changes nothing. A trusted proxy that sends no
    X-Forwarded-For leaves its own address, so all its clients share one sign-up
    limit: said once in the log, as is a local peer sending the header unheeded.
    """

    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...] = ()) -> None:
        self.app = app
        self.trusted = trusted
        self.warned: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and client:
            chain = _forwarded_for(scope["headers"])
            if is_trusted(client[0], self.trusted):
                if chain:
                    scope = {**scope, "client": (forwarded_client(chain, self.trusted), client[1])}
                else:
                    self._warn_once("unnamed", client[0])
            elif chain and client[0] in ("127.0.0.1", "::1"):
                self._warn_once("ignored", client[0])
        await self.app(scope, receive, send)

    def _warn_once(self, kind: str, peer: str) -> None:
        if kind in self.warned:
            return
        self.warned.add(kind)
        if kind == "unnamed":
            log.warning(
                "the proxy at %s sends no X-Forwarded-For: every client it passes on shares one"
                " sign-up limit (have it set the header, e.g. nginx: proxy_set_header"
                " X-Forwarded-For $proxy_add_x_forwarded_for)",
                peer,
            )
        else:
            log.warning(
                "X-Forwarded-For from %s is ignored: list the proxy in web.trusted_proxies"
                " for the sign-up limit to tell its clients apart",
                peer,
            )


def _forwarded_for(headers: list[tuple[bytes, bytes]]) -> str:
    """Every X-Forwarded-For header's value, joined in order (several make one list)."""
    values = [value.decode("latin-1") for name, value in headers if name == b"x-forwarded-for"]
    return ",".join(values)
