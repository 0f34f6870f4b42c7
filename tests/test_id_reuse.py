"""Issue 16 item 5: a link made for a removed subscriber never acts on whoever comes next.

Subscriber ids are never handed out again (AUTOINCREMENT), and every token is bound to
its row's random nonce, so even a row put back under an old id (a restored copy, a
hand-made insert) takes no link made for the row that had the id before.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bulletin.store.sqlite import SqliteStore
from bulletin.tokens import CONFIRM, UNSUBSCRIBE

from .digest_site import DigestSite
from .smtp_server import SmtpServer
from .test_web import client_for, csrf_of, link_in, one_click, subscribe

pytestmark = pytest.mark.both_backends


def confirm_link_mailed_to(smtp_server: SmtpServer, address: str) -> str:
    smtp_server.wait_for(1)
    [message] = smtp_server.messages_for(address)
    return link_in(message, "/confirm/")


def test_a_kept_confirm_link_never_activates_the_next_sign_up(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    """The attack from the issue: sign up, keep the link, get removed, sign the victim up."""
    with client_for(site, host="203.0.113.66") as attacker:
        assert subscribe(attacker, "attacker@example.org").status_code == 200  # type: ignore[attr-defined]
        kept_link = confirm_link_mailed_to(smtp_server, "attacker@example.org")
        # The site owner removes the unconfirmed address (or the attacker asks them to).
        assert site.cli("subscribers", "remove", "attacker@example.org").exit_code == 0
        assert subscribe(attacker, "victim@example.org").status_code == 200  # type: ignore[attr-defined]

        page = attacker.get(kept_link)
        forced = attacker.post(kept_link, data={"csrf": csrf_of(attacker.get("/subscribe").text)})

    assert (page.status_code, forced.status_code) == (404, 404)
    assert site.subscriber_status("victim@example.org") == "pending"
    attacker_id = int(kept_link.rsplit("/", 1)[1].split(".")[0])
    [(victim_id,)] = site.rows("SELECT id FROM subscribers WHERE email = ?", "victim@example.org")
    assert victim_id > attacker_id  # the removed subscriber's id was not handed out again


def test_an_old_unsubscribe_link_never_unsubscribes_the_next_subscriber(site: DigestSite) -> None:
    site.subscribe("first@example.org")
    kept = site.token(UNSUBSCRIBE, "first@example.org")  # as mailed in a digest
    assert site.cli("subscribers", "remove", "first@example.org").exit_code == 0
    site.subscribe("next@example.org")

    assert one_click(kept, site).status_code == 404  # type: ignore[attr-defined]
    assert site.cli("unsubscribe", kept).exit_code != 0
    assert site.subscriber_status("next@example.org") == "active"


def test_a_row_put_back_under_an_old_id_takes_no_old_link(site: DigestSite, smtp_server: SmtpServer) -> None:
    """AUTOINCREMENT aside, the nonce alone refuses the link: here the id is reused by hand."""
    site.subscribe("first@example.org")
    [(first_id,)] = site.rows("SELECT id FROM subscribers")
    unsubscribe_link = site.token(UNSUBSCRIBE, "first@example.org")
    confirm_link = site.token(CONFIRM, "first@example.org")
    site.execute("DELETE FROM subscribers")
    site.execute(
        "INSERT INTO subscribers (id, email, name, status, created_at, updated_at)"
        " VALUES (?, 'other@example.org', NULL, 'pending', '2026-01-01', '2026-01-01')",
        first_id,
    )

    with client_for(site) as client:
        assert client.get(f"/confirm/{confirm_link}").status_code == 404
        assert client.get(f"/unsubscribe/{unsubscribe_link}").status_code == 404
    assert one_click(unsubscribe_link, site).status_code == 404  # type: ignore[attr-defined]
    assert site.subscriber_status("other@example.org") == "pending"
    # The new row's own links work.
    with client_for(site) as client:
        assert client.get(f"/confirm/{site.token(CONFIRM, 'other@example.org')}").status_code == 200


def test_ids_are_never_reused_and_every_new_row_has_its_own_nonce(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db") as store:
        for n in range(3):
            store.add_subscriber(f"r{n}@example.org", None)
        assert store.remove_subscriber("r2@example.org")
        store.add_subscriber("r3@example.org", None)
        subscriber = store.request_subscription("web@example.org", "Айгүл", dt.datetime.now(dt.UTC))
        rows = list(store.subscribers())
    assert [row.id for row in rows] == [1, 2, 4, 5]
    nonces = [row.token_nonce for row in rows]
    assert all(nonce is not None and len(nonce) == 24 and int(nonce, 16) >= 0 for nonce in nonces)
    assert len(set(nonces)) == 4
    assert subscriber.token_nonce == nonces[-1]
