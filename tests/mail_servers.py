"""A private Postfix relay and a throw-away Dovecot, each with its own config in a tmp folder.

Postfix (Debian's /usr/sbin/postfix) listens on a free port of 127.0.0.1 and delivers
everything for its domain itself: addresses in its virtual table to Maildirs under
``mail/``, any other address of its domain bounced by its own bounce daemon, as a DSN
mailed back to the envelope sender, so a VERP sender bounces+<token>@<domain> ends
up in the Maildir of bounces@<domain>. Dovecot serves that Maildir over IMAP (plain
text, 127.0.0.1 only) for `bulletin bounces fetch`.

Both need root (their masters drop privileges to the system users the packages
create); the fixtures skip with the reason when that or a binary is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

DOMAIN = "klinika-almaty.kz"  # delivered by the relay itself: no DNS is asked
MAILBOX_UID = 65534  # nobody: owns the Maildirs; Postfix's virtual agent and Dovecot act as it
POSTFIX = "/usr/sbin/postfix"
DOVECOT = "/usr/sbin/dovecot"


@contextmanager
def open_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder the servers' own users can enter (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


Server = TypeVar("Server", "PostfixRelay", "DovecotImap")


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """``server`` started, and stopped at the end however the test ends."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


def missing(binary: str, package: str) -> str | None:
    """Why the servers cannot run here, or None."""
    if not Path(binary).exists():
        return f"{binary} is not installed (Debian package {package}; .ci/run installs it)"
    if os.geteuid() != 0:
        return f"{binary} needs root to run a private instance (its master drops privileges)"
    return None


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    # `script` gives Postfix a terminal, so its startup errors reach us instead of a syslog
    # that is not there.
    line = " ".join(command)
    return subprocess.run(
        ["script", "-qec", line, "/dev/null"], capture_output=True, text=True, timeout=60, check=False
    )


class PostfixRelay:
    """Postfix on 127.0.0.1:``port`` with its config, queue and mail under ``root``."""

    def __init__(self, root: Path, port: int, mailboxes: tuple[str, ...]) -> None:
        self.root = root
        self.port = port
        self.etc = root / "etc"
        self.mail = root / "mail"
        self.log = root / "postfix.log"
        self.mailboxes = mailboxes

    def maildir(self, local: str) -> Path:
        return self.mail / DOMAIN / local

    def start(self) -> None:
        for folder in (self.etc, self.root / "spool", self.root / "data", self.mail / DOMAIN):
            folder.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        shutil.chown(self.root / "data", "postfix")
        master = Path("/etc/postfix/master.cf").read_text()
        # Only our smtpd, on our port, not chrooted (the chroot would need copies of /etc files).
        master = master.replace(
            "smtp      inet  n       -       y       -       -       smtpd",
            f"127.0.0.1:{self.port} inet n - n - - smtpd",
        )
        (self.etc / "master.cf").write_text(master)
        (self.etc / "main.cf").write_text(self._main_cf())
        (self.etc / "vmailbox").write_text(
            "".join(f"{local}@{DOMAIN} {DOMAIN}/{local}/\n" for local in self.mailboxes)
        )
        for local in self.mailboxes:
            for sub in ("new", "cur", "tmp"):
                (self.maildir(local) / sub).mkdir(parents=True, exist_ok=True)
        subprocess.run(["chown", "-R", f"{MAILBOX_UID}:{MAILBOX_UID}", str(self.mail)], check=True)
        done = _run(POSTFIX, "-c", str(self.etc), "start")
        if done.returncode != 0:
            raise RuntimeError(f"postfix did not start: {done.stdout} {self.log_text()}")

    def _main_cf(self) -> str:
        return f"""compatibility_level = 3.6
queue_directory = {self.root / "spool"}
data_directory = {self.root / "data"}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.{DOMAIN}
mydomain = {DOMAIN}
myorigin = {DOMAIN}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file = {self.log}
maillog_file_prefixes = {self.root}
virtual_mailbox_domains = {DOMAIN}
virtual_mailbox_base = {self.mail}
virtual_mailbox_maps = texthash:{self.etc / "vmailbox"}
virtual_uid_maps = static:{MAILBOX_UID}
virtual_gid_maps = static:{MAILBOX_UID}
recipient_delimiter = +
# Accept unknown addresses at RCPT time, so they bounce later, as a DSN, the way a
# smarthost's bounces arrive.
smtpd_reject_unlisted_recipient = no
smtpd_recipient_restrictions = permit_mynetworks, reject
smtp_dns_support_level = disabled
alias_maps =
alias_database =
local_recipient_maps =
queue_run_delay = 1s
"""

    def stop(self) -> None:
        _run(POSTFIX, "-c", str(self.etc), "stop")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class DovecotImap:
    """Dovecot serving one Maildir over IMAP on 127.0.0.1:``port`` to one user and password."""

    def __init__(
        self,
        root: Path,
        port: int,
        maildir: Path,
        user: str,
        password: str,
        tls: TlsFiles | None = None,
        implicit_tls: bool = False,
    ) -> None:
        # With ``tls``: the port speaks TLS from the start (implicit_tls, as port 993), or
        # offers STARTTLS and refuses to log in before it.
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.root = root
        self.port = port
        self.maildir = maildir
        self.user = user
        self.password = password
        self.config = root / "dovecot.conf"

    def start(self) -> None:
        for folder in ("run", "state", "home"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        subprocess.run(["chown", f"{MAILBOX_UID}:{MAILBOX_UID}", str(self.root / "home")], check=True)
        self.config.write_text(self._config())
        subprocess.run([DOVECOT, "-c", str(self.config)], check=True, timeout=30)
        deadline = time.monotonic() + 10
        while not (self.root / "run" / "master.pid").exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not start: {self.log_text()}")
            time.sleep(0.05)

    def _config(self) -> str:
        root = self.root
        return f"""base_dir = {root / "run"}
state_dir = {root / "state"}
instance_name = bulletin-test-{self.port}
protocols = imap
listen = 127.0.0.1
{self._ssl()}
auth_mechanisms = plain
log_path = {root / "dovecot.log"}
mail_location = maildir:{self.maildir}
mail_uid = {MAILBOX_UID}
mail_gid = {MAILBOX_UID}
first_valid_uid = 1
passdb {{
  driver = static
  args = user={self.user} password={self.password}
}}
userdb {{
  driver = static
  args = uid={MAILBOX_UID} gid={MAILBOX_UID} home={root / "home"}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {0 if self.implicit_tls else self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.port if self.implicit_tls else 0}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""

    def _ssl(self) -> str:
        if self.tls is None:
            return "ssl = no\ndisable_plaintext_auth = no"
        return (
            f"ssl = required\nssl_cert = <{self.tls.cert_file}\nssl_key = <{self.tls.key_file}\n"
            "disable_plaintext_auth = yes"
        )

    def stop(self) -> None:
        subprocess.run([DOVECOT, "-c", str(self.config), "stop"], check=False, timeout=30)

    def log_text(self) -> str:
        log = self.root / "dovecot.log"
        return log.read_text(errors="replace") if log.exists() else ""


class TlsFiles(Protocol):
    cert_file: Path
    key_file: Path


def wait_for_mail(maildir: Path, count: int, timeout: float = 30.0) -> list[Path]:
    """The messages in ``maildir`` (new/ and cur/: Dovecot moves what it has seen) once there are
    ``count`` of them, or what there is after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = sorted([*(maildir / "new").iterdir(), *(maildir / "cur").iterdir()])
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
