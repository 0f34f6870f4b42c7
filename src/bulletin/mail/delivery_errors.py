"""What a session raises when a message does not go, by what the mailer should do next.

Failures of the connection itself also inherit the built-in they are (as aiosmtplib's
SMTPTimeoutError is a TimeoutError), so code outside the mailer can tell them apart
without knowing bulletin's classes.
"""

from __future__ import annotations


class TransientError(Exception):
    """Worth trying again: a 4xx reply, a dropped connection, a timeout."""


class ConnectionTrouble(TransientError):
    """The connection failed mid-conversation: no reply in time, hung up, or not SMTP."""


class ConnectionDropped(ConnectionTrouble, ConnectionError):
    """The server hung up, or the socket failed, before the transaction was done."""


class ReplyTimedOut(ConnectionTrouble, TimeoutError):
    """No reply within smtp.timeout."""


class DeliveryUncertain(ConnectionTrouble):
    """The whole message went out, then the server hung up, fell silent past smtp.data_timeout
    or answered garbage: it may have been delivered. Tried once more at most."""


class PermanentError(Exception):
    """A 5xx reply for this message: trying again would fail the same way."""


class BouncedError(PermanentError):
    """The server says the address does not exist."""


class RunAborted(Exception):
    """Nothing can be delivered this run: server unreachable, login or TLS refused."""


class ConnectionFailed(ConnectionError):
    """The connection could not be opened (no message was sent)."""


class ConnectTimedOut(ConnectionFailed, TimeoutError):
    """The server did not answer the connection (or its greeting) within smtp.timeout."""


class CannotRecord(Exception):
    """The store refused to record an outcome (disk full): the run takes no new deliveries."""
