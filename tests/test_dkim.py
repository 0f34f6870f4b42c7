"""Our DKIM signer against dkimpy's verifier, over many message shapes."""

from __future__ import annotations

import base64
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from bulletin.config import DkimSettings
from bulletin.errors import ConfigError
from bulletin.mail.dkim import DkimSigner, relaxed_body, relaxed_header


@pytest.fixture(scope="module")
def signer_and_record(tmp_path_factory: pytest.TempPathFactory) -> tuple[DkimSigner, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("dkim") / "key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return DkimSigner(DkimSettings("clinic.example", "mail", path)), b"v=DKIM1; k=rsa; p=" + base64.b64encode(
        der
    )


def verify(message: bytes, record: bytes) -> bool:
    return bool(
        dkim.verify(
            message,
            dnsfunc=lambda name, timeout=5: record if name == b"mail._domainkey.clinic.example." else None,
        )
    )


ascii_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@settings(max_examples=60, deadline=None)
@given(
    subject=ascii_text,
    folded=st.booleans(),
    spaces=st.sampled_from(["", " ", "  ", "\t", " \t "]),
    body_lines=st.lists(
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80), max_size=20
    ),
    trailing_blank=st.integers(0, 3),
)
def test_signatures_verify_with_dkimpy(
    signer_and_record: tuple[DkimSigner, bytes],
    subject: str,
    folded: bool,
    spaces: str,
    body_lines: list[str],
    trailing_blank: int,
) -> None:
    signer, record = signer_and_record
    subject_line = f"Subject:{spaces}{subject}{spaces}"
    if folded:
        subject_line = f"Subject: first part\r\n{spaces or ' '}second{spaces}part {subject}"
    head = "\r\n".join(
        [
            "From: Clinic <news@clinic.example>",
            "To: reader@example.org",
            subject_line,
            "Date: Sun, 12 Apr 2026 10:00:00 +0500",
            "Message-ID: <a.1.2@clinic.example>",
            "List-Unsubscribe: <https://clinic.example/unsubscribe/1.x>,\r\n <mailto:news@clinic.example>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            "MIME-Version: 1.0",
        ]
    )
    body = "\r\n".join(line + spaces for line in body_lines) + "\r\n" * (trailing_blank + 1)
    message = (head + "\r\n\r\n" + body).encode("ascii")
    signed = signer.sign(message)
    assert signed.endswith(message)
    assert verify(signed, record)


def test_a_changed_header_or_body_fails(signer_and_record: tuple[DkimSigner, bytes]) -> None:
    signer, record = signer_and_record
    message = (
        b"From: a@clinic.example\r\nTo: b@example.org\r\nSubject: Hi\r\n"
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nBody\r\n"
    )
    signed = signer.sign(message)
    assert verify(signed, record)
    assert not verify(signed.replace(b"Subject: Hi", b"Subject: Ho"), record)
    assert not verify(signed.replace(b"One-Click", b"One-Clack"), record)
    assert not verify(signed.replace(b"Body", b"Bodies"), record)


def test_canonicalisation_examples() -> None:
    # RFC 6376 section 3.4.5's example, relaxed/relaxed.
    assert relaxed_header(b"A", b" X") == b"a:X\r\n"
    assert relaxed_header(b"B ", b" Y\t\r\n\tZ  ") == b"b:Y Z\r\n"
    assert relaxed_body(b" C \r\nD \t E\r\n\r\n\r\n") == b" C\r\nD E\r\n"
    assert relaxed_body(b"\r\n\r\n") == b""


def test_non_rsa_or_encrypted_keys_are_refused(tmp_path: Path) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(ConfigError, match="must be an RSA key"):
        DkimSigner(DkimSettings("clinic.example", "mail", path))
    (tmp_path / "junk.pem").write_text("not a key", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a PEM private key"):
        DkimSigner(DkimSettings("clinic.example", "mail", tmp_path / "junk.pem"))
