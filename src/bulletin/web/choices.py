"""What a subscriber chooses in a form, their language and topics: offered and read alike everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from ..config import Config
from .languages import language_name
from .state import WebState

MAX_TOPICS = 64  # more checked boxes than any site offers: the rest is ignored


@dataclass(frozen=True)
class Choice:
    """A subscriber's language (one of the site's) and topics (the values digest.topics offers)."""

    language: str
    topics: tuple[str, ...] = ()


def topic_options(config: Config, language: str) -> tuple[tuple[str, str], ...]:
    """(value, label in ``language``) for each topic a subscriber may choose; none before digest.topics."""
    return ()


def language_options(state: WebState) -> tuple[tuple[str, str], ...]:
    """(code, the language's own name) for each of the site's languages, the default first."""
    return tuple((code, language_name(code)) for code in state.languages)


def chosen(state: WebState, form: FormData, language: str) -> Choice:
    """The choice a posted form holds: an unknown language is ``language`` (the page's), unknown
    topics are left out, each topic once."""
    wanted = form.get("language")
    offered = {value for value, _ in topic_options(state.config, language)}
    picked = [value for value in form.getlist("topic")[:MAX_TOPICS] if isinstance(value, str)]
    return Choice(
        wanted if isinstance(wanted, str) and wanted in state.languages else state.language(language),
        tuple(dict.fromkeys(value for value in picked if value in offered)),
    )


def choice_context(state: WebState, choice: Choice) -> dict[str, Any]:
    """What the choices macro (templates/web/choices.html.j2) needs for a page in ``choice.language``."""
    return {
        "languages": language_options(state),
        "topics": topic_options(state.config, choice.language),
        "chosen": choice.topics,
    }
