"""The web side of real per-language digests: the mailed preferences link changes the next digest,
and each language's archive shows what `bulletin send` made for it."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import lxml.html
from starlette.testclient import TestClient

from bulletin.config import load_config
from bulletin.web.app import create_app

from .digest_site import WEB_URL
from .test_language_digests import NOW, POLIO, READERS, TITLES, TopicSite, body, titles_in, topic_site

__all__ = ["topic_site"]  # the fixture, used here by name


def client_for(site: TopicSite) -> TestClient:
    return TestClient(create_app(load_config(site.config_path)), base_url=WEB_URL)


def test_the_mailed_preferences_link_changes_what_the_next_digest_holds(topic_site: TopicSite) -> None:
    topic_site.send()
    [message] = topic_site.mail_for("kk-all@example.org")
    [link] = re.findall(re.escape(WEB_URL) + r"/preferences\?token=\S+", body(message))
    path = link.removeprefix(WEB_URL)

    with client_for(topic_site) as client:
        page = lxml.html.fromstring(client.get(path).text)
        assert page.get("lang") == "kk"  # the page speaks the language they read
        assert page.xpath("//option[@selected]/@value") == ["kk"]
        csrf = page.xpath("//input[@name='csrf']/@value")[0]
        saved = client.post(path, data={"csrf": csrf, "language": "ru", "topic": "category:вакцинация"})
        assert lxml.html.fromstring(saved.text).xpath("string(//h1)") == "Настройки сохранены"

    topic_site.post("polio", "ru", POLIO["ru"], "09:00 05-04-2026", "вакцинация")
    topic_site.post("polio", "kk", POLIO["kk"], "09:00 05-04-2026", "екпе")
    topic_site.smtp.clear()
    topic_site.send(NOW + dt.timedelta(days=5))

    [message] = topic_site.mail_for("kk-all@example.org")
    assert titles_in(body(message)) == {POLIO["ru"]}  # Russian now, and vaccination only
    assert "Отписаться" in body(message)
    [kazakh] = topic_site.mail_for("kk-vaccination@example.org")
    assert titles_in(body(kazakh)) == {POLIO["kk"]}  # the others' choices are as they were


def test_each_language_archive_shows_what_the_send_made_for_that_language(topic_site: TopicSite) -> None:
    topic_site.send()

    with client_for(topic_site) as client:
        for language, titles in TITLES.items():
            index = lxml.html.fromstring(client.get(f"/{language}/archive/").text)
            [item] = index.xpath("//ul[@class='archive']/li")
            assert item.xpath("string(a/@href)") == f"/{language}/archive/1/"
            # Every post of the digest in this language, whatever topics any reader chose.
            assert titles_in(item.xpath("string(span)")) == set(titles.values())

            # The address the mails link to (WEB_URL/<lang>/archive/1/) answers with that language's copy.
            message = next(
                m
                for address, reader in READERS.items()
                if reader[2] == language
                for m in topic_site.mail_for(address)
            )
            archive_link = re.search(re.escape(WEB_URL) + r"/\w+/archive/1/", body(message))
            assert archive_link is not None
            issue = client.get(urlsplit(archive_link.group(0)).path)
            assert issue.status_code == 200
            assert titles_in(issue.text) == set(titles.values())
            assert "@example.org" not in issue.text  # nobody's address in the public copy
