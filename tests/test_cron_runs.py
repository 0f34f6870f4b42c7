"""Cron runs with nothing to do: `send` and `build` tell so before importing the mail pipeline
or the site reader, and write nothing; `--help` loads no config reader.

What they cost is measured by bench/cron.py; these tests check what makes them cheap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bulletin import cli_common, config

from .digest_site import NOW, SECRET, DigestSite
from .feed_site import copy_sample_site
from .mtimes import backdate

# What a run that finds nothing to do must not load: templates, Markdown, SMTP, feeds.
MAIL_PIPELINE = {"jinja2", "markdown", "lxml", "aiosmtplib", "asyncio", "bulletin.mail.jobs"}
SITE_READER = {"bulletin.site.posts", "bulletin.site.reading", "markdown", "lxml", "feedgen"}


def run_child(cwd: Path, *args: str) -> tuple[str, set[str]]:
    """``bulletin ARGS`` in a new Python process: (its output, the modules it had imported)."""
    listing = cwd / "modules.json"
    code = (
        "import json, sys\n"
        "from bulletin.cli import main\n"
        "try:\n"
        f"    main({list(args)!r})\n"
        "finally:\n"
        f"    open({str(listing)!r}, 'w').write(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "BULLETIN_SECRET": SECRET}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, set(json.loads(listing.read_text()))


def store_state(site: DigestSite) -> dict[str, tuple[int, int, bytes]]:
    """Every file beside the store but the run lock's (which names the last run's process)."""
    files = [p for p in site.store_path.parent.iterdir() if not p.name.endswith(".lock")]
    assert site.store_path in files
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes()) for p in files}


def test_help_loads_no_config_reader(tmp_path: Path) -> None:
    output, modules = run_child(tmp_path, "--help")
    assert "Publish a folder of Grav-style Markdown posts" in output
    assert not modules & {"yaml", "bulletin.config", *MAIL_PIPELINE, *SITE_READER}


def test_the_cli_default_config_is_the_libraries() -> None:
    assert cli_common.DEFAULT_CONFIG == config.DEFAULT_CONFIG


def test_a_send_with_nothing_to_do_loads_no_mail_pipeline_and_writes_nothing(outbox_site: DigestSite) -> None:
    outbox_site.post("first", "Первая новость", "2026-04-01 10:00")
    outbox_site.subscribe("ann@example.org")
    now = NOW.isoformat()
    assert "Composed digest 1 with 1 post." in outbox_site.cli("send", "--now", now).output
    before = store_state(outbox_site)

    output, modules = run_child(outbox_site.root, "send", "--config", "config.yaml", "--now", now)

    assert output == "No new posts and nothing pending: nothing sent.\n"
    assert not modules & MAIL_PIPELINE
    # Not even the write check: a build after this run must find the store unchanged.
    assert store_state(outbox_site) == before


def test_a_new_post_or_a_pending_delivery_still_goes_the_whole_way(outbox_site: DigestSite) -> None:
    outbox_site.post("first", "Первая новость", "2026-04-01 10:00")
    outbox_site.subscribe("ann@example.org")
    now = NOW.isoformat()
    outbox_site.cli("send", "--now", now)
    outbox_site.post("second", "Вторая новость", "2026-04-02 10:00")

    output, modules = run_child(outbox_site.root, "send", "--config", "config.yaml", "--now", now)

    assert output.splitlines()[0] == "Composed digest 2 with 1 post."
    assert "bulletin.mail.jobs" in modules
    assert outbox_site.rows("SELECT count(*) FROM deliveries WHERE status = 'sent'") == [(2,)]


def test_a_build_after_an_idle_send_reads_no_post(outbox_site: DigestSite) -> None:
    outbox_site.post("first", "Первая новость", "2026-04-01 10:00")
    outbox_site.subscribe("ann@example.org")
    now = NOW.isoformat()
    outbox_site.cli("send", "--now", now)
    backdate(outbox_site.root)  # the build cache trusts no file changed in the last moments
    first, _ = run_child(outbox_site.root, "build", "--config", "config.yaml", "--now", now)
    run_child(outbox_site.root, "send", "--config", "config.yaml", "--now", now)

    again, modules = run_child(outbox_site.root, "build", "--config", "config.yaml", "--now", now)

    assert again == first
    assert not modules & (SITE_READER | MAIL_PIPELINE)


def test_an_unchanged_rebuild_reports_the_cold_builds_counts(tmp_path: Path) -> None:
    """The sample site's files hold pages that are no posts and translations: the rebuild
    that stands for the cold one says the same, not its number of files."""
    config_path = copy_sample_site(tmp_path / "site")
    backdate(tmp_path / "site")
    args = ("build", "--config", str(config_path), "--now", "2026-06-01T12:00:00+05:00")
    cold, _ = run_child(tmp_path, *args)
    unchanged, modules = run_child(tmp_path, *args)
    assert "bulletin.site.posts" not in modules  # it did stand for the cold build
    assert unchanged == cold
