"""Subscriber lists from spreadsheets and strangers: odd CSV files, long and
internationalised addresses, formulas on export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from hypothesis import given, settings
from hypothesis import strategies as st

from bulletin.store import Subscriber
from bulletin.store.sqlite import SqliteStore
from bulletin.subscribers import export_csv

from .digest_site import NOW, DigestSite
from .smtp_server import RecordingHandler, SmtpServer, free_port

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def site(outbox_site: DigestSite) -> DigestSite:
    return outbox_site


def import_bytes(site: DigestSite, tmp_path: Path, data: bytes) -> tuple[int, list[str]]:
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    result = site.cli("subscribers", "import", str(path))
    return result.exit_code, [line.replace(str(path), "F") for line in result.output.splitlines()]


# Import -----------------------------------------------------------------------------------------


def test_spreadsheet_csv_with_bom_crlf_case_duplicates_and_blank_lines(
    site: DigestSite, tmp_path: Path
) -> None:
    rows = [
        "Email,Name",
        "ann@example.org,Ann",
        "",
        "ANN@EXAMPLE.ORG,Ann again",
        " Ann@Example.Org ,Ann with spaces",
        ",",
        "  ,  ",
        '"Bob@Example.org","Lee, Bob"',
        "bob@example.ORG,",
        "",
    ]
    data = "\ufeff" + "\r\n".join(rows) + "\r\n"

    code, lines = import_bytes(site, tmp_path, data.encode("utf-8"))

    # Only invalid rows get a line of their own: a million-row import prints a summary.
    assert (code, lines) == (0, ["Added 2, already present 3, invalid 0."])
    assert site.rows("SELECT email, name FROM subscribers ORDER BY id") == [
        ("ann@example.org", "Ann"),
        ("bob@example.org", "Lee, Bob"),
    ]


def test_old_mac_line_endings_are_rows_too(site: DigestSite, tmp_path: Path) -> None:
    code, lines = import_bytes(site, tmp_path, b"email\rann@example.org\rbob@example.org\r")
    assert code == 0, lines
    assert site.rows("SELECT email FROM subscribers ORDER BY id") == [
        ("ann@example.org",),
        ("bob@example.org",),
    ]


def test_an_address_of_300_characters_is_one_invalid_line(site: DigestSite, tmp_path: Path) -> None:
    long_address = "a" * 280 + "@example.org"  # 292 characters: over the 254 SMTP allows
    longer = "b" * 60 + "@" + ".".join(["d" * 60] * 4) + ".org"  # 309, every label legal
    data = f"email,name\n{long_address},Long\n{longer},Longer\nok@example.org,Ok\n"

    code, lines = import_bytes(site, tmp_path, data.encode())

    assert code == 1
    assert len(lines) == 3
    for line, number in zip(lines[:2], (2, 3), strict=True):
        assert line.startswith(f"F:{number}: invalid: invalid address '")
        assert "too long" in line
        assert len(line) < 300  # the address is cut short in the report
    assert lines[2:] == ["Added 1, already present 0, invalid 2."]
    assert site.rows("SELECT email FROM subscribers") == [("ok@example.org",)]


def test_internationalised_addresses_are_stored_once_in_one_form(site: DigestSite, tmp_path: Path) -> None:
    data = (
        "email,name\n"
        "пользователь@пример.рф,Юзер\n"
        "Пользователь@ПРИМЕР.РФ,Юзер again\n"
        "user@xn--e1afmkfd.xn--p1ai,Punycode\n"
        "user@пример.рф,Unicode\n"
        "δοκιμή@παράδειγμα.δοκιμή,Greek\n"
    )

    code, lines = import_bytes(site, tmp_path, data.encode())

    assert code == 0, lines
    assert lines[-1] == "Added 3, already present 2, invalid 0."
    assert site.rows("SELECT email, name FROM subscribers ORDER BY id") == [
        ("пользователь@пример.рф", "Юзер"),
        ("user@пример.рф", "Punycode"),
        ("δοκιμή@παράδειγμα.δοκιμή", "Greek"),
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"ann@example.org,Ann\nbob@example.org,Bob\n",  # no header at all
        b"e-mail,name\nann@example.org,Ann\n",
        b"name\nAnn\n",
        b"\n\nemail\nann@example.org\n",  # the header is the first row, blank or not
        b"",
        b"\xef\xbb\xbf",
    ],
    ids=["no-header", "e-mail", "no-email-column", "blank-first-row", "empty", "bom-only"],
)
def test_a_wrong_header_row_imports_nothing_and_says_so_in_one_line(
    site: DigestSite, tmp_path: Path, data: bytes
) -> None:
    code, lines = import_bytes(site, tmp_path, data)

    assert (code, lines) == (
        1,
        ["Error: F: the first row must be a header naming an 'email' column (email,name)"],
    )
    assert site.rows("SELECT count(*) FROM subscribers") == [(0,)]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b'email,name\nann@example.org,Ann\n"bob@example.org,Bob\n', 3),
        (b'email\n"ann"x@example.org\n', 2),
    ],
    ids=["quote-left-open", "text-after-quote"],
)
def test_a_broken_csv_file_is_one_error_line_and_imports_nothing(
    site: DigestSite, tmp_path: Path, data: bytes, line: int
) -> None:
    code, lines = import_bytes(site, tmp_path, data)

    assert code == 1
    [message] = lines
    assert message.startswith(f"Error: F:{line}: not a CSV file: ")
    assert site.rows("SELECT count(*) FROM subscribers") == [(0,)]


def test_a_header_with_extra_columns_in_any_order(site: DigestSite, tmp_path: Path) -> None:
    data = b"Name;x,Status, EMAIL ,Notes\nAnn,active,ann@example.org,=1+1\nBob\n"

    code, lines = import_bytes(site, tmp_path, data)

    assert code == 1  # the short row has no address
    assert lines[0].startswith("F:3: invalid: invalid address ''")
    assert lines[1] == "Added 1, already present 0, invalid 1."
    assert site.rows("SELECT email, name FROM subscribers") == [("ann@example.org", None)]


# Sending to internationalised addresses ----------------------------------------------------------


@pytest.fixture
def ascii_only_server() -> Iterator[SmtpServer]:
    """A server that does not offer SMTPUTF8 in its EHLO reply."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False, ready_timeout=10)
    controller.start()
    try:
        yield SmtpServer(controller, handler, port)
    finally:
        controller.stop()


