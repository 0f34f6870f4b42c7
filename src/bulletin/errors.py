"""The exceptions bulletin raises: one base class, one subclass per stage."""

from __future__ import annotations


class BulletinError(Exception):
    """Base for every error a user should see as one clean line, never a traceback.

    An error may carry several problems (a build reports every bad post at once);
    ``str()`` joins them one per line.
    """

    def __init__(self, *problems: str) -> None:
        self.problems: tuple[str, ...] = problems or ("unknown error",)
        super().__init__("\n".join(self.problems))


class ConfigError(BulletinError):
    """config.yaml is missing, unreadable or has a bad key or value."""


class ContentError(BulletinError):
    """A post cannot be read: bad front matter, missing title, bad date, not UTF-8."""


class TemplateError(BulletinError):
    """A Jinja2 template or subject line cannot be loaded or rendered."""


class StoreError(BulletinError):
    """The SQLite store cannot be opened or holds something unexpected."""


class RecordingFailed(StoreError):
    """The store cannot write (disk full, I/O error): nothing more may be sent until it can."""


class SubscriberError(BulletinError):
    """An address, token or subscriber operation was refused."""


class DeliveryError(BulletinError):
    """Mail could not be handed to the SMTP server or the outbox."""


class StateError(BulletinError):
    """A file of bulletin's own local state (the recorded feed slugs) cannot be read."""


class MailboxError(BulletinError):
    """The bounce mailbox (IMAP or a Maildir) cannot be read."""
