"""Interface texts for emails and web pages, by site.language (English, Russian and Kazakh shipped)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "and_more": "and",
        "read_more": "Read more",
        "hello": "Hello",
        "issue": "Issue",
        "why": "You receive this email because you subscribed to",
        "unsubscribe": "Unsubscribe",
        "manage_preferences": "Manage preferences",
        "unsubscribe_title": "Unsubscribe",
        "unsubscribe_button": "Unsubscribe",
        "unsubscribed_title": "You are unsubscribed",
        "subscribe_title": "Subscribe",
        "subscribe_intro": "New posts from this site by email. We will send a confirmation link first.",
        "email_label": "Email address",
        "name_label": "Name (optional)",
        "subscribe_button": "Subscribe",
        "subscribe_sent_title": "Check your inbox",
        "subscribe_sent_text": "If the address can receive mail, a confirmation link is on its way. "
        "Nothing is sent until you confirm.",
        "subscribe_invalid": "This does not look like an email address.",
        "confirm_title": "Confirm your subscription",
        "confirm_button": "Confirm subscription",
        "confirmed_title": "Subscription confirmed",
        "confirm_email_subject": "Confirm your subscription to",
        "confirm_email_text": "Someone, hopefully you, asked to receive new posts from this site by email. "
        "To confirm, open this link:",
        "confirm_email_ignore": "If it was not you, ignore this email: nothing will be sent.",
        "not_found_title": "Page not found",
        "not_found_text": "This link is not valid.",
        "forbidden_title": "The form has expired",
        "forbidden_text": "Please open the page again and resend the form.",
        "too_many_title": "Too many requests",
        "too_many_text": "Please try again in a few minutes.",
        "archive_title": "Digest archive",
        "archive_empty": "No digest has been sent yet.",
        "digest_label": "Digest",
        "view_in_browser": "View in browser",
        # Web pages: whole sentences; {list} is the list's name in «», {address} the masked address.
        "unsubscribe_page_question": "Stop sending the {list} newsletter to {address}?",
        "unsubscribed_page_text": "The {list} newsletter will no longer be sent to {address}.",
        "subscribe_again": "Unsubscribed by mistake? Subscribe again",
        "confirm_page_question": "Send new posts of {list} by email to {address}?",
        "confirmed_page_text": "The next {list} digest will be sent to {address}.",
        "archive_back": "All digests",
        "archive_pages": "Pages of the archive",
        "archive_newer": "Newer digests",
        "archive_older": "Older digests",
        "archive_page": "Page {page} of {pages}",
        "archive_subscribe": "Get the digest by email",
        "feed_badge": "Web feed",
        "feed_what": "This is the web feed (RSS/Atom) of {list}. A feed reader checks it for you and shows "
        "each new post, so you need not visit the site to see what is new.",
        "feed_how": "To subscribe, copy the address of this page into your feed reader:",
        "feed_email": "Rather have it by email? Subscribe to the digest",
        "feed_latest": "Latest posts",
        "feed_site": "Go to the site",
        # Sign-up choices, the preferences page, the archive's languages (web/).
        "language_label": "Language",
        "topics_label": "Topics",
        "topics_hint": "Tick none to get every post.",
        "preferences_title": "Your subscription",
        "preferences_intro": "Choose the language and topics of the {list} newsletter sent to {address}.",
        "preferences_button": "Save",
        "preferences_saved_title": "Settings saved",
        "preferences_saved_text": "The next {list} digest will be sent to {address} with these settings.",
        "preferences_unsubscribe": "Stop the newsletter altogether",
        "preferences_back": "Change the settings again",
        "archive_languages": "In other languages",
    },
    "ru": {
        "and_more": "и ещё",
        "read_more": "Читать далее",
        "hello": "Здравствуйте",
        "issue": "Выпуск",
        "why": "Вы получили это письмо, потому что подписаны на рассылку",
        "unsubscribe": "Отписаться",
        "manage_preferences": "Настроить рассылку",
        "unsubscribe_title": "Отписка от рассылки",
        "unsubscribe_button": "Отписаться",
        "unsubscribed_title": "Вы отписаны",
        "subscribe_title": "Подписка на рассылку",
        "subscribe_intro": "Новые публикации сайта по электронной почте. Сначала мы пришлём ссылку "
        "для подтверждения.",
        "email_label": "Адрес электронной почты",
        "name_label": "Имя (необязательно)",
        "subscribe_button": "Подписаться",
        "subscribe_sent_title": "Проверьте почту",
        "subscribe_sent_text": "Если адрес принимает письма, ссылка для подтверждения уже отправлена. "
        "Пока вы не подтвердите подписку, рассылка приходить не будет.",
        "subscribe_invalid": "Это не похоже на адрес электронной почты.",
        "confirm_title": "Подтверждение подписки",
        "confirm_button": "Подтвердить подписку",
        "confirmed_title": "Подписка подтверждена",
        "confirm_email_subject": "Подтвердите подписку на рассылку",
        "confirm_email_text": "Кто-то, надеемся, что вы, попросил присылать новые публикации сайта "
        "по электронной почте. Чтобы подтвердить подписку, откройте ссылку:",
        "confirm_email_ignore": "Если это были не вы, просто проигнорируйте письмо: "
        "рассылка приходить не будет.",
        "not_found_title": "Страница не найдена",
        "not_found_text": "Эта ссылка недействительна.",
        "forbidden_title": "Форма устарела",
        "forbidden_text": "Откройте страницу заново и отправьте форму ещё раз.",
        "too_many_title": "Слишком много запросов",
        "too_many_text": "Попробуйте ещё раз через несколько минут.",
        "archive_title": "Архив рассылки",
        "archive_empty": "Выпусков пока не было.",
        "digest_label": "Выпуск",
        "view_in_browser": "Открыть в браузере",
        # Web pages: whole sentences; {list} is the list's name in «», {address} the masked address.
        "unsubscribe_page_question": "Больше не присылать рассылку {list} на адрес {address}?",
        "unsubscribed_page_text": "Рассылка {list} больше не будет приходить на адрес {address}.",
        "subscribe_again": "Отписались по ошибке? Подпишитесь снова",
        "confirm_page_question": "Присылать новые публикации {list} на адрес {address}?",
        "confirmed_page_text": "Следующий выпуск рассылки {list} придёт на адрес {address}.",
        "archive_back": "Все выпуски",
        "archive_pages": "Страницы архива",
        "archive_newer": "Более новые выпуски",
        "archive_older": "Более ранние выпуски",
        "archive_page": "Страница {page} из {pages}",
        "archive_subscribe": "Получать рассылку на почту",
        "feed_badge": "Лента новостей",
        "feed_what": "Это лента новостей (RSS/Atom) сайта {list}. Программа для чтения лент сама проверяет "
        "её и показывает каждую новую публикацию: заходить на сайт, чтобы узнать новости, не нужно.",
        "feed_how": "Чтобы подписаться, скопируйте адрес этой страницы в программу для чтения лент:",
        "feed_email": "Удобнее получать по почте? Подпишитесь на рассылку",
        "feed_latest": "Последние публикации",
        "feed_site": "Перейти на сайт",
        # Sign-up choices, the preferences page, the archive's languages (web/).
        "language_label": "Язык",
        "topics_label": "Темы",
        "topics_hint": "Если не отметить ни одной темы, будут приходить все публикации.",
        "preferences_title": "Настройки подписки",
        "preferences_intro": "Выберите язык и темы рассылки {list}, которая приходит на адрес {address}.",
        "preferences_button": "Сохранить",
        "preferences_saved_title": "Настройки сохранены",
        "preferences_saved_text": "Следующий выпуск рассылки {list} придёт на адрес {address} "
        "с этими настройками.",
        "preferences_unsubscribe": "Отписаться от рассылки совсем",
        "preferences_back": "Изменить настройки ещё раз",
        "archive_languages": "На других языках",
    },
    # Kazakh puts the verb last: texts followed by a name end in a colon, so that
    # "… таратылымына жазылғаныңыз үшін алдыңыз: «Сайт»" stays one sentence.
    "kk": {
        "and_more": "және тағы",
        "read_more": "Толығырақ оқу",
        "hello": "Сәлеметсіз бе",
        "issue": "Шығарылым",
        "why": "Бұл хатты келесі таратылымға жазылғаныңыз үшін алдыңыз:",
        "unsubscribe": "Жазылымнан бас тарту",
        "manage_preferences": "Жазылым баптаулары",
        "unsubscribe_title": "Жазылымнан бас тарту",
        "unsubscribe_button": "Жазылымнан бас тарту",
        "unsubscribed_title": "Сіз жазылымнан бас тарттыңыз",
        "subscribe_title": "Таратылымға жазылу",
        "subscribe_intro": "Сайттың жаңа жарияланымдары электрондық поштаңызға келеді. Алдымен растау "
        "сілтемесін жібереміз.",
        "email_label": "Электрондық пошта мекенжайы",
        "name_label": "Атыңыз (міндетті емес)",
        "subscribe_button": "Жазылу",
        "subscribe_sent_title": "Поштаңызды тексеріңіз",
        "subscribe_sent_text": "Егер бұл мекенжай хат қабылдай алса, растау сілтемесі жіберілді. "
        "Жазылымды растамайынша, таратылым келмейді.",
        "subscribe_invalid": "Бұл электрондық пошта мекенжайына ұқсамайды.",
        "confirm_title": "Жазылымды растау",
        "confirm_button": "Жазылымды растау",
        "confirmed_title": "Жазылым расталды",
        "confirm_email_subject": "Таратылымға жазылуды растаңыз:",
        "confirm_email_text": "Біреу (бәлкім, өзіңіз) осы сайттың жаңа жарияланымдарын электрондық "
        "поштамен жіберуді сұрады. Жазылымды растау үшін мына сілтемені ашыңыз:",
        "confirm_email_ignore": "Егер бұл сіз болмасаңыз, хатқа назар аудармаңыз: таратылым келмейді.",
        "not_found_title": "Бет табылмады",
        "not_found_text": "Бұл сілтеме жарамсыз.",
        "forbidden_title": "Форманың мерзімі өтіп кетті",
        "forbidden_text": "Бетті қайта ашып, форманы тағы бір рет жіберіңіз.",
        "too_many_title": "Сұраныс тым көп",
        "too_many_text": "Бірнеше минуттан кейін қайталап көріңіз.",
        "archive_title": "Таратылым мұрағаты",
        "archive_empty": "Әзірге бірде-бір шығарылым жіберілген жоқ.",
        "digest_label": "Шығарылым",
        "view_in_browser": "Браузерде ашу",
        # Web pages: whole sentences; {list} is the list's name in «», {address} the masked address.
        "unsubscribe_page_question": "{list} таратылымын {address} мекенжайына жіберуді тоқтатайық па?",
        "unsubscribed_page_text": "{list} таратылымы {address} мекенжайына енді жіберілмейді.",
        "subscribe_again": "Жазылымнан қателесіп бас тарттыңыз ба? Қайта жазылыңыз",
        "confirm_page_question": "{list} жаңа жарияланымдарын {address} мекенжайына жіберейік пе?",
        "confirmed_page_text": "{list} таратылымының келесі шығарылымы {address} мекенжайына келеді.",
        "archive_back": "Барлық шығарылымдар",
        "archive_pages": "Мұрағат беттері",
        "archive_newer": "Жаңарақ шығарылымдар",
        "archive_older": "Ертерек шығарылымдар",
        "archive_page": "{pages} беттің {page}-беті",
        "archive_subscribe": "Таратылымды поштамен алу",
        "feed_badge": "Жаңалықтар арнасы",
        "feed_what": "Бұл {list} сайтының жаңалықтар арнасы (RSS/Atom). Арналарды оқуға арналған бағдарлама "
        "оны өзі тексеріп, әр жаңа жарияланымды көрсетеді: жаңалықты білу үшін сайтқа кірудің қажеті жоқ.",
        "feed_how": "Жазылу үшін осы беттің мекенжайын арналарды оқу бағдарламасына көшіріңіз:",
        "feed_email": "Поштамен алған ыңғайлы ма? Таратылымға жазылыңыз",
        "feed_latest": "Соңғы жарияланымдар",
        "feed_site": "Сайтқа өту",
        # Sign-up choices, the preferences page, the archive's languages (web/).
        "language_label": "Тіл",
        "topics_label": "Тақырыптар",
        "topics_hint": "Бірде-бір тақырып белгіленбесе, барлық жарияланым келеді.",
        "preferences_title": "Жазылым баптаулары",
        "preferences_intro": "{address} мекенжайына келетін {list} таратылымының тілі мен "
        "тақырыптарын таңдаңыз.",
        "preferences_button": "Сақтау",
        "preferences_saved_title": "Баптаулар сақталды",
        "preferences_saved_text": "{list} таратылымының келесі шығарылымы {address} мекенжайына "
        "осы баптаулармен келеді.",
        "preferences_unsubscribe": "Таратылымнан толық бас тарту",
        "preferences_back": "Баптауларды қайта өзгерту",
        "archive_languages": "Басқа тілдерде",
    },
}
# Belarusian and Ukrainian sites get the Russian texts (read by their audience) until a
# text set of their own exists, rather than English.
FALLBACKS = {"be": "ru", "uk": "ru"}


def base_language(tag: str) -> str:
    """The language subtag of a BCP 47 tag: ``ru`` for ``ru-RU`` (or POSIX ``ru_RU``)."""
    return tag.replace("_", "-").split("-")[0].lower()


def texts_language(tag: str) -> str:
    """The language whose texts a site in ``tag`` gets: its own, a neighbour's, or English."""
    base = base_language(tag)
    return base if base in TEXTS else FALLBACKS.get(base, "en")


