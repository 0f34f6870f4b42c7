"""What the providers would send, made here with test keys: SNS messages signed with a test
certificate served over https on 127.0.0.1, Mailgun HMACs, SendGrid ECDSA signatures.

The string SNS signs is written out here from AWS's documentation, apart from bulletin's
own, so a wrong field order in bulletin fails the tests.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.server
import ipaddress
import json
import secrets
import ssl
import threading
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

TOPIC = "arn:aws:sns:eu-central-1:123456789012:bulletin-bounces"
CERT_PATH = "/SimpleNotificationService-0123456789abcdef.pem"


def self_signed(common_name: str, key: rsa.RSAPrivateKey, ip: str | None = None, days: int = 30) -> bytes:
    """A PEM certificate for ``key``, signed by itself (no CA anywhere)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
    )
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeSnsHost:
    """An https server on 127.0.0.1 standing for sns.<region>.amazonaws.com: it serves the
    signing certificate and records every GET (certificate fetches, SubscribeURL visits)."""

    def __init__(self, folder: Path) -> None:
        self.signing_key = rsa_key()
        self.certificate = self_signed("sns.eu-central-1.amazonaws.com", self.signing_key)
        tls_key = rsa_key()
        self.tls_certificate = folder / "tls.pem"
        self.tls_certificate.write_bytes(self_signed("127.0.0.1", tls_key, ip="127.0.0.1"))
        tls_key_file = folder / "tls.key"
        tls_key_file.write_bytes(
            tls_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.requests: list[str] = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.tls_certificate, tls_key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    @property
    def cert_url(self) -> str:
        return f"https://{self.host}{CERT_PATH}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                fake.requests.append(self.path)
                body = fake.certificate if self.path == CERT_PATH else b"<ConfirmSubscriptionResponse/>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    # Messages ------------------------------------------------------------------------------------

    def notification(self, message: dict[str, Any], version: str = "2", **overrides: Any) -> dict[str, Any]:
        envelope = {
            "Type": "Notification",
            "MessageId": str(overrides.pop("MessageId", secrets.token_hex(16))),
            "TopicArn": TOPIC,
            "Message": json.dumps(message),
            "Timestamp": _iso(dt.datetime.now(dt.UTC)),
            "SignatureVersion": version,
            "SigningCertURL": self.cert_url,
            "UnsubscribeURL": f"https://{self.host}/?Action=Unsubscribe",
        }
        envelope.update(overrides)
        return self.signed(envelope)

    def confirmation(self, version: str = "1") -> dict[str, Any]:
        token = secrets.token_hex(32)
        envelope = {
            "Type": "SubscriptionConfirmation",
            "MessageId": secrets.token_hex(16),
            "Token": token,
            "TopicArn": TOPIC,
            "Message": f"You have chosen to subscribe to the topic {TOPIC}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message.",
            "SubscribeURL": f"https://{self.host}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token={token}",
            "Timestamp": _iso(dt.datetime.now(dt.UTC)),
            "SignatureVersion": version,
            "SigningCertURL": self.cert_url,
        }
        return self.signed(envelope)

    def signed(self, envelope: dict[str, Any]) -> dict[str, Any]:
        algorithm = hashes.SHA1() if envelope["SignatureVersion"] == "1" else hashes.SHA256()
        signature = self.signing_key.sign(sns_string_to_sign(envelope), padding.PKCS1v15(), algorithm)
        return {**envelope, "Signature": base64.b64encode(signature).decode()}


def sns_string_to_sign(envelope: dict[str, Any]) -> bytes:
    """As AWS documents it: name and value lines, in this order; Subject only when present."""
    if envelope["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = "".join(f"{name}\n{envelope[name]}\n" for name in names if name in envelope)
    return text.encode()


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ses_bounce(
    address: str, bounce_type: str = "Permanent", status: str = "5.1.1", source: str = "news@clinic.example"
) -> dict[str, Any]:
    """An SES bounce notification in the shape of AWS's example (notification-examples)."""
    now = _iso(dt.datetime.now(dt.UTC))
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "reportingMTA": "dns; email.example.com",
            "bouncedRecipients": [
                {
                    "emailAddress": address,
                    "status": status,
                    "action": "failed",
                    "diagnosticCode": f"smtp; 550 {status} <{address}>... User unknown",
                }
            ],
            "timestamp": now,
            "feedbackId": f"0000013{secrets.token_hex(8)}-000000",
            "remoteMtaIp": "127.0.2.0",
        },
        "mail": _ses_mail(address, now, source),
    }


