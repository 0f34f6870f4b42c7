"""Bodies encoded once per digest (mail/base64_body.py) decode to exactly the text with the
subscriber's values in, in lines any MIME reader takes, whatever the values hold."""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bulletin.mail.base64_body import Base64Body, base64_lines
from bulletin.mail.markers import EMAIL_MARK, MARKS, NAME_MARK, UNSUBSCRIBE_MARK
from bulletin.mail.messages import personal_parts, personalise

from .test_messages_wire import FIXED, TOKEN

_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/]*={0,2}")

# Text around and between the markers: Cyrillic, Kazakh, emoji, line ends, and stretches
# long enough to fill many lines, in any order.
PIECES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["Қазақ тілі ә", "Здравствуйте, ", "\r\n", "😀", "a" * 57, "б" * 300]),
    st.sampled_from(MARKS),
)
VALUES = st.fixed_dictionaries({mark: st.text(max_size=120) for mark in MARKS})


def filled(text: str, values: dict[str, str]) -> str:
    """The text with each marker replaced by its value, left to right (what a reader sees)."""
    pattern = re.compile("|".join(re.escape(mark) for mark in MARKS))
    return pattern.sub(lambda found: values[found[0]], text)


def check_lines(encoded: bytes) -> list[bytes]:
    """Lines of at most 76 characters ending in CRLF, each whole base64, padding only on the last."""
    assert encoded == b"" or encoded.endswith(b"\r\n")
    lines = encoded.split(b"\r\n")[:-1]
    for number, line in enumerate(lines):
        assert 0 < len(line) <= 76 and len(line) % 4 == 0, line
        assert _BASE64_LINE.fullmatch(line), line
        assert b"=" not in line or number == len(lines) - 1, "padding before the end"
    return lines


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(PIECES, max_size=14), values=VALUES)
def test_the_body_decodes_to_the_text_with_the_values_in(pieces: list[str], values: dict[str, str]) -> None:
    text = "".join(pieces)
    encoded = Base64Body(text, MARKS).encode(values)
    check_lines(encoded)
    assert binascii.a2b_base64(encoded.replace(b"\r\n", b"")).decode("utf-8") == filled(text, values)


@given(text=st.text(max_size=3000))
def test_text_without_markers_is_encoded_as_one_piece(text: str) -> None:
    # Lines of exactly 76 characters: what email's own encoder writes, byte for byte.
    encoded = Base64Body(text, MARKS).encode({})
    assert encoded == base64_lines(text.encode("utf-8"))
    assert encoded == base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")


def test_a_value_that_holds_a_marker_is_not_filled_again() -> None:
    body = Base64Body(f"{NAME_MARK} / {EMAIL_MARK}", MARKS)
    values = {NAME_MARK: EMAIL_MARK, EMAIL_MARK: "ann@example.org", UNSUBSCRIBE_MARK: ""}
    assert base64.b64decode(body.encode(values)).decode() == f"{EMAIL_MARK} / ann@example.org"


@settings(max_examples=60, deadline=None)
@given(
    name=st.one_of(st.none(), st.text(max_size=90)), local=st.from_regex(r"[a-z0-9.]{1,40}", fullmatch=True)
)
def test_the_message_parts_are_the_personal_text_and_html(name: str | None, local: str) -> None:
    address = f"{local}@example.org"
    data = personalise(FIXED, 7, address, name, TOKEN)
    message = email.message_from_bytes(data, policy=email.policy.default)
    parts = personal_parts(FIXED, address, name, TOKEN)
    assert message.get_body(("plain",)).get_content() == parts.text.replace("\r\n", "\n")
    assert message.get_body(("html",)).get_content() == parts.html.replace("\r\n", "\n")
    for part in message.walk():
        if part.get_content_maintype() == "text":
            lines = part.get_payload(decode=False).splitlines()
            check_lines("".join(line + "\r\n" for line in lines).encode("ascii"))
