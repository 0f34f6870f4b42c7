"""Security: HMAC tokens, secrets that never leak, confirm links that cannot resurrect."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import hmac
import inspect
import logging
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from starlette.testclient import TestClient

from bulletin import grav_yaml, tokens
from bulletin.cli import main
from bulletin.store import Subscriber
from bulletin.store.sqlite import SqliteStore
from bulletin.tokens import CONFIRM, UNSUBSCRIBE, TokenSigner
from bulletin.web.app import create_app

from .digest_site import NOW, SECRET, WEB_URL, DigestSite
from .smtp_server import RecordingHandler, SmtpServer, free_port

SRC = Path(__file__).parent.parent / "src" / "bulletin"


# Tokens ---------------------------------------------------------------------------------------


NONCE = "0123456789abcdef01234567"  # a subscriber's nonce as the store makes it
STAMP = "2026-01-01T00:00:00+00:00"


def row(subscriber_id: int, nonce: str | None = NONCE) -> Subscriber:
    return Subscriber(subscriber_id, f"reader{subscriber_id}@example.org", None, "active", STAMP, nonce)


def test_token_is_hmac_sha256_over_purpose_subscriber_id_and_nonce() -> None:
    """Recomputed here from the documented construction, not from the module: the MAC
    over purpose, id and the row's nonce, and the first form (purpose and id) for rows
    kept from before nonces."""
    import base64

    def mac(message: str) -> str:
        digest = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()

    for purpose in (UNSUBSCRIBE, CONFIRM):
        for subscriber_id in (1, 42, 10**12):
            made = TokenSigner(SECRET).make(purpose, subscriber_id, NONCE)
            assert made == f"{subscriber_id}.{mac(f'{purpose}:{subscriber_id}:{NONCE}')}"
            first_form = TokenSigner(SECRET).make(purpose, subscriber_id, None)
            assert first_form == f"{subscriber_id}.{mac(f'{purpose}:{subscriber_id}')}"


def test_tokens_are_checked_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The only comparison of a MAC in the check path is hmac.compare_digest."""
    seen: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    signer = TokenSigner(SECRET)
    good = signer.make(UNSUBSCRIBE, 5, NONCE)
    assert signer.check(UNSUBSCRIBE, good, row(5))
    assert not signer.check(UNSUBSCRIBE, good[:-1] + "x", row(5))
    sent = [good.split(".")[1], (good[:-1] + "x").split(".")[1]]
    assert [b for _, b in seen] == [mac.encode() for mac in sent]
    monkeypatch.undo()

    tree = ast.parse(textwrap.dedent(inspect.getsource(tokens.TokenSigner.check)))
    calls = [ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)]
    assert "hmac.compare_digest" in calls
    comparisons = [node for node in ast.walk(tree) if isinstance(node, ast.Compare)]
    for node in comparisons:  # no == or != that could touch the MAC
        assert "mac" not in ast.unparse(node) or "len(" in ast.unparse(node), ast.unparse(node)


def test_tokens_are_distinct_per_subscriber_nonce_and_purpose_and_not_from_the_address() -> None:
    signer = TokenSigner(SECRET)
    made = {
        signer.make(purpose, n, nonce)
        for purpose in (UNSUBSCRIBE, CONFIRM)
        for n in range(1, 251)
        for nonce in (NONCE, "f" * 24)
    }
    assert len(made) == 1000
    macs = {token.split(".")[1] for token in made}
    assert len(macs) == 1000
    # Nothing derived from an address can match: the MAC input is purpose, id and nonce only.
    for guess in ("ann@example.org", "unsubscribe:ann@example.org", "1"):
        digest = hashlib.sha256(guess.encode()).digest()
        import base64

        assert base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode() not in macs


def test_rotating_the_secret_invalidates_every_token() -> None:
    old, new = TokenSigner(SECRET), TokenSigner(SECRET[::-1] + "-rotated")
    for purpose in (UNSUBSCRIBE, CONFIRM):
        for subscriber_id in range(1, 50):
            for nonce in (NONCE, None):
                kept = row(subscriber_id, nonce)
                assert old.check(purpose, old.make(purpose, subscriber_id, nonce), kept)
                assert not new.check(purpose, old.make(purpose, subscriber_id, nonce), kept)
                assert new.check(purpose, new.make(purpose, subscriber_id, nonce), kept)


