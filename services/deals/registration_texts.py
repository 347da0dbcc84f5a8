"""The words of the deal-registration emails, per language.

Every locale a portal user can choose (services/users/service.py SUPPORTED_LOCALES) has its texts;
a locale with a region (`nl-BE`, `de_AT`) uses its language, any other gets English. Values such as
`{company}` and `{until}` are filled in by `registration_texts`.
"""

from __future__ import annotations

DEFAULT_LOCALE = "en"

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject_approved": "Deal registration approved: {company}",
        "body_approved": "{vendor} approved your registration of the deal with {company}.",
        "body_auto_approved": "Your registration of the deal with {company} was approved "
        "automatically.",
        "protected_until": "It is protected for your organisation until {until}.",
        "subject_rejected": "Deal registration rejected: {company}",
        "body_rejected": "{vendor} rejected your registration of the deal with {company}.",
        "reason": "Reason: {reason}",
        "subject_info_requested": "More information needed: {company}",
        "body_info_requested": "{vendor} needs more information about your registration of the "
        "deal with {company}:",
        "answer_hint": "Answer in the portal and submit the registration again.",
        "subject_extension_granted": "Deal protection extended: {company}",
        "body_extension_granted": "{vendor} extended the protection of your deal with {company} "
        "until {until}.",
        "subject_extension_declined": "Extension declined: {company}",
        "body_extension_declined": "{vendor} declined the extension of your deal with {company}. "
        "The protection ends on {until}.",
        "subject_expiry": "Deal protection for {company} ends on {date}",
        "body_expiry": "The protection of your registered deal with {company} ends on {until}.",
        "expiry_hint": "Close the deal before then or, if you need more time, request an "
        "extension.",
        "expiry_hint_no_extension": "Close the deal before then.",
        "subject_review_overdue": "Review overdue: deal registration of {partner} for {company}",
        "body_review_overdue": "The registration of the deal with {company} by {partner} was "
        "due for review on {due}.",
        "review_hint": "Approve it, reject it or ask the partner for more information.",
        "open": "Open the registration",
        "footer": "This email was sent to {recipient}.",
    },
    "nl": {
        "subject_approved": "Dealregistratie goedgekeurd: {company}",
        "body_approved": "{vendor} heeft uw registratie van de deal met {company} goedgekeurd.",
        "body_auto_approved": "Uw registratie van de deal met {company} is automatisch "
        "goedgekeurd.",
        "protected_until": "De deal is tot {until} voor uw organisatie beschermd.",
        "subject_rejected": "Dealregistratie afgewezen: {company}",
        "body_rejected": "{vendor} heeft uw registratie van de deal met {company} afgewezen.",
        "reason": "Reden: {reason}",
        "subject_info_requested": "Meer informatie nodig: {company}",
        "body_info_requested": "{vendor} heeft meer informatie nodig over uw registratie van de "
        "deal met {company}:",
        "answer_hint": "Beantwoord de vraag in het portaal en dien de registratie opnieuw in.",
        "subject_extension_granted": "Bescherming verlengd: {company}",
        "body_extension_granted": "{vendor} heeft de bescherming van uw deal met {company} "
        "verlengd tot {until}.",
        "subject_extension_declined": "Verlenging afgewezen: {company}",
        "body_extension_declined": "{vendor} heeft de verlenging van uw deal met {company} "
        "afgewezen. De bescherming eindigt op {until}.",
        "subject_expiry": "Bescherming van de deal met {company} eindigt op {date}",
        "body_expiry": "De bescherming van uw geregistreerde deal met {company} eindigt op "
        "{until}.",
        "expiry_hint": "Sluit de deal vóór die datum of vraag een verlenging aan als u meer tijd "
        "nodig hebt.",
        "expiry_hint_no_extension": "Sluit de deal vóór die datum.",
        "subject_review_overdue": "Beoordeling te laat: dealregistratie van {partner} voor "
        "{company}",
        "body_review_overdue": "De registratie van de deal met {company} door {partner} had op "
        "{due} beoordeeld moeten zijn.",
        "review_hint": "Keur haar goed, wijs haar af of vraag de partner om meer informatie.",
        "open": "Registratie openen",
        "footer": "Deze e-mail is verzonden naar {recipient}.",
    },
    "de": {
        "subject_approved": "Deal-Registrierung genehmigt: {company}",
        "body_approved": "{vendor} hat Ihre Registrierung des Deals mit {company} genehmigt.",
        "body_auto_approved": "Ihre Registrierung des Deals mit {company} wurde automatisch "
        "genehmigt.",
        "protected_until": "Der Deal ist bis {until} für Ihr Unternehmen geschützt.",
        "subject_rejected": "Deal-Registrierung abgelehnt: {company}",
        "body_rejected": "{vendor} hat Ihre Registrierung des Deals mit {company} abgelehnt.",
        "reason": "Begründung: {reason}",
        "subject_info_requested": "Weitere Informationen benötigt: {company}",
        "body_info_requested": "{vendor} benötigt weitere Informationen zu Ihrer Registrierung "
        "des Deals mit {company}:",
        "answer_hint": "Antworten Sie im Portal und reichen Sie die Registrierung erneut ein.",
        "subject_extension_granted": "Schutz verlängert: {company}",
        "body_extension_granted": "{vendor} hat den Schutz Ihres Deals mit {company} bis "
        "{until} verlängert.",
        "subject_extension_declined": "Verlängerung abgelehnt: {company}",
        "body_extension_declined": "{vendor} hat die Verlängerung Ihres Deals mit {company} "
        "abgelehnt. Der Schutz endet am {until}.",
        "subject_expiry": "Schutz des Deals mit {company} endet am {date}",
        "body_expiry": "Der Schutz Ihres registrierten Deals mit {company} endet am {until}.",
        "expiry_hint": "Schließen Sie den Deal bis dahin ab oder beantragen Sie eine "
        "Verlängerung, wenn Sie mehr Zeit brauchen.",
        "expiry_hint_no_extension": "Schließen Sie den Deal bis dahin ab.",
        "subject_review_overdue": "Prüfung überfällig: Deal-Registrierung von {partner} für "
        "{company}",
        "body_review_overdue": "Die Registrierung des Deals mit {company} durch {partner} hätte "
        "bis {due} geprüft werden sollen.",
        "review_hint": "Genehmigen Sie sie, lehnen Sie sie ab oder bitten Sie den Partner um "
        "weitere Informationen.",
        "open": "Registrierung öffnen",
        "footer": "Diese E-Mail wurde an {recipient} gesendet.",
    },
    "fr": {
        "subject_approved": "Enregistrement d'affaire approuvé : {company}",
        "body_approved": "{vendor} a approuvé votre enregistrement de l'affaire avec {company}.",
        "body_auto_approved": "Votre enregistrement de l'affaire avec {company} a été approuvé "
        "automatiquement.",
        "protected_until": "L'affaire est protégée pour votre organisation jusqu'au {until}.",
        "subject_rejected": "Enregistrement d'affaire refusé : {company}",
        "body_rejected": "{vendor} a refusé votre enregistrement de l'affaire avec {company}.",
        "reason": "Motif : {reason}",
        "subject_info_requested": "Informations complémentaires demandées : {company}",
        "body_info_requested": "{vendor} a besoin d'informations complémentaires sur votre "
        "enregistrement de l'affaire avec {company} :",
        "answer_hint": "Répondez dans le portail et soumettez à nouveau l'enregistrement.",
        "subject_extension_granted": "Protection prolongée : {company}",
        "body_extension_granted": "{vendor} a prolongé la protection de votre affaire avec "
        "{company} jusqu'au {until}.",
        "subject_extension_declined": "Prolongation refusée : {company}",
        "body_extension_declined": "{vendor} a refusé la prolongation de votre affaire avec "
        "{company}. La protection prend fin le {until}.",
        "subject_expiry": "La protection de l'affaire avec {company} prend fin le {date}",
        "body_expiry": "La protection de votre affaire enregistrée avec {company} prend fin le "
        "{until}.",
        "expiry_hint": "Concluez l'affaire d'ici là ou, si vous avez besoin de plus de temps, "
        "demandez une prolongation.",
        "expiry_hint_no_extension": "Concluez l'affaire d'ici là.",
        "subject_review_overdue": "Examen en retard : enregistrement d'affaire de {partner} "
        "pour {company}",
        "body_review_overdue": "L'enregistrement de l'affaire avec {company} par {partner} "
        "devait être examiné avant le {due}.",
        "review_hint": "Approuvez-le, refusez-le ou demandez des informations complémentaires "
        "au partenaire.",
        "open": "Ouvrir l'enregistrement",
        "footer": "Cet e-mail a été envoyé à {recipient}.",
    },
    "es": {
        "subject_approved": "Registro de oportunidad aprobado: {company}",
        "body_approved": "{vendor} ha aprobado su registro de la oportunidad con {company}.",
        "body_auto_approved": "Su registro de la oportunidad con {company} se ha aprobado "
        "automáticamente.",
        "protected_until": "La oportunidad está protegida para su organización hasta el {until}.",
        "subject_rejected": "Registro de oportunidad rechazado: {company}",
        "body_rejected": "{vendor} ha rechazado su registro de la oportunidad con {company}.",
        "reason": "Motivo: {reason}",
        "subject_info_requested": "Se necesita más información: {company}",
        "body_info_requested": "{vendor} necesita más información sobre su registro de la "
        "oportunidad con {company}:",
        "answer_hint": "Responda en el portal y envíe de nuevo el registro.",
        "subject_extension_granted": "Protección ampliada: {company}",
        "body_extension_granted": "{vendor} ha ampliado la protección de su oportunidad con "
        "{company} hasta el {until}.",
        "subject_extension_declined": "Ampliación rechazada: {company}",
        "body_extension_declined": "{vendor} ha rechazado la ampliación de su oportunidad con "
        "{company}. La protección termina el {until}.",
        "subject_expiry": "La protección de la oportunidad con {company} termina el {date}",
        "body_expiry": "La protección de su oportunidad registrada con {company} termina el "
        "{until}.",
        "expiry_hint": "Cierre la oportunidad antes de esa fecha o, si necesita más tiempo, "
        "solicite una ampliación.",
        "expiry_hint_no_extension": "Cierre la oportunidad antes de esa fecha.",
        "subject_review_overdue": "Revisión atrasada: registro de oportunidad de {partner} para "
        "{company}",
        "body_review_overdue": "El registro de la oportunidad con {company} de {partner} debía "
        "revisarse antes del {due}.",
        "review_hint": "Apruébelo, rechácelo o pida más información al partner.",
        "open": "Abrir el registro",
        "footer": "Este correo se ha enviado a {recipient}.",
    },
    "it": {
        "subject_approved": "Registrazione dell'opportunità approvata: {company}",
        "body_approved": "{vendor} ha approvato la sua registrazione dell'opportunità con "
        "{company}.",
        "body_auto_approved": "La sua registrazione dell'opportunità con {company} è stata "
        "approvata automaticamente.",
        "protected_until": "L'opportunità è protetta per la sua organizzazione fino al {until}.",
        "subject_rejected": "Registrazione dell'opportunità respinta: {company}",
        "body_rejected": "{vendor} ha respinto la sua registrazione dell'opportunità con "
        "{company}.",
        "reason": "Motivo: {reason}",
        "subject_info_requested": "Servono ulteriori informazioni: {company}",
        "body_info_requested": "{vendor} ha bisogno di ulteriori informazioni sulla sua "
        "registrazione dell'opportunità con {company}:",
        "answer_hint": "Risponda nel portale e invii di nuovo la registrazione.",
        "subject_extension_granted": "Protezione prorogata: {company}",
        "body_extension_granted": "{vendor} ha prorogato la protezione della sua opportunità "
        "con {company} fino al {until}.",
        "subject_extension_declined": "Proroga respinta: {company}",
        "body_extension_declined": "{vendor} ha respinto la proroga della sua opportunità con "
        "{company}. La protezione termina il {until}.",
        "subject_expiry": "La protezione dell'opportunità con {company} termina il {date}",
        "body_expiry": "La protezione della sua opportunità registrata con {company} termina "
        "il {until}.",
        "expiry_hint": "Chiuda l'opportunità entro quella data oppure, se le serve più tempo, "
        "richieda una proroga.",
        "expiry_hint_no_extension": "Chiuda l'opportunità entro quella data.",
        "subject_review_overdue": "Revisione in ritardo: registrazione dell'opportunità di "
        "{partner} per {company}",
        "body_review_overdue": "La registrazione dell'opportunità con {company} da parte di "
        "{partner} doveva essere esaminata entro il {due}.",
        "review_hint": "La approvi, la respinga o chieda ulteriori informazioni al partner.",
        "open": "Apri la registrazione",
        "footer": "Questa e-mail è stata inviata a {recipient}.",
    },
}

TEXT_LOCALES = tuple(_TEXTS)


def text_locale(locale: str | None) -> str:
    """The language of `locale` that has texts (`nl`, `nl-BE`, `de_AT` ...), English otherwise."""
    if not locale:
        return DEFAULT_LOCALE
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    return language if language in _TEXTS else DEFAULT_LOCALE


def registration_text(locale: str | None, key: str, **values: str) -> str:
    """One text in the language for `locale`, with its `{...}` values filled in."""
    return _TEXTS[text_locale(locale)][key].format(**values)