def test_without_smtputf8_an_internationalised_address_fails_with_a_reason(
    tmp_path: Path, ascii_only_server: SmtpServer, secret: str
) -> None:
    """(test_messages covers a server that offers SMTPUTF8: the message goes out.)"""
    site = DigestSite(tmp_path / "site", ascii_only_server)
    site.post("one", "Одна", "2026-04-01 10:00")
    site.subscribe("ann@example.org", "пользователь@пример.рф", "bob@example.org")

    result = site.cli("send", "--now", "2026-04-12T10:00")
    status = site.cli("status", "--now", "2026-04-12T10:00")

    assert "Sent 2, failed 1, bounced 0, pending 0" in result.output  # not left pending
    assert sorted(rcpt for item in ascii_only_server.received for rcpt in item.rcpt_tos) == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert site.rows(
        "SELECT s.email, d.status, d.attempts, d.last_error FROM deliveries d"
        " JOIN subscribers s ON s.id = d.subscriber_id WHERE d.status != 'sent'"
    ) == [
        (
            "пользователь@пример.рф",
            "failed",
            1,
            "internationalised address; the server does not offer SMTPUTF8",
        )
    ]
    assert site.subscriber_status("пользователь@пример.рф") == "active"  # not a bounce
    assert (
        "  failed пользователь@пример.рф: internationalised address; the server does not offer SMTPUTF8"
    ) in status.output.splitlines()


