"""`bulletin bounces import`, `fetch` from a Maildir and `bounces` on a real store: what each mail does."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import bounce_corpus as corpus
from .bounce_site import BOUNCES, keys, run
from .digest_site import DigestSite

ANNA, BOB = "анна@клиника.kz", "bob@example.org"


@pytest.fixture
def sent(outbox_site: DigestSite) -> DigestSite:
    """Digest 1 written to the outbox for Anna and Bob, each from their own VERP address."""
    outbox_site.configure(digest={"bounce_address": BOUNCES})
    outbox_site.post("first", "Первая новость", "2026-04-01 10:00")
    outbox_site.subscribe(ANNA, BOB)
    assert outbox_site.send().report.sent == 2
    return outbox_site


def test_a_hard_bounce_bounces_and_the_same_dsn_again_changes_nothing(
    sent: DigestSite, tmp_path: Path
) -> None:
    verp, mid = keys(sent, ANNA)
    # The relay reports the address in its ASCII form; the token finds Anna all the same.
    dsn = corpus.write(tmp_path / "in", "gmail.eml", corpus.gmail(verp, "anna@xn--80apagcdp.kz", mid))

    first = run(sent, "bounces", "import", str(dsn))
    again = run(sent, "bounces", "import", str(dsn))

    assert first.exit_code == 0, first.output
    assert first.output == (
        f"{dsn}: {ANNA}: hard bounce 5.1.1, active -> bounced\n"
        "Read 1 mail (1 bounce); 1 subscriber changed.\n"
    )
    assert again.output == (
        f"{dsn}: {ANNA}: hard bounce 5.1.1 seen before, nothing changed\n"
        "Read 1 mail (1 bounce); 0 subscribers changed.\n"
    )
    assert sent.subscriber_status(ANNA) == "bounced" and sent.subscriber_status(BOB) == "active"
    assert sent.rows("SELECT count(*) FROM delivery_events") == [(1,)]


def test_a_complaint_unsubscribes_and_an_auto_reply_changes_nothing(sent: DigestSite, tmp_path: Path) -> None:
    verp, mid = keys(sent, BOB)
    arf = corpus.write(tmp_path, "arf.eml", corpus.arf(verp, BOB, mid))
    ooo = corpus.write(tmp_path, "ooo.eml", corpus.out_of_office_gmail(keys(sent, ANNA)[0]))

    result = run(sent, "bounces", "import", str(ooo), str(arf))

    assert result.output.splitlines() == [
        f"{ooo}: auto-reply (Auto-Submitted: auto-replied)",
        f"{arf}: {BOB}: complaint abuse, active -> unsubscribed",
        "Read 2 mails (1 auto-reply, 1 complaint); 1 subscriber changed.",
    ]
    assert (sent.subscriber_status(ANNA), sent.subscriber_status(BOB)) == ("active", "unsubscribed")
    assert sent.rows("SELECT kind, source, digest_id FROM delivery_events") == [("complaint", "arf", 1)]


def test_soft_bounces_bounce_at_the_third(sent: DigestSite, tmp_path: Path) -> None:
    verp, mid = keys(sent, BOB)
    files = [
        str(
            corpus.write(
                tmp_path, f"soft{n}.eml", corpus.postfix_soft_headers_only(verp, BOB, mid, f"<s{n}@mx>")
            )
        )
        for n in range(3)
    ]
    result = run(sent, "bounces", "import", *files)
    assert [line.split(": ", 1)[1] for line in result.output.splitlines()[:3]] == [
        f"{BOB}: soft bounce 4.2.2, 1 within the window, still active",
        f"{BOB}: soft bounce 4.2.2, 2 within the window, still active",
        f"{BOB}: soft bounce 4.2.2, active -> bounced",
    ]


def test_unknown_mail_is_kept_and_listed_and_a_missing_file_is_one_line(
    sent: DigestSite, tmp_path: Path
) -> None:
    reply = corpus.write(tmp_path, "reply.eml", corpus.personal_reply(keys(sent, BOB)[0]))
    missing = tmp_path / "nowhere.eml"

    result = run(sent, "bounces", "import", str(reply), str(missing))

    assert result.exit_code == 1
    kept = sorted((sent.root / "state" / "bounces-unknown").glob("*.eml"))
    assert len(kept) == 1 and kept[0].read_bytes().endswith(reply.read_bytes())
    assert f"Error: {missing}: cannot read: No such file or directory" in result.output
    listing = run(sent, "bounces")
    assert listing.output.splitlines() == [
        f"{kept[0]}: from Carol <carol@example.org>, 'Re: news': not a bounce, complaint or auto-reply:"
        " from 'Carol <carol@example.org>', subject 'Re: news'",
        "1 unknown mail kept, 0 event(s) about no subscriber.",
    ]
    assert sent.subscriber_status(BOB) == "active"


def test_a_bounce_about_nobody_is_kept_as_an_event_and_listed(sent: DigestSite, tmp_path: Path) -> None:
    dsn = corpus.write(tmp_path, "q.eml", corpus.qmail(BOUNCES, "ghost@example.org", "<x@y>"))
    assert (
        "ghost@example.org: hard bounce kept, no subscriber found"
        in run(sent, "bounces", "import", str(dsn)).output
    )
    assert run(sent, "bounces").output.splitlines()[-2:] == [
        "2026-04-12 05:00 hard bounce  for ghost@example.org (bounce): no subscriber found",
        "0 unknown mail kept, 1 event(s) about no subscriber.",
    ]


def test_fetch_from_a_maildir_reads_new_mail_once_and_marks_it(sent: DigestSite, tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    verp, mid = keys(sent, ANNA)
    corpus.write(maildir / "new", "1775000000.M1P1.host", corpus.postfix_hard(verp, ANNA, mid))
    corpus.write(
        maildir / "cur", "1775000001.M2P2.host:2,S", corpus.out_of_office_gmail(verp)
    )  # read already
    corpus.write(
        maildir / "cur", "1775000002.M3P3.host:2,", corpus.out_of_office_exchange(verp)
    )  # seen by nobody
    sent.configure(bounces={"maildir": str(maildir)})

    first = run(sent, "bounces", "fetch")
    again = run(sent, "bounces", "fetch")

    assert first.output.splitlines()[-1] == "Read 2 mails (1 auto-reply, 1 bounce); 1 subscriber changed."
    assert again.output == "Read 0 mails; 0 subscribers changed.\n"
    assert sorted(p.name for p in (maildir / "cur").iterdir()) == [
        "1775000000.M1P1.host:2,S",
        "1775000001.M2P2.host:2,S",
        "1775000002.M3P3.host:2,S",
    ]
    assert not list((maildir / "new").iterdir())
    assert sent.subscriber_status(ANNA) == "bounced"


def test_fetch_without_a_mailbox_and_a_bad_maildir_are_one_line_each(
    sent: DigestSite, tmp_path: Path
) -> None:
    nothing = run(sent, "bounces", "fetch")
    assert (nothing.exit_code, nothing.output) == (
        1,
        f"Error: {sent.config_path}: set bounces.imap or bounces.maildir to fetch bounces from\n",
    )
    sent.configure(bounces={"maildir": str(tmp_path / "no-such")})
    bad = run(sent, "bounces", "fetch")
    assert (bad.exit_code, bad.output) == (
        1,
        f"Error: {tmp_path / 'no-such'}: not a Maildir (no new/ and cur/ folders): bounces.maildir\n",
    )
