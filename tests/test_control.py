"""Control over sending: send --test, resend, DKIM; and the first run: init and check."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import dkim
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bulletin.cli import main

from .digest_site import SECRET, DigestSite
from .smtp_server import SmtpServer

pytestmark = pytest.mark.both_backends


def test_send_test_goes_to_one_address_and_records_nothing(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe("reader@example.com")
    result = site.cli("send", "--test", "Editor@Example.com")
    assert result.exit_code == 0, result.output
    assert [item.rcpt_tos for item in smtp_server.received] == [("editor@example.com",)]
    subject = str(smtp_server.received[0].message()["Subject"])
    assert subject.startswith("[TEST] ") and "Новость" in subject
    assert site.rows("SELECT count(*) FROM digests") == [(0,)]
    # The real send afterwards still holds the post.
    assert site.send().posts == 1


def test_resend_failed_retries_only_failed(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.configure(smtp={"max_attempts": 1})
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe("a@example.com", "b@example.com", "c@example.com")
    # The first recipient fails for good: a 5xx policy refusal (a 4xx would wait for smtp.give_up_after).
    smtp_server.faults.rcpt_replies = ["554 5.7.1 refused for now"]
    first = site.send()
    assert (first.report.sent, first.report.failed) == (2, 1)
    failed = [email for email, status in site.delivery_statuses().items() if status == "failed"]
    assert len(failed) == 1
    before = smtp_server.per_recipient()
    result = site.cli("resend", "1", "--failed")
    assert result.exit_code == 0, result.output
    after = smtp_server.per_recipient()
    assert after[failed[0]] == 1
    assert {address: after[address] - before.get(address, 0) for address in after} == {
        failed[0]: 1,
        **{a: 0 for a in after if a != failed[0]},
    }
    assert set(site.delivery_statuses().values()) == {"sent"}


def test_resend_needs_a_choice_and_an_existing_digest(site: DigestSite) -> None:
    assert site.cli("resend", "1").exit_code == 2
    result = site.cli("resend", "7", "--pending")
    assert result.exit_code == 1 and "no digest 7" in result.output


def make_key(tmp_path: Path) -> tuple[Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path = tmp_path / "dkim.pem"
    path.write_bytes(pem)
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def test_dkim_signature_verifies_and_covers_rfc8058_headers(
    site: DigestSite, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    key_file, record = make_key(tmp_path)
    site.configure(
        digest={"dkim": {"domain": "clinic.example", "selector": "mail", "key_file": str(key_file)}}
    )
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe("reader@example.com")
    assert site.send().ok
    data = smtp_server.received[0].data

    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"mail._domainkey.clinic.example." else None

    assert dkim.verify(data, dnsfunc=dns)
    signature = data.split(b"\r\n\r\n", 1)[0].decode()
    signed = signature.split(" h=", 1)[1].split(";", 1)[0].replace("\r\n", "").replace(" ", "").lower()
    for header in (
        "from",
        "subject",
        "date",
        "message-id",
        "to",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ):
        assert header in signed.split(":")
    # A changed List-Unsubscribe header no longer verifies.
    assert not dkim.verify(data.replace(b"List-Unsubscribe: <https", b"List-Unsubscribe: <http"), dnsfunc=dns)


def test_missing_dkim_key_is_one_clear_line(site: DigestSite, tmp_path: Path) -> None:
    site.configure(digest={"dkim": {"domain": "clinic.example", "selector": "mail", "key_file": "nope.pem"}})
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe("reader@example.com")
    result = CliRunner().invoke(
        main, ["send", "--config", str(site.config_path), "--now", "2026-04-12T10:00"]
    )
    assert result.exit_code == 1
    assert "nope.pem: cannot read the DKIM key" in result.output
    assert "Traceback" not in result.output


def test_init_scaffolds_a_site_that_checks_builds_and_dry_runs(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "new-site"
    result = runner.invoke(main, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    for name in ("config.yaml", ".gitignore", "templates/digest.html.j2", "templates/web/subscribe.html.j2"):
        assert (folder / name).is_file()
    assert list((folder / "content").rglob("item.md"))
    config = str(folder / "config.yaml")
    check = runner.invoke(main, ["check", "--config", config])
    assert check.exit_code == 0 and "0 errors, 0 warnings" in check.output, check.output
    build = runner.invoke(main, ["build", "--config", config])
    assert build.exit_code == 0 and (folder / "public" / "feed.xml").is_file()
    dry = runner.invoke(main, ["send", "--dry-run", "--config", config])
    assert dry.exit_code == 0 and "Hello, world" in dry.output
    assert not (folder / "state" / "bulletin.db").exists()  # the dry run created no store


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert "config.yaml: already exists" in result.output
    assert (tmp_path / "config.yaml").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "templates").exists()


def test_check_reports_everything_and_writes_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path)]).exit_code == 0
    blog = tmp_path / "content" / "01.blog"
    (blog / "02.bad" / "item.md").parent.mkdir(parents=True)
    (blog / "02.bad" / "item.md").write_text("---\ntitle: [unclosed\n---\nx\n", encoding="utf-8")
    (blog / "03.pic" / "item.md").parent.mkdir(parents=True)
    (blog / "03.pic" / "item.md").write_text(
        "---\ntitle: Pic\ndate: '01-01-2026'\n---\n\n![x](missing.jpg)\n\n===\n\nMore.\n", encoding="utf-8"
    )
    (blog / "04.empty" / "item.md").parent.mkdir(parents=True)
    (blog / "04.empty" / "item.md").write_text(
        "---\ntitle: Sum\ndate: '01-01-2026'\n---\n\nAll of it here.\n\n===\n", encoding="utf-8"
    )
    (tmp_path / "templates" / "digest.txt.j2").write_text("{% for x in %}", encoding="utf-8")
    before = sorted(p for p in tmp_path.rglob("*"))
    result = runner.invoke(main, ["check", "--config", str(tmp_path / "config.yaml")])
    assert result.exit_code == 1
    assert "02.bad/item.md" in result.output and "front matter is not valid YAML" in result.output
    assert "digest.txt.j2:1" in result.output
    assert "Warning:" in result.output and "missing.jpg does not exist" in result.output
    assert "04.empty/item.md: the summary above === is the whole post" in result.output
    assert "Traceback" not in result.output
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_check_passes_on_the_sample_site() -> None:
    root = Path(__file__).parent.parent
    result = CliRunner().invoke(
        main,
        ["check", "--config", str(root / "config.yaml"), "--now", dt.datetime(2026, 11, 1).isoformat()],
        env={"BULLETIN_SECRET": SECRET},  # check reports a missing secret, as send would refuse it
    )
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_dry_run_lists_the_first_recipients_and_counts_the_rest(outbox_site: DigestSite) -> None:
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    outbox_site.subscribe(*(f"r{n:02d}@example.org" for n in range(25)))
    result = outbox_site.cli("send", "--dry-run", "--now", "2026-04-12T10:00")
    assert result.exit_code == 0
    listed = [line.strip() for line in result.output.splitlines() if line.startswith("  r")]
    assert listed == [f"r{n:02d}@example.org" for n in range(20)]
    assert "  ... and 5 more" in result.output
    assert list(outbox_site.root.glob("outbox/**/*.eml")) == []  # nothing was sent


@pytest.mark.parametrize(
    ("web_url", "warned"),
    [
        ("http://news.clinic.example", True),
        ("http://203.0.113.7:8080", True),
        ("https://news.clinic.example", False),
        # Loopback: a test on one's own machine, never a link a mailbox provider follows.
        ("http://127.0.0.1:8080", False),
        ("http://localhost:8080", False),
        ("http://[::1]:8080", False),
    ],
)
def test_check_warns_when_one_click_unsubscribe_is_offered_over_http(
    outbox_site: DigestSite, web_url: str, warned: bool
) -> None:
    """RFC 8058: List-Unsubscribe-Post (in every digest) needs an https URL (issue 15 item 21)."""
    outbox_site.configure(web={"url": web_url})
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    result = outbox_site.cli("check", "--now", "2026-04-12T10:00")
    expected = f"Warning: {outbox_site.config_path}: web.url {web_url} is not https: one-click unsubscribe"
    assert (expected in result.output) is warned, result.output
    assert result.exit_code == 0  # a warning, not an error: the digest still goes out