def test_an_ascii_name_on_an_internationalised_domain_goes_as_punycode(
    tmp_path: Path, ascii_only_server: SmtpServer, secret: str
) -> None:
    # Only the local part needs SMTPUTF8; the domain has an ASCII form every server takes.
    site = DigestSite(tmp_path / "site", ascii_only_server)
    site.post("one", "Одна", "2026-04-01 10:00")
    site.subscribe("user@пример.рф")

    result = site.cli("send", "--now", "2026-04-12T10:00")

    assert "Sent 1, failed 0" in result.output
    [item] = ascii_only_server.received
    assert item.rcpt_tos == ("user@xn--e1afmkfd.xn--p1ai",)
    assert item.data.isascii()  # the To header carries the punycode form too
    assert str(item.message()["To"]) == "user@xn--e1afmkfd.xn--p1ai"


# Export -----------------------------------------------------------------------------------------


def test_export_neutralises_formulas_in_every_column_even_from_an_old_store(
    site: DigestSite,
) -> None:
    """Names from an older store may hold a tab or CR at the start: add them raw."""
    with SqliteStore(site.store_path) as store:
        for email, name in [
            ("tab@example.org", "\tcmd"),
            ("cr@example.org", "\r=1+1"),
            ("at@example.org", "@SUM(1)"),
            ("=eq@example.org", "=1"),
            ("-minus@example.org", "-1"),
            ("plain@example.org", 'Plain, "quoted"\nsecond line'),
        ]:
            store.add_subscriber(email, name)

    result = site.cli("subscribers", "export")

    rows = list(csv.reader(io.StringIO(result.output, newline="")))
    assert [row[:2] for row in rows[1:]] == [
        ["tab@example.org", "'\tcmd"],
        ["cr@example.org", "'\r=1+1"],
        ["at@example.org", "'@SUM(1)"],
        ["'=eq@example.org", "'=1"],
        ["'-minus@example.org", "'-1"],
        ["plain@example.org", 'Plain, "quoted"\nsecond line'],
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=30),
            st.one_of(st.none(), st.text(max_size=30)),
            st.sampled_from(["active", "pending", "unsubscribed", "bounced"]),
        ),
        max_size=8,
    )
)
def test_no_exported_cell_can_start_a_formula(rows: list[tuple[str, str | None, str]]) -> None:
    subscribers = [
        Subscriber(n, email, name, status, "2026-01-01T00:00:00+00:00")
        for n, (email, name, status) in enumerate(rows, start=1)
    ]

    parsed = list(csv.reader(io.StringIO(export_csv(subscribers), newline="")))

    assert len(parsed) == len(rows) + 1  # quotes and line breaks cannot add or split rows
    for row, (email, name, status) in zip(parsed[1:], rows, strict=True):
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), row
        assert row[0] in (email, "'" + email)
        assert row[1] in (name or "", "'" + (name or ""))
        assert row[2] == status


def test_export_then_import_gives_back_the_same_addresses_and_names(site: DigestSite, tmp_path: Path) -> None:
    """The quote that neutralises a formula is taken off again on import."""
    people = [
        ("+cmd@example.org", '=HYPERLINK("http://evil")'),
        ("-dash@example.org", "+1"),
        ("ann@example.org", "@ann"),
        ("bob@example.org", "'quoted already"),
    ]
    for email, name in people:
        site.subscribe(email, name=name)
    exported = site.cli("subscribers", "export").output
    path = tmp_path / "export.csv"
    path.write_text(exported, encoding="utf-8")
    other = DigestSite(tmp_path / "other", None)

    result = other.cli("subscribers", "import", str(path))

    assert result.exit_code == 0, result.output
    assert other.rows("SELECT email, name FROM subscribers ORDER BY id") == people


def test_test_sends_reach_an_internationalised_domain_without_smtputf8(
    tmp_path: Path, ascii_only_server: SmtpServer, secret: str
) -> None:
    site = DigestSite(tmp_path / "site", ascii_only_server)
    site.post("one", "Новость", "2026-04-01 10:00")
    result = site.cli("send", "--test", "ann@пример.рф", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    assert [item.rcpt_tos for item in ascii_only_server.received] == [("ann@xn--e1afmkfd.xn--p1ai",)]
