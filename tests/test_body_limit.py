"""Issue 16 item 10: request bodies are capped before anything parses them, over real HTTP."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import httpx

from bulletin.web.app import create_app
from bulletin.web.body_limit import MAX_BODY_BYTES

from .digest_site import DigestSite
from .test_web_server import running_server


def read_head(sock: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return head


def test_a_huge_declared_body_is_refused_before_it_is_sent(site: DigestSite) -> None:
    """400 MB announced, 64 KB sent: the 413 comes at once and the server never reads the rest."""
    with running_server(create_app(site.config)) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                b"POST /subscribe HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 400000000\r\n\r\n" + b"email=" + b"a" * 65536
            )
            head = read_head(sock)
            assert head.startswith(b"HTTP/1.1 413 "), head[:200]
            assert re.search(rb"(?i)\r\nconnection: close\r\n", head)
            sock.settimeout(5)
            rest = b""
            while chunk := sock.recv(65536):  # the server closes: recv ends with b""
                rest += chunk
            assert len(rest) < 1024
    assert site.rows("SELECT count(*) FROM subscribers") == [(0,)]


def test_a_chunked_body_is_cut_off_at_the_limit(site: DigestSite) -> None:
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield b"email=reader%40example.org&name="
        for _ in range(64):  # 4 MB, if the server kept reading
            sent += 65536
            yield b"x" * 65536

    with running_server(create_app(site.config)) as url:
        response = httpx.post(
            f"{url}/subscribe",
            content=body(),
            headers={"content-type": "application/x-www-form-urlencoded"},
            timeout=10,
        )
    assert response.status_code == 413
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert site.rows("SELECT count(*) FROM subscribers") == [(0,)]


def test_a_sign_up_of_the_largest_real_size_still_goes_through(site: DigestSite) -> None:
    """The longest address (a Cyrillic IDN one) and a 200-letter Kazakh name fit well under the cap."""
    address = "ә" * 60 + "@" + ".".join(["пример" * 3] * 3) + ".қаз"
    name = "Әлия Нұрсұлтанқызы " * 11
    site.configure(web={"url": "http://bulletin.test"})  # plain http: the CSRF cookie is not Secure
    with running_server(create_app(site.config)) as url, httpx.Client(base_url=url, timeout=10) as client:
        form = client.get("/subscribe")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf
        data = {"csrf": csrf.group(1), "email": address, "name": name, "website": ""}
        size = len(httpx.Request("POST", url, data=data).read())
        answer = client.post("/subscribe", data=data)
    assert 1500 < size < MAX_BODY_BYTES / 4  # plenty of room under the cap
    assert answer.status_code == 200, answer.text[:300]
    assert site.rows("SELECT count(*) FROM subscribers WHERE status = 'pending'") == [(1,)]