def test_forged_truncated_other_subscriber_and_other_purpose_tokens() -> None:
    """The checker alone; test_subscribers and test_web try the same over the CLI and HTTP."""
    signer = TokenSigner(SECRET)
    good = signer.make(UNSUBSCRIBE, 7, NONCE)
    mac = good.split(".")[1]
    bad = [
        *(good[:cut] for cut in range(len(good))),  # every truncation
        f"8.{mac}",  # subscriber 7's MAC on subscriber 8
        f"07.{mac}",  # the same id spelled differently is a different message
        signer.make(CONFIRM, 7, NONCE),
        signer.make(UNSUBSCRIBE, 7, "f" * 24),  # made for another row with id 7
        signer.make(UNSUBSCRIBE, 7, None),  # the first form, for a row that has a nonce
        signer.make(UNSUBSCRIBE, 8, NONCE).split(".")[0] + "." + mac,
        good + "=",
        good.upper(),
        mac,
        f"7.{mac}.{mac}",
    ]
    for token in bad:
        assert signer.find(UNSUBSCRIBE, token, lambda n: row(n) if n in (7, 8) else None) is None, token
    assert signer.find(UNSUBSCRIBE, good, row) == row(7)


def test_a_token_acts_only_on_the_row_it_was_made_for() -> None:
    """Same id, another nonce: a row created later under a freed id takes no old link."""
    signer = TokenSigner(SECRET)
    first_form, with_nonce = signer.make(UNSUBSCRIBE, 7, None), signer.make(UNSUBSCRIBE, 7, NONCE)
    assert signer.check(UNSUBSCRIBE, with_nonce, row(7)) and not signer.check(
        UNSUBSCRIBE, with_nonce, row(7, None)
    )
    assert signer.check(UNSUBSCRIBE, first_form, row(7, None)) and not signer.check(
        UNSUBSCRIBE, first_form, row(7)
    )
    assert not signer.check(UNSUBSCRIBE, with_nonce, row(7, "e" * 24))
    assert not signer.check(UNSUBSCRIBE, with_nonce, None)


