"""`bulletin subscribers ...` and `bulletin unsubscribe`: exit codes and exact output."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bulletin.errors import SubscriberError
from bulletin.subscribers import clean_name, normalise_address
from bulletin.tokens import CONFIRM, UNSUBSCRIBE, TokenSigner

from .digest_site import SECRET, DigestSite

pytestmark = pytest.mark.both_backends


@pytest.fixture
def site(outbox_site: DigestSite) -> DigestSite:
    return outbox_site


def ids(site: DigestSite) -> dict[str, int]:
    return dict(site.rows("SELECT email, id FROM subscribers"))


def test_add_normalises_and_refuses_a_duplicate_in_other_case(site: DigestSite) -> None:
    first = site.cli("subscribers", "add", "  Ann.Lee@Example.ORG ", "--name", "Анна Ли")
    again = site.cli("subscribers", "add", "ann.lee@example.org")

    assert (first.exit_code, first.output) == (0, "Added ann.lee@example.org.\n")
    assert (again.exit_code, again.output) == (0, "ann.lee@example.org is already present.\n")
    assert site.rows("SELECT email, name, status FROM subscribers") == [
        ("ann.lee@example.org", "Анна Ли", "active")
    ]


def test_adding_again_does_not_resubscribe_an_unsubscribed_address(site: DigestSite) -> None:
    site.subscribe("ann@example.org")
    site.cli("unsubscribe", site.token(UNSUBSCRIBE, "ann@example.org"))

    result = site.cli("subscribers", "add", "Ann@example.org")

    assert result.output == "ann@example.org is already present.\n"
    assert site.subscriber_status("ann@example.org") == "unsubscribed"


def test_add_invalid_address_is_one_clean_error(site: DigestSite) -> None:
    result = site.cli("subscribers", "add", "not an address")

    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: invalid address 'not an address': ")


def test_add_cleans_control_characters_from_names(site: DigestSite) -> None:
    site.cli("subscribers", "add", "eve@example.org", "--name", "Eve\r\nBcc: x@y\t ")
    assert site.rows("SELECT name FROM subscribers") == [("Eve Bcc: x@y",)]


def test_addresses_are_validated_without_dns() -> None:
    assert normalise_address("Ann@Nonexistent-Domain-For-Tests.example") == (
        "ann@nonexistent-domain-for-tests.example"
    )
    for bad in (
        "",
        "ann",
        "ann@",
        "@example.org",
        "ann@@example.org",
        "ann@example..org",
        "a b@example.org",
    ):
        with pytest.raises(SubscriberError):
            normalise_address(bad)
    assert clean_name("  \u200b ") is None or clean_name("  \u200b ") == "\u200b"
    assert clean_name("x" * 500) == "x" * 200


def test_import_reports_each_invalid_line_and_a_summary(site: DigestSite, tmp_path: Path) -> None:
    site.cli("subscribers", "add", "old@example.org")
    path = tmp_path / "list.csv"
    path.write_text(
        "\ufeffEmail,Name\n"
        "ann@example.org,Анна\n"
        "ANN@EXAMPLE.ORG,Анна again\n"
        "not-an-address,Nobody\n"
        "\n"
        "Old@Example.org,\n"
        '"bob@example.org","Lee, Bob ""B"""\n',
        encoding="utf-8",
    )

    result = site.cli("subscribers", "import", str(path))

    assert result.exit_code == 1  # an invalid line is worth a non-zero exit
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{path}:4: invalid: invalid address 'not-an-address': ")
    assert lines[1] == "Added 2, already present 2, invalid 1."
    assert len(lines) == 2
    assert site.rows("SELECT email, name FROM subscribers ORDER BY id") == [
        ("old@example.org", None),
        ("ann@example.org", "Анна"),
        ("bob@example.org", 'Lee, Bob "B"'),
    ]


