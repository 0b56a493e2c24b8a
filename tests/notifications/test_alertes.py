"""In-app alerts: a channel of the notification pipeline (same outbox, same Envoi log),
per user, with an unread count in the header, a list, and marking as read."""

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evenements.models import EtatAction
from evenements.services import enregistrer_evenement, modifier_evenement
from notifications.models import Alerte, Envoi, ModeleNotification
from notifications.referentiel import alertes_pour_l_equipe
from tests.conftest import jours
from tests.factories import DossierFactory

Canal = ModeleNotification.Canal


@pytest.fixture
def rupture(django_capture_on_commit_callbacks, types, alice, motif_rupture, aujourd_hui):
    """Entry then rupture on a dossier of team A; the built-in team notice is an alert."""

    def rupture(dossier, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            enregistrer_evenement(
                dossier=dossier,
                type_evenement=types["entree"],
                auteur=alice,
                date=aujourd_hui - jours(20),
            )
        with django_capture_on_commit_callbacks(execute=True):
            return enregistrer_evenement(
                dossier=dossier,
                type_evenement=types["rupture"],
                auteur=alice,
                date=aujourd_hui,
                motif=motif_rupture,
                commentaire="Arrêt décidé par le financeur",
                **kwargs,
            )

    return rupture


def test_la_notification_a_l_equipe_est_une_alerte_par_defaut(types):
    modele = ModeleNotification.objects.get(type_evenement=types["rupture"], destinataire="equipe")
    assert modele.canal == Canal.ALERTE


def test_migration_passe_la_notification_d_equipe_en_alerte(types):
    ModeleNotification.objects.filter(destinataire="equipe").update(canal="email")
    alertes_pour_l_equipe(apps)
    modele = ModeleNotification.objects.get(type_evenement=types["rupture"], destinataire="equipe")
    assert modele.canal == Canal.ALERTE


def test_rupture_alerte_chaque_membre_meme_sans_adresse(rupture, dossier, alice, bob, rose):
    bob.email = ""
    bob.save()
    evenement = rupture(dossier)
    alertes = Alerte.objects.filter(dossier=dossier).order_by("utilisateur__username")
    assert [a.utilisateur for a in alertes] == [alice, bob, rose]
    alerte = alertes[1]
    assert alerte.titre == f"Rupture sur le dossier de {dossier.beneficiaire.prenom} " + (
        dossier.beneficiaire.nom
    )
    assert "pensez au suivi" in alerte.message and not alerte.est_lue
    # Same pipeline, same delivery log.
    action = evenement.actions.get(configuration__modelenotification__canal=Canal.ALERTE)
    assert action.etat == EtatAction.EXECUTEE
    assert action.resultat.startswith("Alerte remise à alice, bob, rose")
    envoi = Envoi.objects.get(alerte=alerte)
    assert (envoi.canal, envoi.etat, envoi.adresse) == ("alerte", Envoi.Etat.ENVOYE, "bob")
    # No e-mail to the team any more.
    assert not [m for m in mail.outbox if "Rupture sur le dossier" in m.subject]


def test_une_seule_alerte_par_envoi_meme_rejouee(rupture, dossier, alice):
    from notifications.canaux import CanalAlerte, Message

    rupture(dossier)
    envoi = Envoi.objects.get(alerte__utilisateur=alice)
    CanalAlerte().envoyer(Message(cle=envoi.cle, adresse="alice", sujet="x", corps="y"))
    assert Alerte.objects.filter(utilisateur=alice).count() == 1


def test_correction_d_une_alerte_va_aux_memes_personnes(
    rupture,
    dossier,
    alice,
    rose,
    types,
    motif_rupture,
    aujourd_hui,
    django_capture_on_commit_callbacks,
):
    from evenements import pipeline

    evenement = rupture(dossier)
    modifier_evenement(
        evenement=evenement,
        par=rose,
        raison="Précision",
        type_evenement=types["rupture"],
        date=aujourd_hui,
        motif=motif_rupture,
        commentaire="Arrêt décidé par le financeur le 3",
    )
    action = evenement.actions.get(
        etat=EtatAction.A_REVOIR, configuration__modelenotification__canal="alerte"
    )
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.compenser(action=action, par=rose)
    corrections = Alerte.objects.filter(utilisateur=alice, titre__startswith="Correction")
    assert corrections.count() == 1 and "le 3" in corrections.get().message


def test_une_alerte_ne_va_qu_au_referent_ou_a_l_equipe(types):
    modele = ModeleNotification(
        type_evenement=types["entree"], destinataire="financeur", canal=Canal.ALERTE, corps="x"
    )
    with pytest.raises(ValidationError) as refus:
        modele.full_clean()
    assert "ne s'adresse qu'au référent ou à l'équipe" in refus.value.message_dict["canal"][0]


def test_alerte_au_referent_dans_une_configuration_quelconque(
    django_capture_on_commit_callbacks, dossier, types, alice
):
    ModeleNotification.objects.create(
        type_evenement=types["entree"],
        destinataire="referent",
        canal=Canal.ALERTE,
        sujet="Entrée de {{ beneficiaire.prenom }}",
        corps="Le parcours commence.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    alerte = Alerte.objects.get(utilisateur=alice)
    assert alerte.titre == f"Entrée de {dossier.beneficiaire.prenom}"


# --- the screens ---


def test_compteur_dans_l_en_tete_et_liste(client, rupture, dossier, alice, bob):
    rupture(dossier)
    client.force_login(bob)
    page = client.get(reverse("dossiers:liste")).content.decode()
    assert 'id="alertes-non-lues"' in page and 'title="1 alerte non lue"' in page
    liste = client.get(reverse("notifications:alertes"))
    assert [a.utilisateur for a in liste.context["page"]] == [bob]
    assert "Rupture sur le dossier" in liste.content.decode()


def test_marquer_une_alerte_lue_puis_toutes(client, rupture, dossier, alice, equipe_a):
    rupture(dossier)
    rupture(DossierFactory(equipe=equipe_a, referent=alice))
    client.force_login(alice)
    une, autre = Alerte.objects.filter(utilisateur=alice)
    reponse = client.post(reverse("notifications:marquer_lue", args=[une.pk]))
    assert reponse.url == reverse("notifications:alertes")
    assert Alerte.objects.get(pk=une.pk).est_lue and not Alerte.objects.get(pk=autre.pk).est_lue
    page = client.get(reverse("dossiers:liste")).content.decode()
    assert 'title="1 alerte non lue"' in page
    client.post(reverse("notifications:tout_marquer_lu"))
    assert not Alerte.objects.filter(utilisateur=alice, lue_le__isnull=True).exists()
    assert 'id="alertes-non-lues"' not in client.get(reverse("dossiers:liste")).content.decode()
    # Read alerts stay, behind "Afficher aussi les alertes lues".
    assert len(client.get(reverse("notifications:alertes")).context["page"]) == 0
    assert len(client.get(reverse("notifications:alertes"), {"toutes": "1"}).context["page"]) == 2


def test_ouvrir_marque_lue_et_mene_au_dossier(client, rupture, dossier, alice):
    rupture(dossier)
    alerte = Alerte.objects.get(utilisateur=alice)
    client.force_login(alice)
    reponse = client.post(reverse("notifications:marquer_lue", args=[alerte.pk]), {"ouvrir": "1"})
    assert reponse.url == reverse("dossiers:resume", args=[dossier.pk])
    assert Alerte.objects.get(pk=alerte.pk).est_lue


def test_on_ne_touche_pas_aux_alertes_des_autres(client, rupture, dossier, alice, charlie):
    rupture(dossier)
    alerte = Alerte.objects.get(utilisateur=alice)
    client.force_login(charlie)
    assert client.post(reverse("notifications:marquer_lue", args=[alerte.pk])).status_code == 404
    client.post(reverse("notifications:tout_marquer_lu"))
    assert not Alerte.objects.get(pk=alerte.pk).est_lue
    assert len(client.get(reverse("notifications:alertes")).context["page"]) == 0


def test_compteur_et_liste_en_requetes_constantes(
    client, rupture, alice, equipe_a, django_assert_num_queries
):
    client.force_login(alice)
    url = reverse("notifications:alertes")
    rupture(DossierFactory(equipe=equipe_a, referent=alice))
    client.get(url)
    with CaptureQueriesContext(connection) as peu:
        client.get(url)
    for _ in range(6):
        rupture(DossierFactory(equipe=equipe_a, referent=alice))
    with django_assert_num_queries(len(peu.captured_queries)) as beaucoup:
        reponse = client.get(url)
    assert len(reponse.context["page"]) == 7
    comptes = [q["sql"] for q in beaucoup.captured_queries if "notifications_alerte" in q["sql"]]
    assert len(comptes) == 3  # header count, page count, page rows


def test_compteur_de_l_en_tete_une_seule_requete(client, alice):
    client.force_login(alice)
    url = reverse("dossiers:liste")
    client.get(url)
    with CaptureQueriesContext(connection) as capture:
        client.get(url)
    alertes = [q for q in capture.captured_queries if "notifications_alerte" in q["sql"]]
    assert len(alertes) == 1


def test_utilisateur_desactive_pas_d_alerte(rupture, dossier, bob):
    bob.is_active = False
    bob.save()
    rupture(dossier)
    assert not Alerte.objects.filter(utilisateur=bob).exists()


def test_formulaire_d_administration_d_une_alerte(types):
    from notifications.admin import ModeleNotificationForm

    donnees = {
        "destinataire": "beneficiaire",
        "canal": "alerte",
        "corps": "Bonjour",
        "actif": "on",
        "delai_tolere_jours": 0,
        "ordre": 0,
    }
    form = ModeleNotificationForm(
        donnees, instance=ModeleNotification(type_evenement=types["entree"])
    )
    assert not form.is_valid()
    assert "ne s'adresse qu'au référent ou à l'équipe" in form.errors["canal"][0]
    assert form.errors["sujet"] == ["Une alerte a besoin d'un sujet : c'est son titre."]
    donnees.update(destinataire="equipe", sujet="Entrée de {{ beneficiaire.prenom }}")
    form = ModeleNotificationForm(
        donnees, instance=ModeleNotification(type_evenement=types["entree"])
    )
    assert form.is_valid(), form.errors
