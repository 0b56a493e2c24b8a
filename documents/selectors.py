"""Reads with a rule: which documents a page lists, and the state each one is in.

The state is derived, never stored twice: annulé (voided), remplacé (a newer version
exists), à revoir (the action that made it is à revoir after its event was corrected),
valide otherwise.
"""

from django.db.models import Case, CharField, Exists, OuterRef, Value, When

from documents.models import Document
from evenements.models import EtatAction

ETATS = {
    "valide": "Valide",
    "a_revoir": "À revoir",
    "remplace": "Remplacé",
    "annule": "Annulé",
}


def avec_etat(documents):
    return documents.annotate(
        etat=Case(
            When(annule_le__isnull=False, then=Value("annule")),
            When(Exists(Document.objects.filter(remplace=OuterRef("pk"))), then=Value("remplace")),
            When(action__etat=EtatAction.A_REVOIR, then=Value("a_revoir")),
            default=Value("valide"),
            output_field=CharField(),
        )
    )


def documents_du_dossier(dossier):
    return avec_etat(
        Document.objects.filter(dossier=dossier).select_related("cree_par", "modele", "evenement")
    ).order_by("-cree_le", "-pk")
