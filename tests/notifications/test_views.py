"""Actions and deliveries as users see them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evenements.models import ActionDeclenchee, EtatAction
from evenements.services import enregistrer_evenement
from notifications.admin import ModeleNotificationForm
from notifications.models import ModeleNotification
from tests.factories import DossierFactory


@pytest.fixture
def entree_en_echec(dossier, types, alice):
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    ActionDeclenchee.objects.filter(evenement=entree).update(
        etat=EtatAction.ECHEC, tentatives=5, derniere_erreur="Serveur d'e-mail indisponible"
    )
    return entree


def test_apercu_avant_d_enregistrer(client, alice, dossier, types):
    client.force_login(alice)
    page = client.get(
        reverse("evenements:nouveau", args=[dossier.pk]), {"type_evenement": types["entree"].pk}
    ).content.decode()
    assert "Cet événement va : passer le dossier en « En cours »" in page
    assert (
        f"envoyer un e-mail au financeur {dossier.financeur} (le jour de l&#x27;événement)" in page
    )
    beneficiaire = dossier.beneficiaire
    assert f"envoyer un e-mail au bénéficiaire {beneficiaire.prenom} {beneficiaire.nom}" in page


def test_badges_et_detail_des_actions(
    client, alice, dossier, types, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entree = enregistrer_evenement(
            dossier=dossier, type_evenement=types["entree"], auteur=alice
        )
    client.force_login(alice)
    onglet = client.get(reverse("evenements:onglet", args=[dossier.pk])).content.decode()
    assert onglet.count('class="badge action-executee"') == 2
    detail = client.get(reverse("evenements:detail", args=[entree.pk])).content.decode()
    assert f"E-mail envoyé à {dossier.financeur.emails[0]} le" in detail


def test_relancer_reserve_aux_responsables(client, alice, rose, entree_en_echec):
    url = reverse("evenements:detail", args=[entree_en_echec.pk])
    client.force_login(alice)
    assert "Relancer" not in client.get(url).content.decode()
    action = entree_en_echec.actions.first()
    relance = reverse("evenements:operer_action", args=[action.pk, "relancer"])
    assert client.post(relance).status_code == 403
    client.force_login(rose)
    page = client.get(url).content.decode()
    assert "Relancer" in page and "Serveur d&#x27;e-mail indisponible" in page
    assert client.post(relance).status_code == 302
    action.refresh_from_db()
    assert action.etat == EtatAction.A_EXECUTER and action.tentatives == 0


def test_operation_impossible_message_clair(client, rose, entree_en_echec):
    action = entree_en_echec.actions.first()
    client.force_login(rose)
    reponse = client.post(
        reverse("evenements:operer_action", args=[action.pk, "annuler"]), follow=True
    )
    assert "Impossible : l&#x27;action est maintenant « Échec »." in reponse.content.decode()


def test_entete_signale_l_echec_et_page_des_echecs(
    client, rose, charlie, entree_en_echec, equipe_b, types
):
    autre = DossierFactory(equipe=equipe_b)
    autre_entree = enregistrer_evenement(
        dossier=autre, type_evenement=types["entree"], auteur=charlie
    )
    ActionDeclenchee.objects.filter(evenement=autre_entree).update(etat=EtatAction.ECHEC)
    client.force_login(rose)
    resume = client.get(reverse("dossiers:resume", args=[entree_en_echec.dossier_id]))
    assert "Une action automatique de ce dossier est en échec" in resume.content.decode()
    page = client.get(reverse("evenements:actions_en_echec"))
    assert {a.evenement_id for a in page.context["page"]} == {entree_en_echec.pk}  # his teams


def test_conseiller_n_a_pas_la_page_des_echecs(client, alice):
    client.force_login(alice)
    assert client.get(reverse("evenements:actions_en_echec")).status_code == 403


def test_journal_des_envois(client, alice, dossier, types, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    client.force_login(alice)
    page = client.get(reverse("notifications:envois", args=[dossier.pk])).content.decode()
    assert dossier.financeur.emails[0] in page and "Envoyé" in page
    assert f"Entrée en prestation : {dossier.beneficiaire.prenom}" in page


def test_historique_avec_actions_requetes_constantes(client, alice, dossier, types):
    ModeleNotification.objects.create(
        type_evenement=types["validation-etape"],
        destinataire="referent",
        sujet="Étape",
        corps="{{ evenement.type }}",
    )
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    client.force_login(alice)
    url = reverse("evenements:onglet", args=[dossier.pk])
    with CaptureQueriesContext(connection) as peu:
        client.get(url)
    for i in range(6):
        enregistrer_evenement(
            dossier=dossier,
            type_evenement=types["validation-etape"],
            auteur=alice,
            valeurs={"etape": f"Étape {i}"},
        )
    with CaptureQueriesContext(connection) as beaucoup:
        reponse = client.get(url)
    assert ActionDeclenchee.objects.filter(evenement__dossier=dossier).count() == 8
    assert reponse.content.decode().count("action-a_executer") == 8
    assert len(beaucoup.captured_queries) == len(peu.captured_queries)


def test_gabarit_invalide_refuse_a_cote_du_champ(types):
    form = ModeleNotificationForm(
        data={
            "destinataire": "financeur",
            "canal": "email",
            "sujet": "{% if %}",
            "corps": "Bonjour {{ beneficiaire.prenom|filtre_inconnu }}",
            "actif": "on",
            "delai_tolere_jours": 0,
            "ordre": 1,
        },
        instance=ModeleNotification(type_evenement=types["entree"]),
    )
    assert not form.is_valid()
    assert form.errors["sujet"][0].startswith("Gabarit invalide")
    assert form.errors["corps"][0].startswith("Gabarit invalide")


def test_admin_apercu_avec_le_dernier_evenement(client, administrateur, types, dossier, alice):
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    client.force_login(administrateur)
    url = reverse("admin:evenements_typeevenement_change", args=[types["entree"].pk])
    page = client.get(url).content.decode()
    assert "Aperçu (dernier événement de ce type" in page
    assert f"Entrée en prestation : {dossier.beneficiaire.prenom}" in page


def test_journaux_en_lecture_seule_dans_l_admin(client, administrateur, entree_en_echec):
    action = entree_en_echec.actions.first()
    client.force_login(administrateur)
    assert client.get(reverse("admin:evenements_actiondeclenchee_changelist")).status_code == 200
    url = reverse("admin:evenements_actiondeclenchee_delete", args=[action.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert ActionDeclenchee.objects.filter(pk=action.pk).exists()
    assert client.get(reverse("admin:notifications_envoi_add")).status_code == 403


def test_onglet_envois_pagine_et_montre_les_liens_d_emargement(
    client, alice, dossier, django_assert_num_queries
):
    import datetime

    from django.utils import timezone

    from notifications.models import Envoi
    from seances.models import JetonEmargement
    from seances.services import creer_seance
    from tests.factories import TypeSeanceFactory

    Envoi.objects.bulk_create(
        Envoi(
            dossier=dossier,
            canal="email",
            destinataire="Financeur",
            adresse="contact@financeur.fr",
            sujet=f"Message n°{i:02d}",
            corps="Bonjour",
            cle=f"test-{i}",
        )
        for i in range(51)
    )
    seance = creer_seance(
        type_seance=TypeSeanceFactory(prestation=dossier.prestation, libelle="Atelier CV"),
        date=timezone.localdate(),
        heure_debut=datetime.time(9),
        heure_fin=datetime.time(12),
        animateur=alice,
        dossiers=[dossier],
        par=alice,
        lieu="Salle 1",
    ).seance
    JetonEmargement.objects.create(
        participation=seance.participations.get(),
        demi_journee="matin",
        nonce="n-1",
        expire_le=timezone.now() + datetime.timedelta(hours=72),
        cree_par=alice,
        canal="sms",
        adresse="+33639980001",
    )
    client.force_login(alice)
    url = reverse("notifications:envois", args=[dossier.pk])
    premiere = client.get(url).content.decode()
    assert "Message n°50" in premiere and "Message n°00" not in premiere
    assert "Page 1 sur 2" in premiere and '?page=2"' in premiere
    assert "Liens d'émargement" in premiere and "+33639980001" in premiere
    assert "Atelier CV du" in premiere and "valable jusqu'au" in premiere
    with CaptureQueriesContext(connection) as requetes:
        seconde = client.get(url, {"page": 2}).content.decode()
    assert "Message n°00" in seconde and "Message n°50" not in seconde
    JetonEmargement.objects.create(
        participation=seance.participations.get(),
        demi_journee="apres_midi",
        nonce="n-2",
        expire_le=timezone.now() + datetime.timedelta(hours=72),
        cree_par=alice,
        canal="email",
        adresse="lea@exemple.fr",
    )
    with django_assert_num_queries(len(requetes)):  # one more link, no more queries
        client.get(url, {"page": 2})
