"""The Événements tab, the phases card of the Résumé, the failed-action alert and the
dossier list's "Enregistrer l'entrée" for the checked dossiers."""

from django.db.models import Exists, OuterRef

from dossiers.extensions import (
    ActionGroupee,
    Onglet,
    SectionResume,
    enregistrer_action_groupee,
    enregistrer_annotation,
    enregistrer_onglet,
    enregistrer_recalcul,
    enregistrer_section,
)


def _action_en_echec():
    from evenements.models import ActionDeclenchee, EtatAction

    return Exists(
        ActionDeclenchee.objects.filter(evenement__dossier=OuterRef("pk"), etat=EtatAction.ECHEC)
    )


def _phases(request, dossier):
    from evenements import indicateurs
    from evenements.selectors import histoire_de_la_page

    return indicateurs.du_dossier(dossier, histoire_de_la_page(request, dossier)[1])


def _recalculer(dossier):
    from evenements.services import recalculer_dossier

    recalculer_dossier(dossier)


def enregistrer() -> None:
    enregistrer_recalcul(_recalculer)
    enregistrer_onglet(Onglet("evenements", "Événements", "evenements:onglet", ordre=10))
    enregistrer_section(
        SectionResume("phases", "evenements/_resume_phases.html", _phases, ordre=10)
    )
    enregistrer_annotation("a_une_action_en_echec", _action_en_echec)
    enregistrer_action_groupee(
        ActionGroupee(
            "entree",
            "Enregistrer l'entrée",
            "evenements:masse",
            ordre=10,
            permission="evenements.add_evenement",
        )
    )
