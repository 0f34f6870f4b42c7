"""Interface texts for emails and web pages, by site.language (Russian and English shipped)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "and_more": "and",
        "read_more": "Read more",
        "hello": "Hello",
        "issue": "Issue",
        "why": "You receive this email because you subscribed to",
        "unsubscribe": "Unsubscribe",
        "unsubscribe_title": "Unsubscribe",
        "unsubscribe_question": "Stop receiving the newsletter of",
        "unsubscribe_button": "Unsubscribe",
        "unsubscribed_title": "You are unsubscribed",
        "unsubscribed_text": "You will not receive any more emails from",
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
        "confirm_question": "Receive new posts by email from",
        "confirm_button": "Confirm subscription",
        "confirmed_title": "Subscription confirmed",
        "confirmed_text": "You will receive the next digest from",
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
    },
    "ru": {
        "and_more": "и ещё",
        "read_more": "Читать далее",
        "hello": "Здравствуйте",
        "issue": "Выпуск",
        "why": "Вы получили это письмо, потому что подписаны на рассылку",
        "unsubscribe": "Отписаться",
        "unsubscribe_title": "Отписка от рассылки",
        "unsubscribe_question": "Больше не получать рассылку сайта",
        "unsubscribe_button": "Отписаться",
        "unsubscribed_title": "Вы отписаны",
        "unsubscribed_text": "Вы больше не будете получать письма рассылки",
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
        "confirm_question": "Получать новые публикации по почте с сайта",
        "confirm_button": "Подтвердить подписку",
        "confirmed_title": "Подписка подтверждена",
        "confirmed_text": "Следующий выпуск рассылки придёт вам на почту:",
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
    },
}
# Kazakh-language sites most often publish in Russian too; until a Kazakh text set
# exists they get the Russian one rather than English.
FALLBACKS = {"kk": "ru", "be": "ru", "uk": "ru"}


def texts(language: str) -> dict[str, str]:
    """The texts for a language tag such as ``ru`` or ``en-GB``; English when unknown."""
    base = language.split("-")[0].split("_")[0].lower()
    return TEXTS.get(base) or TEXTS[FALLBACKS.get(base, "en")]
