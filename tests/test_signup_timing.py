"""Issue 16 item 6: the time a sign-up takes does not tell whether the address was subscribed.

A prober on one keep-alive connection signs an address up and times that request and
the one right after it. Before the fix, a new address made the server write and send
a confirmation mail in that gap (about 3 ms against 0.2 ms). Now every sign-up does the
same store work and the mail waits in the store for the worker's next look.
"""

from __future__ import annotations

import dataclasses
import http.client
import itertools
import re
import statistics
import time
from collections.abc import Callable

from bulletin.store.sqlite import SqliteStore
from bulletin.web.app import create_app
from bulletin.web.security import SlidingWindowLimiter
from bulletin.web.state import WebState

from .digest_site import DigestSite
from .smtp_server import SmtpServer
from .test_web_server import running_server

SAMPLES = 80  # rounds of one probe per kind of address
KINDS = ("new", "pending", "active", "unsubscribed")
# A generous bound: before the fix the ratio below was 2.2-2.9 here (and 15 in the issue's
# own measurement); with the queue it is 1.0 give or take a few hundredths.
MEDIAN_RATIO = 1.5


def prepare(site: DigestSite) -> None:
    site.subscribe("active@example.org")
    with SqliteStore(site.store_path) as store:
        for n in range(SAMPLES):
            store.add_subscriber(f"gone{n}@example.org", None, "unsubscribed")
        store.add_subscriber("pending@example.org", None, "pending")


def probe(connection: http.client.HTTPConnection, cookie: str, csrf: str, address: str) -> float:
    """Seconds for a sign-up of ``address`` and the request right after it, on one connection."""
    body = f"csrf={csrf}&email={address}&name="
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    started = time.perf_counter()
    connection.request("POST", "/subscribe", body=body, headers=headers)
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 200, answer.status
    connection.request("GET", "/health")
    after = connection.getresponse()
    after.read()
    elapsed = time.perf_counter() - started
    assert after.status == 200
    return elapsed


def addresses() -> dict[str, Callable[[int], str]]:
    return {
        "new": lambda n: f"new{n}@example.org",
        "pending": lambda n: "pending@example.org",  # signed up, mail sent within 10 minutes
        "active": lambda n: "active@example.org",
        "unsubscribed": lambda n: f"gone{n}@example.org",  # signing up again mails a new link
    }


def test_sign_up_timing_is_the_same_for_new_pending_active_and_unsubscribed_addresses(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    # Plain http, so the CSRF cookie is not Secure; the worker looks once a second, as served.
    site.configure(web={"url": "http://bulletin.test", "send_confirmations_every": 1.0})
    prepare(site)
    app = create_app(site.config)
    state = app.state.web
    assert isinstance(state, WebState)
    # One prober, many sign-ups: the per-client limit (5 per 10 minutes) is not what is measured.
    app.state.web = dataclasses.replace(state, limiter=SlidingWindowLimiter(10**6, 600.0))
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with running_server(app) as url:
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
        connection.request("GET", "/subscribe")
        form = connection.getresponse()
        page = form.read().decode()
        cookie = form.getheader("set-cookie", "").split(";")[0]
        csrf_field = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf_field and cookie
        made = addresses()
        probe(connection, cookie, csrf_field.group(1), made["pending"](0))  # now pending, mailed
        for n, kind in itertools.product(range(SAMPLES), KINDS):
            times[kind].append(probe(connection, cookie, csrf_field.group(1), made[kind](n)))
        connection.close()
        smtp_server.wait_for(1 + 2 * SAMPLES, timeout=60)  # every mail went out all the same

    # Each round holds one probe of every kind, back to back: comparing within a round
    # cancels the machine's load, which drifts between rounds. Mail-queuing addresses
    # (new, unsubscribed) against the rest (pending, active): 1.0 means no difference.
    ratios = [
        (times["new"][n] + times["unsubscribed"][n]) / (times["pending"][n] + times["active"][n])
        for n in range(SAMPLES)
    ]
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    shown = ", ".join(f"{kind} {value * 1000:.2f} ms" for kind, value in medians.items())
    assert statistics.median(ratios) < MEDIAN_RATIO, f"{statistics.median(ratios):.2f}: {shown}"
    per_recipient = smtp_server.per_recipient()
    assert per_recipient["pending@example.org"] == 1 and "active@example.org" not in per_recipient


def test_a_queued_confirmation_waits_in_the_store_for_the_next_worker(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    """Nothing is sent in the sign-up's wake; a server stopped before its worker's look
    leaves the mail queued, and the next server sends it."""
    from starlette.testclient import TestClient

    from .test_web import subscribe

    site.configure(web={"send_confirmations_every": 3600.0})
    with TestClient(create_app(site.config), base_url="https://web.clinic.example") as client:
        assert subscribe(client, "reader@example.org").status_code == 200  # type: ignore[attr-defined]
        time.sleep(0.3)
    assert smtp_server.received == []
    assert site.rows("SELECT count(*) FROM subscribers WHERE confirm_queued_at IS NOT NULL") == [(1,)]

    site.configure(web={"send_confirmations_every": 0.05})
    with TestClient(create_app(site.config), base_url="https://web.clinic.example"):
        smtp_server.wait_for(1)
        deadline = time.monotonic() + 10
        while site.rows("SELECT count(*) FROM subscribers WHERE confirm_queued_at IS NOT NULL") != [(0,)]:
            assert time.monotonic() < deadline, "the sent mail stayed queued"
            time.sleep(0.02)
    assert smtp_server.per_recipient() == {"reader@example.org": 1}