def ses_complaint(address: str) -> dict[str, Any]:
    now = _iso(dt.datetime.now(dt.UTC))
    return {
        "notificationType": "Complaint",
        "complaint": {
            "userAgent": "AnyCompany Feedback Loop (V0.01)",
            "complainedRecipients": [{"emailAddress": address}],
            "complaintFeedbackType": "abuse",
            "arrivalDate": now,
            "timestamp": now,
            "feedbackId": f"000001378603177f-{secrets.token_hex(8)}-000000",
        },
        "mail": _ses_mail(address, now),
    }


def _ses_mail(address: str, now: str, source: str = "news@clinic.example") -> dict[str, Any]:
    return {
        "timestamp": now,
        "source": source,
        "sourceArn": "arn:aws:ses:eu-central-1:123456789012:identity/clinic.example",
        "sendingAccountId": "123456789012",
        "messageId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
        "destination": [address],
    }


# Mailgun ---------------------------------------------------------------------------------------


def mailgun_body(
    key: str, event: dict[str, Any], timestamp: int | None = None, token: str | None = None
) -> bytes:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    token = token or secrets.token_hex(25)
    signature = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {"signature": {"timestamp": stamp, "token": token, "signature": signature}, "event-data": event}
    ).encode()


def mailgun_failed(address: str, severity: str = "permanent", reason: str | None = None) -> dict[str, Any]:
    """A failed event as Mailgun documents it (event-data of a webhook)."""
    return {
        "event": "failed",
        "id": secrets.token_urlsafe(16),
        "timestamp": time.time(),
        "severity": severity,
        "reason": reason or ("bounce" if severity == "permanent" else "generic"),
        "recipient": address,
        "log-level": "error",
        "envelope": {"sender": "news@clinic.example", "transport": "smtp", "targets": address},
        "message": {"headers": {"to": address, "message-id": "20130503192659.13651.20287@mg.clinic.example"}},
        "delivery-status": {
            "code": 550 if severity == "permanent" else 452,
            "message": "5.1.1 The email account that you tried to reach does not exist.",
            "description": "",
            "attempt-no": 1,
        },
    }


def mailgun_complained(address: str) -> dict[str, Any]:
    return {
        "event": "complained",
        "id": secrets.token_urlsafe(16),
        "timestamp": time.time(),
        "recipient": address,
        "log-level": "warn",
        "message": {"headers": {"message-id": "20130503182626.18666.16540@mg.clinic.example"}},
    }


# SendGrid --------------------------------------------------------------------------------------


def sendgrid_keys() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """A P-256 key pair; the public half as SendGrid's settings page shows it (base64 DER)."""
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(der).decode()


def sendgrid_headers(
    private: ec.EllipticCurvePrivateKey, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = private.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        "Content-Type": "application/json",
    }


def sendgrid_event(address: str, event: str, **fields: Any) -> dict[str, Any]:
    """One event of SendGrid's event webhook (an array of these is posted)."""
    return {
        "email": address,
        "timestamp": int(time.time()),
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "event": event,
        "category": ["digest"],
        "sg_event_id": secrets.token_urlsafe(16),
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        **fields,
    }


# Postmark --------------------------------------------------------------------------------------


def postmark_bounce(address: str, bounce_type: str = "HardBounce", type_code: int = 1) -> dict[str, Any]:
    """A bounce webhook as Postmark documents it."""
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": secrets.randbelow(10**10),
        "Type": bounce_type,
        "TypeCode": type_code,
        "Name": "Hard bounce",
        "Tag": "digest",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": address,
        "From": "news@clinic.example",
        "BouncedAt": _iso(dt.datetime.now(dt.UTC)),
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Дайджест",
        "Content": "",
    }


def postmark_complaint(address: str) -> dict[str, Any]:
    return {
        **postmark_bounce(address, "SpamComplaint", 512),
        "RecordType": "SpamComplaint",
        "Name": "Spam complaint",
        "Description": "The subscriber explicitly marked this message as spam.",
        "Details": "Test spam complaint details",
    }


def basic_auth(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
