"""digest.topics: the taxonomy terms a subscriber may choose, each with a label per language.

    digest:
      topics:
        category:
          - вакцинация                       # a term alone: it is its own label
          - term: диагностика
            labels: {ru: Диагностика, kk: Диагностика, en: Diagnostics}
            also: [диагностика-kk, diagnostics]   # terms other languages' posts use for it

A post carries a topic when its taxonomy holds the term or one of ``also`` (case not
counted, as people write Вакцинация and вакцинация for one thing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .section import Section

# Separates topics in a CSV cell ("category:вакцинация;tag:екпе"), so no term may hold it.
TOPIC_SEPARATOR = ";"


@dataclass(frozen=True)
class TopicChoice:
    taxonomy: str  # "category" or "tag"
    term: str  # the term as stored for a subscriber who chose it
    labels: tuple[tuple[str, str], ...] = ()  # (language, label)
    also: tuple[str, ...] = ()  # other terms that mean the same (translations)

    @property
    def key(self) -> tuple[str, str]:
        return self.taxonomy, self.term

    def label(self, language: str) -> str:
        """The name a subscriber reading ``language`` sees; the term itself when none is given."""
        return dict(self.labels).get(language, self.term)

    def matches(self, terms: tuple[str, ...]) -> bool:
        """Whether a post whose taxonomy holds ``terms`` carries this topic."""
        wanted = {self.term.casefold(), *(term.casefold() for term in self.also)}
        return any(term.casefold() in wanted for term in terms)


def read_topics(digest: Section, taxonomies: tuple[str, ...]) -> tuple[TopicChoice, ...]:
    """digest.topics, every problem noted on ``digest`` with the key it is about; a topic's
    taxonomy must be one of ``taxonomies`` (the reader passes the ones bulletin reads, which
    config/defaults.py keeps: importing it here would close a cycle through the model)."""

    value = digest.take("topics")
    if value is None:
        return ()
    key = digest.key("topics")
    if not isinstance(value, dict):
        digest.errors.append(
            f"{digest.where}: '{key}' must map a taxonomy to its terms, such as category: [...]"
        )
        return ()
    found: dict[tuple[str, str], TopicChoice] = {}
    for taxonomy, terms in value.items():
        where = f"{key}.{taxonomy}"
        if taxonomy not in taxonomies:
            digest.errors.append(f"{digest.where}: '{where}': the taxonomy must be tag or category")
            continue
        if not isinstance(terms, list) or not terms:
            digest.errors.append(f"{digest.where}: '{where}' must be a list of terms")
            continue
        for index, entry in enumerate(terms):
            choice = _choice(str(taxonomy), entry, f"{where}[{index}]", digest)
            if choice is None:
                continue
            if choice.key in found:
                digest.errors.append(f"{digest.where}: '{where}[{index}]': {choice.term!r} is listed twice")
            found[choice.key] = choice
    return tuple(found.values())


def _choice(taxonomy: str, entry: Any, where: str, digest: Section) -> TopicChoice | None:
    def problem(text: str) -> None:
        digest.errors.append(f"{digest.where}: '{where}' {text}")

    if isinstance(entry, str):
        entry = {"term": entry}
    if not isinstance(entry, dict):
        problem("must be a term, or a mapping with term, labels and also")
        return None
    unknown = sorted(str(name) for name in entry if name not in ("term", "labels", "also"))
    if unknown:
        problem(f"has an unknown key {unknown[0]!r} (a term takes term, labels and also)")
        return None
    term = _term(entry.get("term"))
    if term is None:
        problem("needs a term: a non-empty line of text without ';'")
        return None
    labels = entry.get("labels") or {}
    if not isinstance(labels, dict) or not all(
        isinstance(language, str) and _term(label) is not None for language, label in labels.items()
    ):
        problem("'labels' must map a language to its label, such as {ru: Вакцинация, kk: Екпе}")
        return None
    also = entry.get("also") or []
    if isinstance(also, str):
        also = [also]
    if not isinstance(also, list) or any(_term(other) is None for other in also):
        problem("'also' must be a list of terms")
        return None
    return TopicChoice(
        taxonomy,
        term,
        tuple((language, str(label).strip()) for language, label in labels.items()),
        tuple(str(other).strip() for other in also),
    )


def _term(value: Any) -> str | None:
    """A term as written, or None when it cannot be one (empty, several lines, holding ';')."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = str(value).strip()
    if not text or "\n" in text or "\r" in text or TOPIC_SEPARATOR in text:
        return None
    return text
