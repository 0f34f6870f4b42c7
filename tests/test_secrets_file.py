"""Secrets from an env file beside config.yaml, so cron needs no secret on its command line."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import bulletin
from bulletin.config import load_config
from bulletin.config.secrets import read_env_file
from bulletin.errors import ConfigError
from bulletin.tokens import UNSUBSCRIBE

from .digest_site import NOW, SECRET, DigestSite
from .smtp_server import SmtpServer
from .test_security import PASSWORD, TOKEN_SECRET, auth_server, every_file_under  # noqa: F401

README = Path(__file__).parent.parent / "README.md"
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d "


def name_secrets_file(site: DigestSite, value: str) -> None:
    """Add the top-level ``secrets_file`` key to the site's config.yaml."""
    data = yaml.safe_load(site.config_path.read_text(encoding="utf-8"))
    data["secrets_file"] = value
    site.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def write_env(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.fixture
def no_secrets_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BULLETIN_SECRET", "BULLETIN_SECRET_OLD", "SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def auth_site(tmp_path: Path, auth_server: SmtpServer, no_secrets_in_env: None) -> DigestSite:  # noqa: F811
    site = DigestSite(tmp_path / "site", auth_server)
    site.configure(smtp={"username": "robot", "max_attempts": 1})
    site.post("one", "Первая", "2026-04-01 10:00")
    site.subscribe("ann@example.org")
    return site


def test_send_reads_the_secret_and_the_password_from_dot_env(
    auth_site: DigestSite,
    auth_server: SmtpServer,  # noqa: F811
) -> None:
    write_env(
        auth_site.root / ".env",
        f"# secrets\nexport BULLETIN_SECRET='{TOKEN_SECRET}'\nSMTP_PASSWORD=\"{PASSWORD}\"  # the relay's\n",
    )
    result = auth_site.cli("send", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    [message] = auth_server.received
    # The link was signed with the secret from the file.
    token = re.search(r"/unsubscribe/([\w.-]+)", message.message().get_body(("plain",)).get_content())
    assert token and token.group(1) == auth_site.token(UNSUBSCRIBE, "ann@example.org", TOKEN_SECRET)


def test_secrets_file_is_relative_to_config_yaml(auth_site: DigestSite, auth_server: SmtpServer) -> None:  # noqa: F811
    (auth_site.root / "private").mkdir()
    write_env(
        auth_site.root / "private" / "bulletin.env",
        f"BULLETIN_SECRET={TOKEN_SECRET}\nSMTP_PASSWORD={PASSWORD}\n",
    )
    name_secrets_file(auth_site, "private/bulletin.env")
    result = auth_site.cli("send", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    assert len(auth_server.received) == 1


def test_a_named_secrets_file_that_is_missing_is_an_error(auth_site: DigestSite) -> None:
    name_secrets_file(auth_site, "nope.env")
    result = auth_site.cli("send", "--now", NOW.isoformat())
    assert result.exit_code == 1
    assert result.output == f"Error: {auth_site.root / 'nope.env'}: secrets file not found\n"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_file_others_can_read_is_refused(auth_site: DigestSite, auth_server: SmtpServer, mode: int) -> None:  # noqa: F811
    env = write_env(
        auth_site.root / ".env", f"BULLETIN_SECRET={TOKEN_SECRET}\nSMTP_PASSWORD={PASSWORD}\n", mode
    )
    refused = f"Error: {env}: readable by group or others (mode {mode:04o}); run: chmod 600 {env}\n"
    for command in (("send", "--now", NOW.isoformat()), ("status",)):
        result = auth_site.cli(*command)
        assert (result.exit_code, result.output) == (1, refused), command
    check = auth_site.cli("check")
    summary = f"No post read: 1 error in the configuration ({auth_site.config_path}).\n"
    assert (check.exit_code, check.output) == (1, refused + summary)
    assert auth_server.received == []
    assert auth_site.rows("SELECT count(*) FROM digests") == [(0,)]


def test_0400_is_fine(auth_site: DigestSite, auth_server: SmtpServer) -> None:  # noqa: F811
    write_env(auth_site.root / ".env", f"BULLETIN_SECRET={TOKEN_SECRET}\nSMTP_PASSWORD={PASSWORD}\n", 0o400)
    assert auth_site.cli("send", "--now", NOW.isoformat()).exit_code == 0
    assert len(auth_server.received) == 1


def test_the_environment_wins_over_the_file(
    auth_site: DigestSite,
    auth_server: SmtpServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_env(auth_site.root / ".env", f"BULLETIN_SECRET={SECRET}\nSMTP_PASSWORD=wrong-password\n")
    monkeypatch.setenv("BULLETIN_SECRET", TOKEN_SECRET)
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    config = load_config(auth_site.config_path)
    assert config.secrets.get("BULLETIN_SECRET") == TOKEN_SECRET
    result = auth_site.cli("send", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output  # the file's wrong password was not used
    token = re.search(r"/unsubscribe/([\w.-]+)", auth_server.received[0].message().as_string())
    assert token and token.group(1) == auth_site.token(UNSUBSCRIBE, "ann@example.org", TOKEN_SECRET)


def test_env_file_syntax(tmp_path: Path) -> None:
    env = write_env(
        tmp_path / ".env",
        "# comment\n\nA=plain\nexport B='single $HOME'\nC=\"double\\nline\"\nD=  spaced  # note\nE=\n",
    )
    assert read_env_file(env) == {
        "A": "plain",
        "B": "single $HOME",
        "C": "double\nline",
        "D": "spaced",
        "E": "",
    }


def test_a_bad_line_is_named_without_its_value(tmp_path: Path) -> None:
    env = write_env(tmp_path / ".env", "A=1\nBULLETIN_SECRET\n'unclosed=x\n")
    with pytest.raises(ConfigError) as info:
        read_env_file(env)
    assert info.value.problems == (
        f"{env}:2: BULLETIN_SECRET has no '=' and no value",
        f"{env}:3: not a KEY=VALUE line",
    )


def test_a_secret_in_the_file_never_reaches_output_logs_or_other_files(
    auth_site: DigestSite,
    auth_server: SmtpServer,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    env = write_env(auth_site.root / ".env", f"BULLETIN_SECRET={TOKEN_SECRET}\nSMTP_PASSWORD={PASSWORD}\n")
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("email,name\nbob@example.org,Bob\n", encoding="utf-8")
    now = ("--now", NOW.isoformat())
    commands = [
        ("check", *now),
        ("subscribers", "import", str(csv_path)),
        ("subscribers", "add", "carol@example.org"),
        ("build", *now),
        ("send", "--dry-run", *now),
        ("preview", *now, "--out", str(auth_site.root / "preview")),
        ("send", *now),
        ("status", *now),
        ("subscribers", "list"),
        ("subscribers", "export"),
        ("unsubscribe", "1.forged"),
        ("resend", "1", "--failed"),
        ("send", "--test", "dave@example.org", *now),
    ]
    outputs = []
    for command in commands:
        result = auth_site.cli(*command, "--verbose")  # -v after the command: every log line shown
        outputs.append(result.output)
    assert len(auth_server.received) >= 4  # the password from the file did work
    assert any(
        f"DEBUG bulletin.config.secrets: read secrets from {env}: BULLETIN_SECRET, SMTP_PASSWORD" in o
        for o in outputs
    )
    for output in outputs:
        assert TOKEN_SECRET not in output and PASSWORD not in output
    for record in caplog.records:
        assert TOKEN_SECRET not in record.getMessage() and PASSWORD not in record.getMessage()
    assert TOKEN_SECRET not in repr(load_config(auth_site.config_path))
    for path in every_file_under(auth_site.root):
        if path != env:
            data = path.read_bytes()
            assert TOKEN_SECRET.encode() not in data and PASSWORD.encode() not in data, path


def cron_line() -> str:
    """The crontab line the README gives, without its five time fields."""
    lines = [line.strip() for line in README.read_text(encoding="utf-8").splitlines()]
    [line] = [line for line in lines if line.startswith("*/10 * * * * ")]
    return line.split(None, 5)[5]


def installed_bulletin() -> Path | None:
    beside = Path(sys.executable).parent / "bulletin"
    found = beside if beside.exists() else shutil.which("bulletin")
    return Path(found) if found else None


def test_the_readme_cron_line_works_with_the_environment_cron_gives(
    auth_site: DigestSite,
    auth_server: SmtpServer,  # noqa: F811
) -> None:
    script = installed_bulletin()
    if script is None:
        pytest.skip("no installed bulletin script (pip install -e . makes one)")
    write_env(auth_site.root / ".env", f"BULLETIN_SECRET={TOKEN_SECRET}\nSMTP_PASSWORD={PASSWORD}\n")
    command = cron_line().replace("/srv/site", str(auth_site.root))
    command = command.replace("/srv/venv/bin/bulletin", str(script))
    command = command.replace("/var/log/bulletin.log", str(auth_site.root / "cron.log"))
    # What cron gives a job: HOME, LOGNAME, SHELL and PATH=/usr/bin:/bin, nothing else.
    # PYTHONPATH only points the script at the bulletin under test (a worktree's, say).
    cron_env = {
        "HOME": os.environ.get("HOME", "/root"),
        "LOGNAME": "cron",
        "SHELL": "/bin/sh",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path(bulletin.__file__).parent.parent),
    }
    env_words = [f"{key}={value}" for key, value in cron_env.items()]
    for _ in range(2):
        run = subprocess.run(
            ["env", "-i", *env_words, "sh", "-c", command],
            capture_output=True,
            text=True,
            cwd="/",
            timeout=120,
        )
        # Cron mails whatever a job prints: nothing may escape the log.
        assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    log_lines = (auth_site.root / "cron.log").read_text(encoding="utf-8").splitlines()
    assert log_lines and all(re.match(STAMP, line) for line in log_lines), log_lines
    text = [re.sub(STAMP, "", line) for line in log_lines]
    assert "Composed digest 1 with 1 post." in text
    assert any(line.startswith("Sent 1, failed 0, bounced 0, pending 0;") for line in text)
    assert "No new posts and nothing pending: nothing sent." in text  # the second run
    assert sum(line.startswith("Built feeds with 1 post") for line in text) == 2
    assert len(auth_server.received) == 1