def test_import_all_valid_exits_zero(site: DigestSite, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("email\nann@example.org\n", encoding="utf-8")

    result = site.cli("subscribers", "import", str(path))

    assert (result.exit_code, result.output.splitlines()[-1]) == (
        0,
        "Added 1, already present 0, invalid 0.",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"name,address\nAnn,ann@example.org\n",
            "the first row must be a header naming an 'email' column",
        ),
        (b"email,name\nann@example.org,\xff\xfe\n", "not UTF-8"),
    ],
)
def test_import_refuses_bad_files_in_one_line(
    site: DigestSite, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)

    result = site.cli("subscribers", "import", str(path))

    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: {path}: ") and message in line


def test_import_missing_file(site: DigestSite, tmp_path: Path) -> None:
    result = site.cli("subscribers", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: ") and "nope.csv" in line


def test_list_with_and_without_status(site: DigestSite) -> None:
    site.subscribe("ann@example.org", name="Анна")
    site.subscribe("bob@example.org")
    site.cli("unsubscribe", site.token(UNSUBSCRIBE, "bob@example.org"))

    assert site.cli("subscribers", "list").output == (
        "ann@example.org\tactive\tАнна\nbob@example.org\tunsubscribed\t\n"
    )
    assert (
        site.cli("subscribers", "list", "--status", "unsubscribed").output
        == "bob@example.org\tunsubscribed\t\n"
    )
    assert site.cli("subscribers", "list", "--status", "bounced").output == ""
    wrong = site.cli("subscribers", "list", "--status", "gone")
    assert wrong.exit_code == 2


def test_remove(site: DigestSite) -> None:
    site.subscribe("ann@example.org", "bob@example.org")

    removed = site.cli("subscribers", "remove", "ANN@example.org")
    again = site.cli("subscribers", "remove", "ann@example.org")

    assert (removed.exit_code, removed.output) == (0, "Removed ann@example.org.\n")
    assert (again.exit_code, again.output) == (1, "Error: no subscriber ann@example.org\n")
    assert site.rows("SELECT email FROM subscribers") == [("bob@example.org",)]


def test_remove_deletes_the_delivery_history(site: DigestSite) -> None:
    site.post("one", "Одна", "2026-04-01 10:00")
    site.subscribe("ann@example.org", "bob@example.org")
    site.send()

    site.cli("subscribers", "remove", "ann@example.org")

    assert site.rows("SELECT count(*) FROM deliveries") == [(1,)]
    assert site.store_problems() == []  # no delivery names a missing subscriber


def test_export_neutralises_formulas(site: DigestSite) -> None:
    site.subscribe("ann@example.org", name='=HYPERLINK("http://evil","x")')
    site.subscribe("+cmd@example.org", name="@SUM(A1)")
    site.subscribe("bob@example.org", name="-2+3")
    site.subscribe("cat@example.org", name='Кот, "Мурзик"')

    result = site.cli("subscribers", "export")

    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["email", "name", "status", "created_at", "lang", "topics"]
    body = [row[:3] for row in rows[1:]]
    assert body == [
        ["ann@example.org", '\'=HYPERLINK("http://evil","x")', "active"],
        ["'+cmd@example.org", "'@SUM(A1)", "active"],
        ["bob@example.org", "'-2+3", "active"],
        ["cat@example.org", 'Кот, "Мурзик"', "active"],
    ]
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "-", "@"))
        assert not row[1].startswith(("=", "+", "-", "@"))


def test_export_then_import_round_trips(site: DigestSite, tmp_path: Path) -> None:
    site.subscribe("ann@example.org", name='Анна, "Аня"')
    site.subscribe("bob@example.org")
    path = tmp_path / "export.csv"
    path.write_text(site.cli("subscribers", "export").output, encoding="utf-8")
    other = DigestSite(tmp_path / "other", None)

    result = other.cli("subscribers", "import", str(path))

    assert result.exit_code == 0, result.output
    assert other.rows("SELECT email, name FROM subscribers ORDER BY id") == [
        ("ann@example.org", 'Анна, "Аня"'),
        ("bob@example.org", None),
    ]