def texts(language: str) -> dict[str, str]:
    """The texts for a language tag such as ``ru``, ``ru-RU`` or ``en-GB``: English for any
    text its set lacks (and for a language without a set)."""
    return _with_english(texts_language(language))


@functools.cache
def _with_english(language: str) -> dict[str, str]:
    """One dict per language, made once: English first, the language's own texts over it."""
    return TEXTS[language] if language == "en" else {**TEXTS["en"], **TEXTS[language]}


def missing_texts(tag: str) -> list[str]:
    """The texts readers of ``tag`` get in English because its set lacks them (all of them for
    a language with no set and no neighbour's), for `bulletin check` to name."""
    base = base_language(tag)
    if base == "en":
        return []
    own = TEXTS.get(base) or TEXTS.get(FALLBACKS.get(base, ""))
    return sorted(set(TEXTS["en"]) - set(own or {}))


def missing_texts_note(tag: str) -> str | None:
    """What `bulletin check` says when readers of ``tag`` get some texts in English, or None."""
    missing = missing_texts(tag)
    if not missing:
        return None
    if len(missing) == len(TEXTS["en"]):
        shipped = ", ".join(sorted(TEXTS))
        return f"no texts in {tag!r} ship with bulletin (only {shipped}): its readers get English"
    named = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
    return f"texts missing in {tag!r}, its readers get them in English: {named}"


