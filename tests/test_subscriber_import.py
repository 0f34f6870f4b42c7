"""`subscribers import` of long files: streamed in batches, each all or nothing, resumable by
running the same file again; a summary line plus the invalid rows; and the fast address check
it relies on gives the answer of the full one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bulletin.errors import SubscriberError
from bulletin.store.sqlite import SqliteStore
from bulletin.subscriber_import import BATCH_ROWS
from bulletin.subscribers import normalise_address

from .digest_site import DigestSite, bulletin_command


@pytest.fixture
def site(outbox_site: DigestSite) -> DigestSite:
    return outbox_site


def write_rows(path: Path, rows: int, *, tail: str = "") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("email,name\n")
        handle.writelines(f"user{n}@mail{n % 7}.example.org,Имя {n}\n" for n in range(rows))
        handle.write(tail)
    return path


def count(site: DigestSite) -> int:
    db = sqlite3.connect(f"file:{site.store_path}?mode=ro", uri=True, timeout=30)
    try:
        return int(db.execute("SELECT count(*) FROM subscribers").fetchone()[0])
    finally:
        db.close()


def test_many_rows_print_one_summary_line(site: DigestSite, tmp_path: Path) -> None:
    path = write_rows(tmp_path / "list.csv", 12_000, tail="broken-address,X\n\nuser5@mail5.example.org,\n")

    result = site.cli("subscribers", "import", str(path))

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:12002: invalid: invalid address 'broken-address': An email address must have an @-sign.",
        "Added 12000, already present 1, invalid 1.",
    ]
    assert count(site) == 12_000
    assert site.rows("SELECT name FROM subscribers WHERE email = 'user11999@mail1.example.org'") == [
        ("Имя 11999",)
    ]


def test_a_broken_row_after_many_batches_imports_nothing(site: DigestSite, tmp_path: Path) -> None:
    path = write_rows(tmp_path / "list.csv", 3 * BATCH_ROWS, tail='"open@example.org,quote never closed\n')

    result = site.cli("subscribers", "import", str(path))

    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: {path}:{3 * BATCH_ROWS + 2}: not a CSV file: ")
    assert count(site) == 0


def test_a_byte_not_utf8_far_into_the_file_is_placed_exactly(site: DigestSite, tmp_path: Path) -> None:
    path = write_rows(tmp_path / "list.csv", 60_000)  # over 2 MB: the bad byte is in a later chunk
    good = path.stat().st_size
    with open(path, "ab") as handle:
        handle.write("ann@example.org,Анна\n".encode("cp1251"))

    result = site.cli("subscribers", "import", str(path))

    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line == (
        f"Error: {path}: not UTF-8 (byte {good + 16}): it looks like Windows-1251; re-save it as UTF-8"
    )
    assert count(site) == 0


def test_a_pipe_is_refused_in_one_line(site: DigestSite, tmp_path: Path) -> None:
    pipe = tmp_path / "list.csv"
    os.mkfifo(pipe)

    result = site.cli("subscribers", "import", str(pipe))

    assert result.exit_code == 1
    assert result.output == f"Error: {pipe}: not a regular file; save the list to a file first\n"


def test_an_import_killed_midway_keeps_whole_batches_and_resumes(site: DigestSite, tmp_path: Path) -> None:
    rows = 20 * BATCH_ROWS
    path = write_rows(tmp_path / "list.csv", rows)
    SqliteStore(site.store_path).close()  # created first, so polling it below cannot create it
    process = subprocess.Popen(
        [*bulletin_command(), "subscribers", "import", "--config", str(site.config_path), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while count(site) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    stored = count(site)
    assert 0 < stored < rows, "the import finished before it could be killed"
    assert stored % BATCH_ROWS == 0  # a batch is stored whole or not at all

    again = site.cli("subscribers", "import", str(path))

    assert again.exit_code == 0, again.output
    assert again.output == f"Added {rows - stored}, already present {stored}, invalid 0.\n"
    assert count(site) == rows
    assert site.cli("subscribers", "import", str(path)).output == (
        f"Added 0, already present {rows}, invalid 0.\n"
    )


def full_check(address: str) -> str | None:
    """What normalise_address answered before its fast path: validate_email's form, lower case."""
    try:
        valid = validate_email(address.strip(), check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None
    return valid.normalized.lower()


def fast_check(address: str) -> str | None:
    try:
        return normalise_address(address)
    except SubscriberError:
        return None


ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
local_parts = st.text(alphabet=ATEXT + '.@" \\()[],;:<>', max_size=70)
labels = st.text(alphabet="abcXY019-_", min_size=0, max_size=64)
tlds = st.sampled_from(
    ["org", "kz", "RU", "test", "local", "localhost", "invalid", "onion", "arpa", "x", "1"]
)
domains = st.builds(lambda parts, tld: ".".join([*parts, tld]), st.lists(labels, max_size=5), tlds)


@settings(max_examples=1000, deadline=None)
@given(
    local=local_parts, domain=st.one_of(domains, st.text(max_size=20)), pad=st.sampled_from(["", " ", "\t"])
)
@example(local="a" * 64, domain="example.org", pad="")
@example(local="a" * 65, domain="example.org", pad="")
@example(local="a.b", domain=".".join(["d" * 63] * 3) + ".org", pad="")
@example(local="a", domain="xn--e1afmkfd.xn--p1ai", pad="")
@example(local="Ann", domain="Example.ORG", pad=" ")
@example(local="a", domain="example.org.", pad="")
@example(local="a", domain="[127.0.0.1]", pad="")
def test_the_fast_address_check_answers_as_the_full_one(local: str, domain: str, pad: str) -> None:
    address = f"{pad}{local}@{domain}{pad}"
    assert fast_check(address) == full_check(address)
