"""`bulletin store backup` and `bulletin store check`, on real SQLite files, during a real send."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result

from bulletin.cli import main

from .digest_site import NOW, DigestSite
from .smtp_server import SmtpServer

ADDRESSES = [f"reader{n:03d}@example.org" for n in range(200)]


def store_command(site: DigestSite, *args: str) -> Result:
    words = ["store", args[0], "--config", str(site.config_path), *args[1:]]
    return CliRunner().invoke(main, words, catch_exceptions=False)


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def sent_in(path: Path) -> int:
    db = read_only(path)
    try:
        return int(db.execute("SELECT count(*) FROM deliveries WHERE status = 'sent'").fetchone()[0])
    finally:
        db.close()


def test_a_backup_taken_during_a_send_holds_every_commit_and_opens_on_its_own(
    site: DigestSite, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    site.post("one", "Первая", "2026-04-01 10:00")
    site.subscribe(*ADDRESSES)
    site.configure(smtp={"connections": 1})
    smtp_server.faults.data_delay = 0.01  # about 2 s for the whole run
    process = site.popen("send", "--now", NOW.isoformat())
    try:
        smtp_server.wait_for(60)
        received_before = len(smtp_server.received)
        # What `cp bulletin.db` would give: the main file alone, without the -wal commits.
        copied = tmp_path / "copied.db"
        shutil.copyfile(site.store_path, copied)
        backup = tmp_path / "backups" / "bulletin-копия.db"
        result = store_command(site, "backup", str(backup))
        still_running = process.poll() is None
    finally:
        process.communicate(timeout=60)

    assert result.exit_code == 0, result.output
    assert f"to {backup}" in result.output and "integrity check passed" in result.output
    assert still_running, "the send ended before the backup: the test proves nothing"
    assert process.returncode == 0
    assert not Path(str(backup) + "-wal").exists()
    copy = read_only(backup)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert copy.execute("SELECT count(*) FROM deliveries").fetchone() == (len(ADDRESSES),)
    finally:
        copy.close()
    # Every message recorded before the backup began is in it (at most one per connection in flight).
    assert sent_in(backup) >= received_before - 1
    assert sent_in(backup) < len(ADDRESSES)
    # The plain copy of the main file misses the commits still in the WAL.
    assert sent_in(copied) < received_before - 1
    # The backup is a usable store: `status` reads it in place of the original.
    site.store_path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(site.store_path) + suffix).unlink(missing_ok=True)
    shutil.copyfile(backup, site.store_path)
    assert "Digest 1" in site.cli("status", "--now", NOW.isoformat()).output


def test_backup_never_overwrites_the_store_itself(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.subscribe("ann@example.org")

    for target in (site.store_path, Path(str(site.store_path) + "-wal")):
        result = store_command(site, "backup", str(target))
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            f"Error: {target}: that is the store itself; name another file for the backup"
        ]
    assert store_command(site, "check").exit_code == 0


def test_backup_of_no_store_is_one_clean_line_and_creates_nothing(site: DigestSite, tmp_path: Path) -> None:
    result = store_command(site, "backup", str(tmp_path / "copy.db"))

    assert result.exit_code == 1
    assert result.output == f"Error: {site.store_path}: store does not exist yet\n"
    assert not (tmp_path / "copy.db").exists()
    assert not site.store_path.exists()


def test_check_passes_a_good_store_and_names_the_damage_in_a_bad_one(site: DigestSite) -> None:
    site.subscribe(*ADDRESSES)
    good = store_command(site, "check")
    assert (good.exit_code, good.output) == (0, f"Store {site.store_path}: ok.\n")

    # Damage an index behind SQLite's back: the table and its index disagree.
    db = sqlite3.connect(site.store_path)
    db.execute("PRAGMA writable_schema=ON")
    [(root,)] = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_subscribers_1'")
    db.close()
    with open(site.store_path, "r+b") as handle:
        handle.seek((root - 1) * 4096)
        handle.write(b"\x0a" + b"\x00" * 7)  # an empty index leaf: every entry of the index is gone
    bad = store_command(site, "check")

    assert bad.exit_code == 1
    assert bad.output.startswith(f"Error: {site.store_path}: ")
    assert "Traceback" not in bad.output
    assert "subscribers" in bad.output or "malformed" in bad.output, bad.output
