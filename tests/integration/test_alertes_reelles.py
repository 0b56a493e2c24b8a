"""An in-app alert goes through the real pipeline: PostgreSQL, Redis and a Celery worker."""

import pytest

from evenements.models import ActionDeclenchee, EtatAction
from evenements.services import enregistrer_evenement
from notifications.models import Alerte, Envoi
from tests.conftest import jours
from tests.integration.conftest import attendre

pytestmark = pytest.mark.django_db(transaction=True)


def test_rupture_le_worker_remet_les_alertes_a_l_equipe(
    lancer_worker, smtp, dossier, types, alice, rose, motif_rupture, aujourd_hui
):
    lancer_worker()
    enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(9)
    )
    rupture = enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["rupture"],
        auteur=alice,
        motif=motif_rupture,
        commentaire="Arrêt décidé par le financeur",
    )
    attendre(
        lambda: Alerte.objects.filter(dossier=dossier).count() == 2,
        message=f"alertes non remises : {list(rupture.actions.values('etat', 'derniere_erreur'))}",
    )
    assert set(Alerte.objects.values_list("utilisateur__username", flat=True)) == {"alice", "rose"}
    action = ActionDeclenchee.objects.get(
        evenement=rupture, configuration__modelenotification__canal="alerte"
    )
    attendre(lambda: ActionDeclenchee.objects.get(pk=action.pk).etat == EtatAction.EXECUTEE)
    assert Envoi.objects.filter(action=action, canal="alerte", etat="envoye").count() == 2
    assert not [m for m in smtp.messages if "Rupture sur le dossier" in m["Subject"]]