def test_unsubscribe_with_a_valid_token(site: DigestSite) -> None:
    site.subscribe("ann@example.org", "bob@example.org")
    token = site.token(UNSUBSCRIBE, "ann@example.org")

    first = site.cli("unsubscribe", token)
    second = site.cli("unsubscribe", token)

    assert (first.exit_code, first.output) == (0, "Unsubscribed ann@example.org.\n")
    assert second.exit_code == 0  # idempotent: a second click is no error
    assert site.rows("SELECT email, status FROM subscribers ORDER BY id") == [
        ("ann@example.org", "unsubscribed"),
        ("bob@example.org", "active"),
    ]


def bad_tokens(site: DigestSite) -> list[str]:
    signer = TokenSigner(SECRET)
    ann = ids(site)["ann@example.org"]
    good = site.token(UNSUBSCRIBE, "ann@example.org")
    [(nonce,)] = site.rows("SELECT token_nonce FROM subscribers WHERE id = ?", ann)
    mac = good.split(".")[1]
    return [
        good[:-3],  # truncated
        good[:-1] + ("A" if good[-1] != "A" else "B"),  # one character changed
        f"{ann}.",  # no MAC
        str(ann),
        "",
        signer.make(CONFIRM, ann, nonce),  # another purpose
        TokenSigner(SECRET + "-other").make(UNSUBSCRIBE, ann, nonce),  # another secret
        signer.make(UNSUBSCRIBE, 999, nonce),  # valid MAC, no such subscriber
        signer.make(UNSUBSCRIBE, ann, "0" * 24),  # valid MAC, another row's nonce
        signer.make(UNSUBSCRIBE, ann, None),  # the first form, for a row that has a nonce
        f"{ann + 1}.{mac}",  # ann's MAC on another id
        "x1.abc",
        f"+1.{mac}",
        "1" * 40 + ".abc",
        f"².{mac}",  # a Unicode digit that int() cannot read
        f"١.{mac}",  # Arabic-Indic one
        "1.абв",
        good + "\x00",
        " ".join([good, good]),
    ]


def test_unsubscribe_refuses_forged_truncated_and_other_purpose_tokens(site: DigestSite) -> None:
    site.subscribe("ann@example.org", "bob@example.org")

    for token in bad_tokens(site):
        result = site.cli("unsubscribe", token)
        assert (result.exit_code, result.output) == (
            1,
            "Error: invalid or expired unsubscribe token\n",
        ), token

    assert site.rows("SELECT DISTINCT status FROM subscribers") == [("active",)]


def test_unsubscribe_needs_the_secret(site: DigestSite, monkeypatch: pytest.MonkeyPatch) -> None:
    site.subscribe("ann@example.org")
    monkeypatch.delenv("BULLETIN_SECRET")

    result = site.cli("unsubscribe", "1.abc")

    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: environment variable BULLETIN_SECRET is not set")


def test_token_check_never_raises_on_garbage() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from bulletin.store import Subscriber
    from bulletin.tokens import claimed_id

    signer = TokenSigner(SECRET)

    def lookup(subscriber_id: int) -> Subscriber:
        return Subscriber(subscriber_id, "ann@example.org", None, "active", "2026-01-01", "ab" * 12)

    @given(st.text(max_size=60))
    def check(token: str) -> None:
        claimed = claimed_id(token)
        assert claimed is None or (isinstance(claimed, int) and claimed >= 0)
        assert signer.find(UNSUBSCRIBE, token, lookup) is None  # no garbage is a good token

    check()


def test_tokens_do_not_reveal_the_address(site: DigestSite) -> None:
    site.subscribe("ann@example.org")
    token = site.token(UNSUBSCRIBE, "ann@example.org")
    assert "ann" not in token and "example" not in token
    assert len(token) < 40
