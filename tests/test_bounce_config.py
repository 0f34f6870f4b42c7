"""The bounces section of config.yaml and digest.bounce_address: values, defaults, one-line errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bulletin.config import ImapSettings, load_config
from bulletin.errors import ConfigError

from .feed_site import WriteConfig


def problems(path: Path) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


def test_defaults_without_a_bounces_section(write_config: WriteConfig) -> None:
    config = load_config(write_config())
    assert (config.bounces.soft_limit, config.bounces.window) == (3, dt.timedelta(days=30))
    assert config.bounces.imap is None and config.bounces.maildir is None
    assert config.digest.bounce_address is None


def test_every_key_is_read(
    write_config: WriteConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOUNCE_BOX", "пароль-1")
    config = load_config(
        write_config(
            digest={"bounce_address": "bounces@clinic.kz"},
            bounces={
                "soft_limit": 5,
                "window": "12h",
                "maildir": "mail/bounces",
                "imap": {
                    "host": "imap.clinic.kz",
                    "user": "bounces",
                    "password_env": "BOUNCE_BOX",
                    "folder": "Входящие",
                    "processed_folder": "Processed",
                },
            },
        )
    )
    assert config.digest.bounce_address == "bounces@clinic.kz"
    assert (config.bounces.soft_limit, config.bounces.window) == (5, dt.timedelta(hours=12))
    assert config.bounces.maildir == tmp_path / "mail" / "bounces"
    imap = config.bounces.imap
    assert isinstance(imap, ImapSettings)
    assert (imap.host, imap.port, imap.security, imap.folder) == ("imap.clinic.kz", 993, "tls", "Входящие")
    assert imap.password() == "пароль-1" and "пароль" not in repr(config)


@pytest.mark.parametrize(
    ("sections", "fragment"),
    [
        ({"bounces": {"soft_limit": 0}}, "'bounces.soft_limit' must be a whole number of at least 1, not 0"),
        ({"bounces": {"window": "a month"}}, "'bounces.window' must be a duration such as 30d or 720h"),
        ({"bounces": {"imap": {"user": "u"}}}, "'bounces.imap.host' is required"),
        (
            {"bounces": {"imap": {"host": "imap.clinic.kz", "user": "u", "security": "none"}}},
            "'bounces.imap.security' may be none only for a loopback host (127.0.0.1), not 'imap.clinic.kz'",
        ),
        ({"bounces": {"imap": {"host": "h", "user": "u", "security": "ssl"}}}, "must be tls, starttls"),
        ({"bounces": {"soft_limt": 2}}, "'bounces.soft_limt' (did you mean 'bounces.soft_limit'?)"),
        ({"digest": {"bounce_address": "Bounces <b@clinic.kz>"}}, "'digest.bounce_address' must be a bare"),
        ({"digest": {"bounce_address": "b+x@clinic.kz"}}, "'digest.bounce_address' must not hold '+'"),
        ({"digest": {"bounce_address": "b" * 30 + "@clinic.kz"}}, "leaving no room for +<token> within 64"),
    ],
)
def test_bad_values_are_one_line_naming_the_key(
    write_config: WriteConfig, sections: dict[str, dict[str, object]], fragment: str
) -> None:
    found = problems(write_config(**sections))
    assert len(found) == 1 and fragment in found[0] and "\n" not in found[0], found


def test_plain_imap_is_allowed_on_loopback_for_tests(write_config: WriteConfig) -> None:
    config = load_config(
        write_config(bounces={"imap": {"host": "127.0.0.1", "port": 10143, "user": "u", "security": "none"}})
    )
    assert config.bounces.imap is not None and config.bounces.imap.port == 10143


def test_check_warns_when_bounces_go_to_an_address_nobody_reads(write_config: WriteConfig) -> None:
    from bulletin.check import check_site

    unread = write_config(digest={"bounce_address": "bounces@clinic.kz"})
    warning = (
        f"{unread}: bounces go to bounces@clinic.kz, but neither bounces.imap nor bounces.maildir says"
        " where to read them: set one and run `bulletin bounces fetch` from cron"
    )
    assert warning in check_site(unread).warnings
    read = write_config(digest={"bounce_address": "bounces@clinic.kz"}, bounces={"maildir": "Maildir"})
    assert not any("bounces go to" in line for line in check_site(read).warnings)
