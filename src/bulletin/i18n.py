"""Interface texts for emails and web pages, by site.language (English, Russian and Kazakh shipped)."""

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
        "view_in_browser": "View in browser",
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
        "view_in_browser": "Открыть в браузере",
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
        "unsubscribe_title": "Жазылымнан бас тарту",
        "unsubscribe_question": "Мына сайттың таратылымын енді алмау:",
        "unsubscribe_button": "Жазылымнан бас тарту",
        "unsubscribed_title": "Сіз жазылымнан бас тарттыңыз",
        "unsubscribed_text": "Енді сізге мына таратылымның хаттары келмейді:",
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
        "confirm_question": "Мына сайттың жаңа жарияланымдарын поштамен алу:",
        "confirm_button": "Жазылымды растау",
        "confirmed_title": "Жазылым расталды",
        "confirmed_text": "Таратылымның келесі шығарылымы поштаңызға келеді:",
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
    },
}
# Belarusian and Ukrainian sites get the Russian texts (read by their audience) until a
# text set of their own exists, rather than English.
FALLBACKS = {"be": "ru", "uk": "ru"}


def texts(language: str) -> dict[str, str]:
    """The texts for a language tag such as ``ru`` or ``en-GB``; English when unknown."""
    base = language.split("-")[0].split("_")[0].lower()
    return TEXTS.get(base) or TEXTS[FALLBACKS.get(base, "en")]
