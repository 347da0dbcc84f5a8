"""The words customers read about consent: the request email and the consent pages, per language.

English, Dutch and German; any other locale gets English. `CONSENT_TEXT_VERSION` names this
wording in the consent ledger: change it whenever the meaning of these texts changes.
"""

from __future__ import annotations

CONSENT_TEXT_VERSION = "newsletter-partner-2026-11"
DEFAULT_LOCALE = "en"

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "email_subject": "{partner} suggests subscribing you to the {vendor} newsletter",
        "email_heading": "Do you want to receive the {vendor} newsletter?",
        "email_intro": "{partner}, a partner of {vendor}, suggested subscribing {email} to the "
        "{vendor} newsletter.",
        "email_meaning": "If you approve, you will receive the {vendor} newsletter and {partner} "
        "will be registered with {vendor} as your partner. You can unsubscribe at any time with "
        "the link in every newsletter.",
        "email_nothing": "If you do nothing or decline, you will not be subscribed and you will "
        "not be linked to {partner}. This link works until {expires}.",
        "approve": "Approve",
        "decline": "Decline",
        "page_title": "Newsletter subscription",
        "page_question": "{partner} suggested subscribing {email} to the {vendor} newsletter. "
        "Do you approve?",
        "page_meaning": "Approving subscribes you to the newsletter and registers {partner} "
        "with {vendor} as your partner. You can unsubscribe at any time.",
        "approved_title": "Thank you",
        "approved_body": "{email} is now subscribed to the {vendor} newsletter, and {partner} is "
        "registered as your partner.",
        "declined_title": "Declined",
        "declined_body": "You declined. {email} is not subscribed and not linked to {partner}.",
        "invalid_title": "This link cannot be used",
        "invalid_body": "This link is not valid. It may have been changed or cut short. Nothing "
        "was changed.",
        "used_title": "This link was already used",
        "used_body": "This request was already answered. Nothing was changed.",
        "expired_title": "This link has expired",
        "expired_body": "This request is no longer open. Nothing was changed. Ask your partner to "
        "send a new one if you still want to subscribe.",
        "superseded_title": "This link was replaced",
        "superseded_body": "A newer email with a new link was sent. Please use that one. Nothing "
        "was changed.",
        "withdraw_title": "Unsubscribe from the newsletter",
        "withdraw_question": "Stop sending the {vendor} newsletter to {email}?",
        "withdraw_button": "Unsubscribe",
        "withdrawn_title": "Unsubscribed",
        "withdrawn_body": "{email} will no longer receive the {vendor} newsletter.",
    },
    "nl": {
        "email_subject": "{partner} stelt voor u aan te melden voor de nieuwsbrief van {vendor}",
        "email_heading": "Wilt u de nieuwsbrief van {vendor} ontvangen?",
        "email_intro": "{partner}, een partner van {vendor}, heeft voorgesteld {email} aan te "
        "melden voor de nieuwsbrief van {vendor}.",
        "email_meaning": "Als u akkoord gaat, ontvangt u de nieuwsbrief van {vendor} en wordt "
        "{partner} bij {vendor} geregistreerd als uw partner. U kunt zich op elk moment afmelden "
        "via de link in elke nieuwsbrief.",
        "email_nothing": "Als u niets doet of weigert, wordt u niet aangemeld en niet aan "
        "{partner} gekoppeld. Deze link werkt tot {expires}.",
        "approve": "Akkoord",
        "decline": "Weigeren",
        "page_title": "Aanmelding nieuwsbrief",
        "page_question": "{partner} heeft voorgesteld {email} aan te melden voor de nieuwsbrief "
        "van {vendor}. Gaat u akkoord?",
        "page_meaning": "Met uw akkoord wordt u aangemeld voor de nieuwsbrief en wordt {partner} "
        "bij {vendor} geregistreerd als uw partner. U kunt zich op elk moment afmelden.",
        "approved_title": "Bedankt",
        "approved_body": "{email} is nu aangemeld voor de nieuwsbrief van {vendor} en {partner} "
        "is geregistreerd als uw partner.",
        "declined_title": "Geweigerd",
        "declined_body": "U heeft geweigerd. {email} is niet aangemeld en niet aan {partner} "
        "gekoppeld.",
        "invalid_title": "Deze link kan niet worden gebruikt",
        "invalid_body": "Deze link is niet geldig. Misschien is hij gewijzigd of afgebroken. Er "
        "is niets veranderd.",
        "used_title": "Deze link is al gebruikt",
        "used_body": "Dit verzoek is al beantwoord. Er is niets veranderd.",
        "expired_title": "Deze link is verlopen",
        "expired_body": "Dit verzoek staat niet meer open. Er is niets veranderd. Vraag uw "
        "partner om een nieuw verzoek als u zich toch wilt aanmelden.",
        "superseded_title": "Deze link is vervangen",
        "superseded_body": "Er is een nieuwere e-mail met een nieuwe link verstuurd. Gebruik die. "
        "Er is niets veranderd.",
        "withdraw_title": "Afmelden voor de nieuwsbrief",
        "withdraw_question": "De nieuwsbrief van {vendor} niet meer naar {email} sturen?",
        "withdraw_button": "Afmelden",
        "withdrawn_title": "Afgemeld",
        "withdrawn_body": "{email} ontvangt de nieuwsbrief van {vendor} niet meer.",
    },
    "de": {
        "email_subject": "{partner} schlägt vor, Sie für den {vendor}-Newsletter anzumelden",
        "email_heading": "Möchten Sie den {vendor}-Newsletter erhalten?",
        "email_intro": "{partner}, ein Partner von {vendor}, hat vorgeschlagen, {email} für den "
        "{vendor}-Newsletter anzumelden.",
        "email_meaning": "Wenn Sie zustimmen, erhalten Sie den {vendor}-Newsletter und "
        "{partner} wird bei {vendor} als Ihr Partner registriert. Sie können sich jederzeit über "
        "den Link in jedem Newsletter abmelden.",
        "email_nothing": "Wenn Sie nichts tun oder ablehnen, werden Sie nicht angemeldet und "
        "nicht mit {partner} verknüpft. Dieser Link gilt bis {expires}.",
        "approve": "Zustimmen",
        "decline": "Ablehnen",
        "page_title": "Newsletter-Anmeldung",
        "page_question": "{partner} hat vorgeschlagen, {email} für den {vendor}-Newsletter "
        "anzumelden. Stimmen Sie zu?",
        "page_meaning": "Mit Ihrer Zustimmung werden Sie für den Newsletter angemeldet und "
        "{partner} wird bei {vendor} als Ihr Partner registriert. Sie können sich jederzeit "
        "abmelden.",
        "approved_title": "Vielen Dank",
        "approved_body": "{email} ist jetzt für den {vendor}-Newsletter angemeldet und {partner} "
        "ist als Ihr Partner registriert.",
        "declined_title": "Abgelehnt",
        "declined_body": "Sie haben abgelehnt. {email} ist nicht angemeldet und nicht mit "
        "{partner} verknüpft.",
        "invalid_title": "Dieser Link kann nicht verwendet werden",
        "invalid_body": "Dieser Link ist ungültig. Vielleicht wurde er verändert oder gekürzt. "
        "Es wurde nichts geändert.",
        "used_title": "Dieser Link wurde bereits verwendet",
        "used_body": "Diese Anfrage wurde bereits beantwortet. Es wurde nichts geändert.",
        "expired_title": "Dieser Link ist abgelaufen",
        "expired_body": "Diese Anfrage ist nicht mehr offen. Es wurde nichts geändert. Bitten "
        "Sie Ihren Partner um eine neue Anfrage, wenn Sie sich anmelden möchten.",
        "superseded_title": "Dieser Link wurde ersetzt",
        "superseded_body": "Eine neuere E-Mail mit einem neuen Link wurde verschickt. Bitte "
        "verwenden Sie diese. Es wurde nichts geändert.",
        "withdraw_title": "Vom Newsletter abmelden",
        "withdraw_question": "Den {vendor}-Newsletter nicht mehr an {email} senden?",
        "withdraw_button": "Abmelden",
        "withdrawn_title": "Abgemeldet",
        "withdrawn_body": "{email} erhält den {vendor}-Newsletter nicht mehr.",
    },
}

SUPPORTED_LOCALES = tuple(_TEXTS)


def page_locale(locale: str | None) -> str:
    """The supported language for `locale` (`nl`, `nl-BE`, `de_DE` ...), English otherwise."""
    if not locale:
        return DEFAULT_LOCALE
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    return language if language in _TEXTS else DEFAULT_LOCALE


def consent_texts(locale: str | None, **values: str) -> dict[str, str]:
    """Every consent text in the language for `locale`, with `{partner}`, `{email}`... filled in."""
    return {key: text.format(**values) for key, text in _TEXTS[page_locale(locale)].items()}
