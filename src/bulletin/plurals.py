"""Counted nouns ("1 post", "2 поста", "5 постов") by CLDR's plural rules, as babel has them."""

from __future__ import annotations

# Each noun's forms by CLDR plural category. English has one/other; Russian one/few/many
# (and 'other' for fractions, which counts never are, so it repeats 'few').
NOUNS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "post": {"one": "post", "other": "posts"},
        "digest": {"one": "digest", "other": "digests"},
        "subscriber": {"one": "subscriber", "other": "subscribers"},
        "active subscriber": {"one": "active subscriber", "other": "active subscribers"},
        "delivery": {"one": "delivery", "other": "deliveries"},
        "error": {"one": "error", "other": "errors"},
        "warning": {"one": "warning", "other": "warnings"},
        "archive page": {"one": "archive page", "other": "archive pages"},
        "new post": {"one": "new post", "other": "new posts"},
        "collection page": {"one": "collection page", "other": "collection pages"},
    },
    "ru": {
        "post": {"one": "пост", "few": "поста", "many": "постов", "other": "поста"},
        "digest": {"one": "выпуск", "few": "выпуска", "many": "выпусков", "other": "выпуска"},
        "subscriber": {"one": "подписчик", "few": "подписчика", "many": "подписчиков", "other": "подписчика"},
        "error": {"one": "ошибка", "few": "ошибки", "many": "ошибок", "other": "ошибки"},
        "warning": {
            "one": "предупреждение",
            "few": "предупреждения",
            "many": "предупреждений",
            "other": "предупреждения",
        },
    },
}


def plural_category(count: int, language: str) -> str:
    """CLDR's category for ``count`` in ``language`` ('one', 'few', 'many', 'other')."""
    from babel import Locale  # here: `serve` starts without loading babel

    return str(Locale.parse(language).plural_form(abs(count)))


def count_of(count: int, noun: str, language: str = "en") -> str:
    """``count`` and ``noun`` in the form the language's plural rule asks for: '5 постов'."""
    forms = NOUNS.get(language, NOUNS["en"]).get(noun) or NOUNS["en"][noun]
    category = plural_category(count, language if language in NOUNS else "en")
    return f"{count} {forms.get(category, forms['other'])}"