def date_locale(tag: str) -> Locale:
    """The CLDR locale for dates: the whole tag if babel knows it, else its language, else English."""
    from babel import Locale, UnknownLocaleError  # here: `serve` answers without loading CLDR data

    for candidate in (tag.replace("_", "-"), base_language(tag)):
        try:
            return Locale.parse(candidate, sep="-")
        except (ValueError, UnknownLocaleError):
            continue
    return Locale("en")


def long_date(moment: dt.datetime, timezone: dt.tzinfo, tag: str) -> str:
    """ "12 апреля 2022" in Russian, "12 April 2022" in English: CLDR's long day-month-year."""
    from babel.dates import format_date  # here, as date_locale: `serve` starts without CLDR data

    return format_date(moment.astimezone(timezone), format="d MMMM y", locale=date_locale(tag))


def language_mismatch(tag: str) -> str | None:
    """Why mails in ``tag`` would mix two languages (dates in one, texts in another), or None."""
    from babel import Locale

    dates = date_locale(tag)
    if dates.language != base_language(tag):
        return f"'site.language' {tag!r} is not a language CLDR knows: dates and texts would be in English"
    texts_in = texts_language(tag)
    if dates.language == texts_in:
        return None
    date_name = Locale(dates.language).get_display_name("en") or dates.language
    text_name = Locale(texts_in).get_display_name("en") or texts_in
    return (
        f"'site.language' {tag!r}: dates would be written in {date_name} but the texts of mails and pages"
        f" in {text_name} (texts ship in {', '.join(sorted(TEXTS))}); use one of those"
    )
