"""Web origins (scheme://host:port) as browsers send them: the sites allowed to post the sign-up form."""

from __future__ import annotations

from urllib.parse import urlsplit

from .section import Section

DEFAULT_PORTS = {"http": 80, "https": 443}
# web.after_subscribe may name the subscriber's language: https://clinic.kz/{lang}/thanks
LANGUAGE_PLACEHOLDER = "{lang}"


def origin_of(url: str) -> str | None:
    """The origin of ``url`` as a browser writes it in an Origin header ("https://clinic.kz",
    "http://127.0.0.1:8081"), or None when ``url`` is no absolute http(s) URL.

    Lower-case scheme and host, the host in its ASCII (punycode) form, the default port left out.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in DEFAULT_PORTS or not host:
        return None
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def read_allowed_origins(section: Section, entries: tuple[str, ...]) -> tuple[str, ...]:
    """web.allowed_origins: each entry an origin only (no path, query or fragment), normalised."""
    origins = []
    for entry in entries:
        parts = urlsplit(entry)
        origin = origin_of(entry)
        if origin is None or parts.path not in ("", "/") or parts.query or parts.fragment:
            section.problem(
                "allowed_origins",
                f"lists {entry!r}, which is not an origin such as https://clinic.kz"
                " (scheme, host and port only)",
            )
            continue
        origins.append(origin)
    return tuple(dict.fromkeys(origins))


def read_after_subscribe(section: Section, url: str | None, origins: tuple[str, ...]) -> str | None:
    """web.after_subscribe: where a form posted from an allowed origin sends the browser back.

    Only to an allowed origin, so the sign-up endpoint never redirects anywhere else.
    """
    if url is None:
        if origins:
            section.problem(
                "after_subscribe",
                "is required with web.allowed_origins: the page of your site a sign-up returns to",
            )
        return None
    if "{" in urlsplit(url).netloc:
        section.problem(
            "after_subscribe", f"may hold {LANGUAGE_PLACEHOLDER} in its path only, not in {url!r}"
        )
        return None
    origin = origin_of(url.replace(LANGUAGE_PLACEHOLDER, "xx"))
    if origin not in origins:
        section.problem(
            "after_subscribe",
            f"points to {origin or url!r}, which is not one of web.allowed_origins"
            " (a sign-up only returns to a site allowed to post the form)",
        )
        return None
    return url
