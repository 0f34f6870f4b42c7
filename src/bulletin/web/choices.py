"""What a subscriber chooses in a form, their language and topics: offered and read alike everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from ..config import Config
from ..store import Topic
from .languages import language_name
from .state import WebState

MAX_TOPICS = 64  # more checked boxes than any site offers: the rest is ignored


@dataclass(frozen=True)
class Choice:
    """A subscriber's language (one of the site's) and topics (of digest.topics)."""

    language: str
    topics: frozenset[Topic] = frozenset()

    @property
    def topic_values(self) -> frozenset[str]:
        """The topics as the form's checkboxes name them."""
        return frozenset(topic_value(topic) for topic in self.topics)


def topic_value(topic: Topic) -> str:
    """A topic as a checkbox's value: ``category:вакцинация``, as `subscribers add --topic` writes it."""
    return f"{topic[0]}:{topic[1]}"


def topic_options(config: Config, language: str) -> tuple[tuple[str, str], ...]:
    """(value, label in ``language``) for each topic of digest.topics, in its order."""
    return tuple((topic_value(choice.key), choice.label(language)) for choice in config.digest.topics)


def language_options(state: WebState) -> tuple[tuple[str, str], ...]:
    """(code, the language's own name) for each of the site's languages, the default first."""
    return tuple((code, language_name(code)) for code in state.languages)


def chosen(state: WebState, form: FormData, language: str) -> Choice:
    """The choice a posted form holds: an unknown language is ``language`` (the page's), unknown
    topics are left out, each topic once."""
    wanted = form.get("language")
    offered = {topic_value(choice.key): choice.key for choice in state.config.digest.topics}
    picked = [value for value in form.getlist("topic")[:MAX_TOPICS] if isinstance(value, str)]
    return Choice(
        wanted if isinstance(wanted, str) and wanted in state.languages else state.language(language),
        frozenset(offered[value] for value in picked if value in offered),
    )


def stored_language(state: WebState, choice: Choice) -> str | None:
    """The language as the store keeps it: None (the site's default, whatever it becomes) where
    the site has one language and so no choice was made."""
    return choice.language if len(state.languages) > 1 else None


def choice_context(state: WebState, choice: Choice) -> dict[str, Any]:
    """What the choices macro (templates/web/choices.html.j2) needs for a page in ``choice.language``."""
    return {
        "languages": language_options(state),
        "topics": topic_options(state.config, choice.language),
        "chosen": choice.topic_values,
    }