def test_rotating_the_secret_kills_old_links_on_the_web(site: DigestSite) -> None:
    site.subscribe("reader@example.org")
    old_token = site.token(UNSUBSCRIBE, "reader@example.org")
    rotated = TokenSigner("a-brand-new-secret-after-rotation")
    with TestClient(create_app(site.config, rotated), base_url=WEB_URL) as client:
        response = client.post(
            f"/unsubscribe/{old_token}",
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 404
        new_token = site.token(UNSUBSCRIBE, "reader@example.org", "a-brand-new-secret-after-rotation")
        response = client.post(
            f"/unsubscribe/{new_token}",
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200
    assert site.subscriber_status("reader@example.org") == "unsubscribed"


def test_security_doc_says_how_to_rotate_the_secret() -> None:
    text = (Path(__file__).parent.parent / "docs" / "security.md").read_text(encoding="utf-8")
    assert "## Rotating the token secret" in text
    assert "BULLETIN_SECRET" in text and "secret_env" in text


# Confirm links ----------------------------------------------------------------------------------


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    return match.group(1)


def web_subscribe(client: TestClient, email: str) -> int:
    form = client.get("/subscribe")
    response = client.post("/subscribe", data={"csrf": csrf_of(form.text), "email": email})
    return response.status_code


def confirm(client: TestClient, token: str) -> int:
    page = client.get(f"/confirm/{token}")
    if page.status_code != 200:
        return page.status_code
    return client.post(f"/confirm/{token}", data={"csrf": csrf_of(page.text)}).status_code


@pytest.fixture
def client(site: DigestSite) -> Iterator[TestClient]:
    with TestClient(create_app(site.config), base_url=WEB_URL, client=("203.0.113.9", 1)) as c:
        yield c


@pytest.mark.parametrize("later", ["unsubscribed", "bounced"])
def test_an_old_confirm_link_cannot_reactivate(
    site: DigestSite, client: TestClient, smtp_server: SmtpServer, later: str
) -> None:
    assert web_subscribe(client, "reader@example.org") == 200
    [(subscriber_id,)] = site.rows("SELECT id FROM subscribers")
    token = site.token(CONFIRM, "reader@example.org")
    assert confirm(client, token) == 200
    assert site.subscriber_status("reader@example.org") == "active"
    with SqliteStore(site.store_path) as store:
        store.set_subscriber_status(subscriber_id, later)

    not_found = client.get("/no-such-page")
    page = client.get(f"/confirm/{token}")
    forced = client.post(f"/confirm/{token}", data={"csrf": "x"})

    assert (page.status_code, page.text) == (404, not_found.text)
    assert forced.status_code == 404
    assert site.subscriber_status("reader@example.org") == later


@pytest.mark.parametrize("later", ["unsubscribed", "bounced"])
def test_signing_up_again_needs_a_fresh_confirmation(
    site: DigestSite, client: TestClient, smtp_server: SmtpServer, later: str
) -> None:
    site.subscribe("reader@example.org")
    [(subscriber_id,)] = site.rows("SELECT id FROM subscribers")
    with SqliteStore(site.store_path) as store:
        store.set_subscriber_status(subscriber_id, later)

    assert web_subscribe(client, "Reader@Example.org") == 200

    assert site.subscriber_status("reader@example.org") == "pending"
    smtp_server.wait_for(1)
    assert smtp_server.per_recipient() == {"reader@example.org": 1}
    assert confirm(client, site.token(CONFIRM, "reader@example.org")) == 200
    assert site.subscriber_status("reader@example.org") == "active"
    assert site.rows("SELECT count(*) FROM subscribers") == [(1,)]


def test_signing_up_never_downgrades_an_active_subscriber(
    site: DigestSite, client: TestClient, smtp_server: SmtpServer
) -> None:
    site.subscribe("reader@example.org")
    assert web_subscribe(client, "reader@example.org") == 200
    assert site.subscriber_status("reader@example.org") == "active"
    assert smtp_server.received == []


def test_store_confirms_only_pending_subscribers(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db") as store:
        now = dt.datetime.now(dt.UTC)
        statuses = {}
        for status in ("pending", "active", "unsubscribed", "bounced"):
            store.add_subscriber(f"{status}@example.org", None, status)
            subscriber = store.subscriber(email=f"{status}@example.org")
            assert subscriber is not None
            statuses[status] = store.confirm_subscriber(subscriber.id)
        assert statuses == {"pending": True, "active": False, "unsubscribed": False, "bounced": False}
        assert {s.email: s.status for s in store.subscribers()} == {
            "pending@example.org": "active",
            "active@example.org": "active",
            "unsubscribed@example.org": "unsubscribed",
            "bounced@example.org": "bounced",
        }
        assert store.request_subscription("bounced@example.org", None, now).status == "pending"
        assert store.request_subscription("active@example.org", None, now).status == "active"


# Secrets never leak ---------------------------------------------------------------------------

PASSWORD = "Pw-8f3c1d0e-UNIQUE-smtp-password"
TOKEN_SECRET = "Sk-77ab90e2-UNIQUE-token-secret"


@pytest.fixture
def auth_server() -> Iterator[SmtpServer]:
    """aiosmtpd that requires AUTH (plain text allowed: this is 127.0.0.1) and checks PASSWORD."""

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    handler = RecordingHandler()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
        ready_timeout=10,
    )
    controller.start()
    try:
        yield SmtpServer(controller, handler, port)
    finally:
        controller.stop()


def every_file_under(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.is_file():
            yield path


def test_the_password_and_the_secret_never_appear_in_output_or_files(
    tmp_path: Path,
    auth_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("BULLETIN_SECRET", TOKEN_SECRET)
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    caplog.set_level(logging.DEBUG)
    site = DigestSite(tmp_path / "site", auth_server)
    site.configure(smtp={"username": "robot", "max_attempts": 1})
    site.post("one", "Первая", "2026-04-01 10:00")
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("email,name\nann@example.org,Ann\nbad address,X\n", encoding="utf-8")
    now = ["--now", NOW.isoformat()]
    outputs = []

    def run(*args: str) -> None:
        # Every command with --verbose, so its log lines are in the output too.
        words = list(args)
        at = 2 if words[0] == "subscribers" else 1
        words[at:at] = ["--config", str(site.config_path)]
        result = CliRunner().invoke(main, ["--verbose", *words], catch_exceptions=False)
        outputs.append((args, result.exit_code, result.output))

    run("check", *now)
    run("subscribers", "import", str(csv_path))  # exit 1: one invalid line
    run("subscribers", "add", "bob@example.org")
    run("build", *now)
    run("send", "--dry-run", *now)
    run("preview", *now, "--out", str(site.root / "preview"))
    run("send", *now)
    run("status", *now)
    run("subscribers", "list")
    run("subscribers", "export")
    run("unsubscribe", "1.forged")  # exit 1
    run("resend", "1", "--failed")
    # A failing run: the server refuses the login, and the error is reported.
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD + "-wrong")
    site.post("two", "Вторая", "2026-04-02 10:00")
    run("send", *now)
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    run("send", "--test", "carol@example.org", *now)

    assert len(auth_server.received) >= 3  # the password did work
    # --verbose did log (where it connected, each delivery), so the check below has teeth.
    assert any(
        "DEBUG bulletin.mail.smtp_session: connecting to 127.0.0.1" in output for _, _, output in outputs
    )
    assert any("DEBUG bulletin.feeds.build: read " in output for _, _, output in outputs)
    assert any("SMTP login refused" in output for _, _, output in outputs)  # a failing run
    wrong = PASSWORD + "-wrong"
    for args, _, output in outputs:
        for secret_value in (PASSWORD, TOKEN_SECRET, wrong):
            assert secret_value not in output, (args, output)
    for record in caplog.records:
        assert PASSWORD not in record.getMessage() and TOKEN_SECRET not in record.getMessage()
    files = list(every_file_under(site.root))
    assert any(path.suffix == ".db" for path in files)
    assert any(path.suffix == ".eml" for path in files)
    for path in files:
        data = path.read_bytes()
        for secret_value in (PASSWORD, TOKEN_SECRET):
            assert secret_value.encode() not in data, path
            # Nor in an encoding a file might use for it.
            assert secret_value.encode("utf-16-le") not in data, path
        import base64

        assert base64.b64encode(TOKEN_SECRET.encode()) not in data, path


# Code rules -----------------------------------------------------------------------------------


def test_no_shell_and_no_unsafe_yaml_in_the_source() -> None:
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            for keyword in node.keywords:
                assert not (keyword.arg == "shell" and ast.unparse(keyword.value) != "False"), (
                    f"{path}:{node.lineno}: shell=True"
                )
            assert name not in ("os.system", "os.popen", "eval", "exec"), f"{path}:{node.lineno}: {name}"
            if name == "yaml.load":
                loader = {k.arg: ast.unparse(k.value) for k in node.keywords}.get("Loader", "")
                safe = loader in ("_LOADER", "_GravLoader")
                assert safe, f"{path}:{node.lineno}: yaml.load without a safe loader"
            assert name not in ("yaml.unsafe_load", "yaml.full_load"), f"{path}:{node.lineno}"
    content = (SRC / "grav_yaml" / "__init__.py").read_text(encoding="utf-8")
    assert 'getattr(yaml, "CSafeLoader", yaml.SafeLoader)' in content
    # The header loader only changes how plain scalars are typed: it builds Python
    # objects with the safe constructor and nothing else.
    assert issubclass(grav_yaml._GravLoader, yaml.constructor.SafeConstructor)
    assert not issubclass(grav_yaml._GravLoader, yaml.constructor.FullConstructor)


HOSTILE_BODY = """A summary with <b>bold</b> and a [link](https://example.org/x).
<script>alert('x')</script>
<iframe src="https://evil.example/"></iframe>
<form action="https://evil.example/"><input name="q"></form>
<a href="https://example.org/y" onclick="steal()">click</a>
<img src="https://example.org/p.png" onerror="steal()" alt="p">
<style>body { display: none }</style>

===

More.
"""


def test_email_html_is_sanitised_but_feeds_keep_the_authors_html(outbox_site: DigestSite) -> None:
    import email
    import email.policy

    from bulletin.feeds.build import build

    outbox_site.post("hostile", "Новость <script>", "2026-04-01 10:00", body=HOSTILE_BODY)
    outbox_site.subscribe("reader@example.org")
    assert outbox_site.send().ok
    eml = next((outbox_site.root / "outbox").glob("**/*.eml")).read_bytes()
    message = email.message_from_bytes(eml, policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    for forbidden in (
        "<script",
        "<iframe",
        "<form",
        "<input",
        "onclick",
        "onerror",
        "alert(",
        "display: none",
    ):
        assert forbidden not in html, forbidden
    # The text part is plain text (the title may say "<script>"), but nothing of the
    # dropped elements' content survives into it either.
    for forbidden in ("alert(", "steal()", "display: none", "evil.example"):
        assert forbidden not in text, forbidden
    assert "<b>bold</b>" in html and 'href="https://example.org/y"' in html and 'alt="p"' in html
    # The title is escaped in the email, never markup.
    assert "Новость &lt;script&gt;" in html
    # Feeds keep the author's HTML (readers sanitise it), escaped inside the XML.
    build(outbox_site.config, dt.datetime(2026, 4, 12, 10, 0, tzinfo=dt.UTC))
    rss = (outbox_site.root / "public" / "feed.xml").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in rss
    assert "<title>Новость &lt;script&gt;</title>" in rss


def test_a_user_name_without_a_password_stops_before_anything(
    site: DigestSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    site.configure(smtp={"username": "robot"})
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe("a@example.org")
    result = site.cli("send", "--now", NOW.isoformat())
    assert result.exit_code == 1
    assert "smtp.username is set but the environment variable SMTP_PASSWORD is empty" in result.output
    assert site.rows("SELECT count(*) FROM digests") == [(0,)]
