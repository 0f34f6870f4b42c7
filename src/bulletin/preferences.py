"""A subscriber's preferences as people write them: a language of the site, topics of digest.topics.

Used by `subscribers add --lang/--topic`, the CSV columns ``lang`` and ``topics``,
`preview` and the web pages, so each reads and checks them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .config import Config, TopicChoice
from .config.topics import TOPIC_SEPARATOR
from .errors import SubscriberError
from .store import Topic


@dataclass(frozen=True)
class Choices:
    """What a subscriber of this site may choose: its languages (the default first) and topics."""

    languages: tuple[str, ...]
    topics: tuple[TopicChoice, ...] = ()

    @classmethod
    def from_config(cls, config: Config) -> Choices:
        return cls(site_languages(config), config.digest.topics)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def language(self, value: str | None) -> str | None:
        """``value`` as stored: None when empty (the site's default), else one of the languages."""
        text = (value or "").strip()
        if not text:
            return None
        for language in self.languages:
            if language.casefold() == text.casefold():
                return language
        raise SubscriberError(
            f"unknown language {text!r:.40}: this site's languages are {', '.join(self.languages)}"
        )

    def topic(self, text: str) -> Topic:
        """``category:вакцинация`` (or the term alone when one taxonomy has it) as a chosen topic."""
        wanted = text.strip()
        taxonomy, colon, term = wanted.partition(":")
        if colon and any(choice.taxonomy == taxonomy.strip() for choice in self.topics):
            found = [c for c in self.topics if c.key == (taxonomy.strip(), term.strip())]
        else:
            found = [c for c in self.topics if c.term == wanted]
        if len(found) == 1:
            return found[0].key
        if not self.topics:
            raise SubscriberError(f"unknown topic {wanted!r:.60}: digest.topics lists none")
        if found:
            raise SubscriberError(f"topic {wanted!r:.60} is in several taxonomies: write taxonomy:term")
        listed = ", ".join(f"{c.taxonomy}:{c.term}" for c in self.topics)
        raise SubscriberError(f"unknown topic {wanted!r:.60}: digest.topics lists {listed}")

    def topics_of(self, values: Iterable[str]) -> frozenset[Topic]:
        return frozenset(self.topic(value) for value in values if value.strip())

    def topics_cell(self, cell: str) -> frozenset[Topic]:
        """The topics of a CSV cell: ``category:вакцинация;tag:екпе`` (empty: none)."""
        return self.topics_of(cell.split(TOPIC_SEPARATOR))


def site_languages(config: Config) -> tuple[str, ...]:
    """The languages a subscriber may read the digest in: a Grav site's supported languages
    (the default first), else the one site.language."""
    languages = config.content.languages
    if languages is None:
        return (config.site.language,)
    return (languages.default, *(code for code in languages.supported if code != languages.default))


def topics_cell(topics: Iterable[Topic]) -> str:
    """The CSV cell of a subscriber's topics, sorted so an export is stable."""
    return TOPIC_SEPARATOR.join(f"{taxonomy}:{term}" for taxonomy, term in sorted(topics))
