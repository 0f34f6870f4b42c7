"""`messages.personalise()` output goes to DATA as it is: it must already be SMTP-ready.

The mailer writes the bytes without a line-ending or dot-stuffing pass (it only
checks for a dot after a line break), so every message must have CRLF line ends
and nothing else, no line starting with a dot and no line over 998 bytes
(RFC 5321 4.5.3.1.6), whatever the titles, names and addresses hold.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import tempfile
from email.header import decode_header, make_header
from pathlib import Path

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from bulletin.errors import BulletinError
from bulletin.mail.digest import render_digest
from bulletin.mail.messages import MessageTemplate, build_template, personalise
from bulletin.mail.smtp_session import smtp_ready
from bulletin.site.reading import load_site_posts
from bulletin.store import DigestRecord

from .digest_site import NOW, DigestSite

_BARE_LINE_END = re.compile(rb"\r(?!\n)|(?<!\r)\n")

# Text with the characters that break mail: line ends of every kind, dots, NUL and other
# controls, non-ASCII letters, emoji, and long runs without a space.
_TRICKY = st.sampled_from(
    ["\r\n", "\r", "\n", ".", "\r\n.", "\n.\n", "\x00", "\x0b", "\x85", "\u2028", " ", "—"]
)
TEXT = st.lists(
    st.one_of(st.text(min_size=1, max_size=40), _TRICKY, st.text("a.", min_size=500, max_size=1200)),
    max_size=12,
).map("".join)
ADDRESS = st.one_of(
    st.emails(),
    st.builds(
        lambda local, domain: f"{local}@{domain}",
        st.text(
            st.characters(min_codepoint=0x21, max_codepoint=0x7FF, exclude_characters="@<>"),
            min_size=1,
            max_size=300,
        ),
        st.sampled_from(["example.org", "пример.рф", "x." + "a" * 60 + ".example"]),
    ),
)


def assert_smtp_ready(data: bytes) -> None:
    assert _BARE_LINE_END.search(data) is None, "a CR or LF that is not part of CRLF"
    assert data.endswith(b"\r\n")
    assert not data.startswith(b".") and b"\r\n." not in data, "a line starting with a dot"
    longest = max(len(line) for line in data.split(b"\r\n"))
    assert longest <= 998, f"a line of {longest} bytes"
    assert smtp_ready(data) is data or smtp_ready(data) == data  # the mailer changes nothing
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert not parsed.defects, parsed.defects


def template_for(titles: list[str], body: str) -> MessageTemplate:
    with tempfile.TemporaryDirectory() as folder:
        site = DigestSite(Path(folder), None)
        for n, title in enumerate(titles):
            site.post(f"post-{n}", title, f"2026-04-0{n + 1} 10:00", body)
        config = site.config
        try:
            posts = load_site_posts(config)
        except BulletinError:
            reject()  # refused input is the content tests' business, not this one's
        if len(posts) != len(titles):
            reject()
        rendered = render_digest(config, posts, 7, NOW)
        created = NOW.astimezone(dt.UTC)
        record = DigestRecord(7, created, "0123abcd0123abcd", rendered)
        return build_template(config, record)


TOKEN = "AbC-12_x" * 6
FIXED = template_for(["Важно\r\nBcc: x@y", ".начало с точки", "x" * 2000], ".\r\n.\n" + "слово " * 400)


@settings(max_examples=150, deadline=None)
@given(name=st.one_of(st.none(), TEXT), address=ADDRESS)
def test_any_name_and_address_give_smtp_ready_bytes(name: str | None, address: str) -> None:
    assert_smtp_ready(personalise(FIXED, 42, address, name, TOKEN))


def test_long_names_are_folded_with_crlf() -> None:
    for name in ("Анна " * 300, "a" * 3000, "=?utf-8?q?x?= " * 100, '"Doe, John" ' * 200):
        for address in ("ann@example.org", "анна@пример.рф"):
            data = personalise(FIXED, 1, address, name, TOKEN)
            assert_smtp_ready(data)
            to = data.split(b"\r\nTo: ", 1)[1].split(f" <{address}>\r\n".encode())[0]
            # decode_header, not the address parser: that one loses spaces between words.
            decoded = str(make_header(decode_header(to.replace(b"\r\n", b"").decode("ascii"))))
            assert decoded == " ".join(name.split())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(titles=st.lists(TEXT.filter(str.strip), min_size=1, max_size=3), body=TEXT)
def test_any_titles_and_bodies_give_smtp_ready_bytes(titles: list[str], body: str) -> None:
    template = template_for(titles, body)
    for name in (None, "Анна"):
        assert_smtp_ready(personalise(template, 1, "ann@example.org", name, TOKEN))
