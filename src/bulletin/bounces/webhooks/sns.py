"""Amazon SNS's HTTP envelope: its signature checked against the signing certificate, as AWS documents."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from ...config.webhooks import SesWebhook
from . import Refused, Unreadable
from .certificates import CertificateFetcher
from .fields import JsonObject, iso_time, json_document, json_object

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"
# The fields signed, in the order of the string to sign (AWS: "Verifying the signatures of
# Amazon SNS messages"). Subject is the one that may be absent; then it is left out.
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SIGNED_FIELDS = {
    NOTIFICATION: ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    SUBSCRIPTION_CONFIRMATION: _CONFIRMATION_FIELDS,
    UNSUBSCRIBE_CONFIRMATION: _CONFIRMATION_FIELDS,
}
OPTIONAL_FIELDS = frozenset({"Subject"})
# SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA.
SIGNATURE_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}


@dataclass(frozen=True)
class SnsMessage:
    """An SNS message whose signature, topic and age were checked."""

    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: dt.datetime
    subscribe_url: str | None = None


def string_to_sign(envelope: JsonObject) -> bytes:
    """Each signed field's name and value, one per line, in AWS's order; Refused when one is missing."""
    lines: list[str] = []
    for name in SIGNED_FIELDS[envelope["Type"]]:
        value = envelope.get(name)
        if value is None and name in OPTIONAL_FIELDS:
            continue
        if not isinstance(value, str):
            raise Refused(f"SNS message without {name}")
        lines += [name, value]
    return ("\n".join(lines) + "\n").encode("utf-8")


def verified_message(
    body: bytes, settings: SesWebhook, certificates: CertificateFetcher, now: dt.datetime
) -> SnsMessage:
    """The SNS message in ``body`` once its topic, signature and age are checked; Refused otherwise.

    The topic is checked first: any AWS account can make a topic and subscribe this
    endpoint to it, and its messages are signed by SNS just the same.
    """
    try:
        envelope = json_object(json_document(body, "SNS message"), "SNS message")
    except Unreadable as exc:  # without a readable envelope nothing is proven
        raise Refused(str(exc)) from None
    kind = envelope.get("Type")
    if kind not in SIGNED_FIELDS:
        raise Refused(f"not an SNS message type: {kind!r:.40}")
    topic = envelope.get("TopicArn")
    if topic not in settings.topic_arns:
        raise Refused(f"topic not in webhooks.ses.topic_arns: {topic!r:.200}")
    _check_signature(envelope, certificates, now)
    try:
        timestamp = iso_time(envelope.get("Timestamp"), "SNS Timestamp")
    except Unreadable as exc:
        raise Refused(str(exc)) from None
    if abs((now - timestamp).total_seconds()) > settings.max_age:
        raise Refused(f"SNS message {envelope.get('MessageId')!r:.80} is too old (or from the future)")
    subscribe_url = envelope.get("SubscribeURL")
    return SnsMessage(
        type=str(kind),
        message_id=str(envelope["MessageId"]),
        topic_arn=str(topic),
        message=str(envelope["Message"]),
        timestamp=timestamp,
        subscribe_url=subscribe_url if isinstance(subscribe_url, str) else None,
    )


def _check_signature(envelope: JsonObject, certificates: CertificateFetcher, now: dt.datetime) -> None:
    algorithm = SIGNATURE_HASHES.get(str(envelope.get("SignatureVersion")))
    if algorithm is None:
        raise Refused(f"unknown SNS SignatureVersion {envelope.get('SignatureVersion')!r:.20}")
    signed = string_to_sign(envelope)
    try:
        signature = base64.b64decode(str(envelope.get("Signature", "")), validate=True)
    except (binascii.Error, ValueError):
        raise Refused("SNS Signature is not base64") from None
    url = envelope.get("SigningCertURL")
    if not isinstance(url, str):
        raise Refused("SNS message without SigningCertURL")
    key = certificates.public_key(url, now)
    try:
        key.verify(signature, signed, padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise Refused(f"SNS signature does not match (MessageId {envelope.get('MessageId')!r:.80})") from None
