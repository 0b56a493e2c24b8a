"""Default notifications of the built-in event types, in French.

Used by a data migration and by the tests (a transactional test flushes migrated data).
"""

SIGNATURE = "\n\nCordialement,\n{{ referent.nom }}"
QUI = "{{ beneficiaire.civilite }} {{ beneficiaire.prenom }} {{ beneficiaire.nom }}"
COMMENTAIRE = (
    "{% if evenement.commentaire %}\n\nCommentaire : {{ evenement.commentaire }}{% endif %}"
)

DEFAUTS = [
    # type, destinataire, liée à la date, délai, sujet, corps
    (
        "entree",
        "financeur",
        True,
        2,
        "Entrée en prestation : {{ beneficiaire.prenom }} {{ beneficiaire.nom }}",
        "Bonjour,\n\nNous vous informons de l'entrée en prestation de "
        + QUI
        + " le {{ evenement.date }} (prestation « {{ prestation.nom }} »)."
        + COMMENTAIRE
        + SIGNATURE,
    ),
    (
        "entree",
        "beneficiaire",
        False,
        0,
        "Votre parcours « {{ prestation.nom }} » commence",
        "Bonjour {{ beneficiaire.prenom }},\n\nVotre parcours « {{ prestation.nom }} » a "
        "commencé le {{ evenement.date }}. Votre référent est {{ referent.nom }}"
        "{% if referent.email %} ({{ referent.email }}){% endif %}." + SIGNATURE,
    ),
    (
        "sortie-positive",
        "financeur",
        False,
        0,
        "Sortie positive : {{ beneficiaire.prenom }} {{ beneficiaire.nom }}",
        "Bonjour,\n\n" + QUI + " a terminé la prestation « {{ prestation.nom }} » le "
        "{{ evenement.date }} (entrée le {{ dossier.date_entree }})."
        "{% if evenement.motif %}\nType de sortie : {{ evenement.motif }}.{% endif %}"
        + COMMENTAIRE
        + SIGNATURE,
    ),
    (
        "abandon",
        "financeur",
        False,
        0,
        "Abandon : {{ beneficiaire.prenom }} {{ beneficiaire.nom }}",
        "Bonjour,\n\nNous vous informons de l'abandon de " + QUI + " le {{ evenement.date }} "
        "(prestation « {{ prestation.nom }} »).\nMotif : {{ evenement.motif }}."
        + COMMENTAIRE
        + SIGNATURE,
    ),
    (
        "rupture",
        "financeur",
        False,
        0,
        "Rupture de parcours : {{ beneficiaire.prenom }} {{ beneficiaire.nom }}",
        "Bonjour,\n\nLe parcours de " + QUI + " (prestation « {{ prestation.nom }} ») a été "
        "rompu le {{ evenement.date }}.{% if evenement.motif %}\nMotif : {{ evenement.motif }}."
        "{% endif %}" + COMMENTAIRE + SIGNATURE,
    ),
    (
        "rupture",
        "equipe",
        False,
        0,
        "Rupture sur le dossier de {{ beneficiaire.prenom }} {{ beneficiaire.nom }}",
        "Rupture enregistrée le {{ evenement.date }} sur le dossier de "
        + QUI
        + " : pensez au suivi."
        + COMMENTAIRE,
    ),
]


def canal_par_defaut(destinataire: str) -> str:
    """Team notifications are in-app alerts: every member sees them, address or not."""
    return "alerte" if destinataire == "equipe" else "email"


def alertes_pour_l_equipe(apps, schema_editor=None):
    """The built-in team notifications move from e-mail to in-app alerts."""
    ModeleNotification = apps.get_model("notifications", "ModeleNotification")
    for code, destinataire, *_ in DEFAUTS:
        if canal_par_defaut(destinataire) == "alerte":
            ModeleNotification.objects.filter(
                type_evenement__code=code, destinataire=destinataire, canal="email"
            ).update(canal="alerte")


def creer(apps, schema_editor=None):
    TypeEvenement = apps.get_model("evenements", "TypeEvenement")
    ModeleNotification = apps.get_model("notifications", "ModeleNotification")
    for ordre, (code, destinataire, liee, delai, sujet, corps) in enumerate(DEFAUTS, start=1):
        type_evenement = TypeEvenement.objects.filter(code=code).first()
        if type_evenement is None:
            continue
        ModeleNotification.objects.get_or_create(
            type_evenement=type_evenement,
            destinataire=destinataire,
            canal=canal_par_defaut(destinataire),
            defaults={
                "nature": "notification",
                "liee_a_la_date": liee,
                "delai_tolere_jours": delai,
                "sujet": sujet,
                "corps": corps,
                "ordre": ordre,
            },
        )
