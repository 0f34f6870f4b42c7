"""The token secret: made once by init or `bulletin secret`, kept, rotated with an old one, checked early."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from bulletin.cli import main
from bulletin.config.secrets import read_env_file
from bulletin.tokens import UNSUBSCRIBE, TokenSigner, secret_problem
from bulletin.web.app import create_app

from .digest_site import NOW, SECRET, WEB_URL, DigestSite

KEEP_IT = (
    "make one with `bulletin secret` and keep it: changing it breaks the unsubscribe links"
    " in mails already sent (to rotate, see docs/security.md)"
)
NEW_ONE = "make a new one with `bulletin secret`"
FOOTER = {"footer": "Алматы, ул. Абая 1; +7 727 000 00 00"}  # check warns without a postal address


# bulletin init and bulletin secret ------------------------------------------------------------


def test_init_writes_a_kept_secret_into_a_private_dot_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BULLETIN_SECRET", raising=False)
    runner = CliRunner()
    secrets = []
    for name in ("one", "two"):
        folder = tmp_path / name
        result = runner.invoke(main, ["init", str(folder)])
        assert result.exit_code == 0, result.output
        env = folder / ".env"
        assert stat.S_IMODE(env.stat().st_mode) == 0o600
        assert "/.env" in (folder / ".gitignore").read_text(encoding="utf-8").splitlines()
        value = read_env_file(env)["BULLETIN_SECRET"]
        assert len(value) >= 43 and secret_problem(value, "x") is None
        assert f"created {env}" in result.output.splitlines()
        assert (
            f"Keep {env}: its BULLETIN_SECRET signs unsubscribe links, and a new one breaks the links"
            " in mails already sent." in result.output.splitlines()
        )
        secrets.append(value)
        # No variable set anywhere: the new site's check and dry run find the secret.
        check = runner.invoke(main, ["check", "--config", str(folder / "config.yaml")])
        assert (check.exit_code, check.output) == (0, "Read 1 post: 0 errors, 0 warnings.\n")
    assert secrets[0] != secrets[1]


def test_init_leaves_an_existing_dot_env_alone(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BULLETIN_SECRET=mine\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert f"Error: {tmp_path / '.env'}: already exists; bulletin init never overwrites" in result.output
    assert (tmp_path / ".env").read_text(encoding="utf-8") == "BULLETIN_SECRET=mine\n"
    assert not (tmp_path / "config.yaml").exists()


def test_bulletin_secret_prints_a_new_strong_secret() -> None:
    printed = {CliRunner().invoke(main, ["secret"]).output for _ in range(5)}
    assert len(printed) == 5
    for output in printed:
        value = output.removesuffix("\n")
        assert "\n" not in value and len(value) == 43
        assert secret_problem(value, "x") is None
        TokenSigner(value)  # accepted


# The error says to keep it --------------------------------------------------------------------


def test_a_missing_secret_says_to_make_one_and_keep_it(
    outbox_site: DigestSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BULLETIN_SECRET")
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    result = outbox_site.cli("send", "--now", NOW.isoformat())
    assert result.exit_code == 1
    assert result.output == (
        "Error: environment variable BULLETIN_SECRET is not set: it holds the secret that signs"
        f" unsubscribe links; {KEEP_IT}\n"
    )
    # With a .env beside config.yaml the message says it was looked for there too.
    env = outbox_site.root / ".env"
    env.write_text("SMTP_PASSWORD=x\n", encoding="utf-8")
    env.chmod(0o600)
    result = outbox_site.cli("send", "--now", NOW.isoformat())
    assert result.output == (
        f"Error: environment variable BULLETIN_SECRET (or its line in {env}) is not set: it holds"
        f" the secret that signs unsubscribe links; {KEEP_IT}\n"
    )


# Rotation with the old secret kept -------------------------------------------------------------

NEW_SECRET = "Rotated-4c1e9a7b-new-token-secret"


def test_rotation_keeps_old_links_working_while_the_old_secret_is_kept(
    site: DigestSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.subscribe("ann@example.org", "bob@example.org", "eve@example.org")
    old_token = site.token(UNSUBSCRIBE, "ann@example.org", SECRET)
    monkeypatch.setenv("BULLETIN_SECRET", NEW_SECRET)
    monkeypatch.setenv("BULLETIN_SECRET_OLD", SECRET)
    # The CLI and the web app both accept a token signed with the old secret...
    assert site.cli("unsubscribe", old_token).output == "Unsubscribed ann@example.org.\n"
    with TestClient(create_app(site.config), base_url=WEB_URL) as client:
        old_bob = site.token(UNSUBSCRIBE, "bob@example.org", SECRET)
        response = client.post(
            f"/unsubscribe/{old_bob}",
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200
    assert site.subscriber_status("bob@example.org") == "unsubscribed"
    # ...new tokens are made with the new one...
    signer = TokenSigner.from_config(site.config)
    assert signer.make(UNSUBSCRIBE, 5, "ab" * 12) == TokenSigner(NEW_SECRET).make(UNSUBSCRIBE, 5, "ab" * 12)
    # ...and once the old secret is dropped, old links stop working.
    monkeypatch.delenv("BULLETIN_SECRET_OLD")
    old_eve = site.token(UNSUBSCRIBE, "eve@example.org", SECRET)
    result = site.cli("unsubscribe", old_eve)
    assert result.exit_code == 1
    assert site.subscriber_status("eve@example.org") == "active"


def test_security_doc_describes_rotation_with_the_old_secret() -> None:
    text = (Path(__file__).parent.parent / "docs" / "security.md").read_text(encoding="utf-8")
    assert "BULLETIN_SECRET_OLD" in text and "bulletin secret" in text
    assert "breaks all of those links" in text


# check and send --dry-run report what send would refuse ------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            None,
            f"environment variable BULLETIN_SECRET is not set: it holds the secret that signs"
            f" unsubscribe links; {KEEP_IT}",
        ),
        (
            "short-secret",
            "environment variable BULLETIN_SECRET is too short: the secret must be at"
            f" least 16 characters long; {NEW_ONE}",
        ),
        (
            " " * 16,
            "environment variable BULLETIN_SECRET is too easy to guess: use a random secret,"
            f" not repeated characters or spaces; {NEW_ONE}",
        ),
        (
            "ab" * 12,
            "environment variable BULLETIN_SECRET is too easy to guess: use a random secret,"
            f" not repeated characters or spaces; {NEW_ONE}",
        ),
        (
            "Xq7# k2Lp  9vZ!  ",  # 17 characters, 11 of them no space
            "environment variable BULLETIN_SECRET is too short: the secret must be at least 16"
            f" characters long, not counting spaces; {NEW_ONE}",
        ),
        (
            "abcdefghijklmnopqrstuvwxyz",
            "environment variable BULLETIN_SECRET is too easy to guess: use a random secret,"
            f" not repeated characters or spaces; {NEW_ONE}",
        ),
        (
            "12345678901234567890",
            "environment variable BULLETIN_SECRET is too easy to guess: use a random secret,"
            f" not repeated characters or spaces; {NEW_ONE}",
        ),
    ],
)
def test_check_and_dry_run_report_a_secret_send_would_refuse(
    outbox_site: DigestSite, monkeypatch: pytest.MonkeyPatch, value: str | None, problem: str
) -> None:
    outbox_site.configure(digest=FOOTER)
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    if value is None:
        monkeypatch.delenv("BULLETIN_SECRET")
    else:
        monkeypatch.setenv("BULLETIN_SECRET", value)
    now = ("--now", NOW.isoformat())
    check = outbox_site.cli("check", *now)
    assert (check.exit_code, check.output) == (1, f"Error: {problem}\nRead 1 post: 1 error, 0 warnings.\n")
    dry = outbox_site.cli("send", "--dry-run", *now)
    assert dry.exit_code == 1
    assert dry.output.splitlines()[-1] == f"Error: {problem}"
    send = outbox_site.cli("send", *now)
    assert (send.exit_code, send.output) == (1, f"Error: {problem}\n")
    assert not list(outbox_site.root.glob("outbox/**/*.eml"))


def test_check_reports_a_missing_smtp_password_and_a_bad_old_secret(
    site: DigestSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    monkeypatch.setenv("BULLETIN_SECRET_OLD", "tiny")
    site.configure(smtp={"username": "robot"}, digest=FOOTER)
    site.post("one", "Новость", "2026-04-01 10:00")
    check = site.cli("check", "--now", NOW.isoformat())
    assert check.exit_code == 1
    assert check.output == (
        "Error: environment variable BULLETIN_SECRET_OLD is too short: the secret must be at least 16"
        f" characters long; {NEW_ONE}\n"
        "Error: smtp.username is set but the environment variable SMTP_PASSWORD is empty\n"
        "Read 1 post: 2 errors, 0 warnings.\n"
    )
    monkeypatch.setenv("SMTP_PASSWORD", "pw")
    monkeypatch.delenv("BULLETIN_SECRET_OLD")
    assert site.cli("check", "--now", NOW.isoformat()).exit_code == 0


def test_check_reports_a_dkim_key_send_could_not_read(outbox_site: DigestSite) -> None:
    outbox_site.configure(
        digest={"dkim": {"domain": "clinic.example", "selector": "s", "key_file": "nope.pem"}}
    )
    check = outbox_site.cli("check", "--now", NOW.isoformat())
    assert check.exit_code == 1
    [line] = [line for line in check.output.splitlines() if line.startswith("Error:")]
    assert "nope.pem: cannot read the DKIM key" in line
