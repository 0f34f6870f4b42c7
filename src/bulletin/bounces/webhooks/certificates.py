"""Fetching Amazon SNS signing certificates, and visiting its confirmation links, on allowed hosts only.

A notification names the URL of the certificate it was signed with; anyone can write any
URL there, so it is fetched only over https from a host the config allows
(``sns.<region>.amazonaws.com``), without following redirects, and kept once fetched.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import ssl
import threading
import urllib.error
import urllib.request
from collections import OrderedDict
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from . import Refused

log = logging.getLogger(__name__)

MAX_CERTIFICATE_BYTES = 64 * 1024  # a PEM certificate is 2-3 KB
CACHED_CERTIFICATES = 32  # SNS signs with one certificate per region at a time
FETCH_TIMEOUT = 10.0  # seconds


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could lead anywhere: the allow-list is checked on the one URL fetched."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class CertificateFetcher:
    """Signing certificates by URL (fetched once, then kept) and confirmation links, through one allow-list.

    ``hosts`` is a regular expression the URL's whole host[:port] must match. A test (or an
    operator who copied a certificate by hand) can ``preload`` one instead of fetching it.
    """

    def __init__(self, hosts: str, timeout: float = FETCH_TIMEOUT) -> None:
        self._hosts = re.compile(hosts)
        self._timeout = timeout
        self._keys: OrderedDict[str, RSAPublicKey] = OrderedDict()
        self._lock = threading.Lock()  # requests check signatures on several threads

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        return (
            parts.scheme == "https"
            and "@" not in parts.netloc
            and not parts.fragment
            and self._hosts.fullmatch(parts.netloc) is not None
        )

    def preload(self, url: str, pem: bytes, now: dt.datetime) -> None:
        """Keep ``pem`` as the certificate at ``url``, as if fetched from there."""
        self._keep(url, _public_key(pem, url, now))

    def public_key(self, url: str, now: dt.datetime) -> RSAPublicKey:
        """The key of the certificate at ``url``; Refused when the URL is not allowed or the
        certificate cannot be fetched, read or is not valid ``now``."""
        with self._lock:
            if url in self._keys:
                self._keys.move_to_end(url)
                return self._keys[url]
        if not self.allowed(url):
            raise Refused(f"signing certificate URL not allowed: {url!r:.200}")
        key = _public_key(self._get(url, MAX_CERTIFICATE_BYTES), url, now)
        self._keep(url, key)
        return key

    def visit(self, url: str) -> None:
        """GET ``url`` (a SubscribeURL) through the same allow-list; Refused when not allowed."""
        if not self.allowed(url):
            raise Refused(f"subscribe URL not allowed: {url!r:.200}")
        self._get(url, MAX_CERTIFICATE_BYTES)

    def _keep(self, url: str, key: RSAPublicKey) -> None:
        with self._lock:
            self._keys[url] = key
            while len(self._keys) > CACHED_CERTIFICATES:
                self._keys.popitem(last=False)

    def _get(self, url: str, limit: int) -> bytes:
        # A fresh default context each time: it reads the system's CA bundle (or SSL_CERT_FILE).
        opener = urllib.request.build_opener(
            _NoRedirects(), urllib.request.HTTPSHandler(context=ssl.create_default_context())
        )
        try:
            with opener.open(url, timeout=self._timeout) as response:
                body: bytes = response.read(limit + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise Refused(f"cannot fetch {urlsplit(url).netloc}: {exc}") from None
        if len(body) > limit:
            raise Refused(f"{urlsplit(url).netloc} answered more than {limit} bytes")
        return body


def _public_key(pem: bytes, url: str, now: dt.datetime) -> RSAPublicKey:
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise Refused(f"not a PEM certificate at {url!r:.200}") from None
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise Refused(f"certificate at {url!r:.200} is not valid now")
    key = certificate.public_key()
    if not isinstance(key, RSAPublicKey):
        raise Refused(f"certificate at {url!r:.200} has no RSA key")
    return key
