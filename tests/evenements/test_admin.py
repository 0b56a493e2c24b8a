"""The Django admin is another way in: it goes through the same services."""

from django.urls import reverse

from dossiers.models import Statut
from evenements.models import Evenement, Motif
from evenements.services import enregistrer_evenement


def test_admin_enregistre_via_le_service(client, administrateur, dossier, types, aujourd_hui):
    client.force_login(administrateur)
    reponse = client.post(
        reverse("admin:evenements_evenement_add"),
        {
            "dossier": dossier.pk,
            "type_evenement": types["entree"].pk,
            "date": aujourd_hui.strftime("%d/%m/%Y"),
            "commentaire": "Depuis l'admin",
        },
    )
    assert reponse.status_code == 302, reponse.content.decode()[:3000]
    dossier.refresh_from_db()
    assert dossier.statut == Statut.EN_COURS  # the replay ran
    assert Evenement.objects.get().auteur == administrateur


def test_admin_refuse_ce_que_refuse_le_service(client, administrateur, dossier, types, aujourd_hui):
    client.force_login(administrateur)
    reponse = client.post(
        reverse("admin:evenements_evenement_add"),
        {
            "dossier": dossier.pk,
            "type_evenement": types["abandon"].pk,
            "date": aujourd_hui.strftime("%d/%m/%Y"),
        },
    )
    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert "Motif obligatoire" in page
    assert not Evenement.objects.exists()


def test_admin_ne_supprime_pas_physiquement(client, administrateur, dossier, types):
    evenement = enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=administrateur
    )
    client.force_login(administrateur)
    reponse = client.post(
        reverse("admin:evenements_evenement_delete", args=[evenement.pk]), {"post": "yes"}
    )
    assert reponse.status_code == 403
    assert Evenement.objects.filter(pk=evenement.pk).exists()


def test_motif_utilise_ne_peut_etre_supprime(client, administrateur, dossier, types, motif_abandon):
    types["abandon"].statuts_autorises = ["a_venir"]
    types["abandon"].save()
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["abandon"],
        auteur=administrateur,
        motif=motif_abandon,
    )
    client.force_login(administrateur)
    url = reverse("admin:evenements_motifabandon_delete", args=[motif_abandon.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Motif.objects.filter(pk=motif_abandon.pk).exists()
    libre = Motif.objects.get(liste="abandon", code="autre")
    url = reverse("admin:evenements_motifabandon_delete", args=[libre.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302


def test_admin_type_evenement_avec_champs(client, administrateur):
    client.force_login(administrateur)
    reponse = client.post(
        reverse("admin:evenements_typeevenement_add"),
        {
            "libelle": "Changement de financeur",
            "code": "changement-financeur",
            "effet": "aucun",
            "actif": "on",
            "ordre": 70,
            "toutes_prestations": "on",
            "statuts_autorises": ["en_cours"],
            "motif": "non_demande",
            "liste_motifs": "",
            "champs-TOTAL_FORMS": 1,
            "champs-INITIAL_FORMS": 0,
            "champs-0-ordre": 1,
            "champs-0-libelle": "Nouveau financeur",
            "champs-0-code": "nouveau_financeur",
            "champs-0-nature": "financeur",
            "champs-0-obligatoire": "on",
            "actions-TOTAL_FORMS": 0,
            "actions-INITIAL_FORMS": 0,
            "documents_generes-TOTAL_FORMS": 0,
            "documents_generes-INITIAL_FORMS": 0,
        },
    )
    assert reponse.status_code == 302, reponse.content.decode()[:2000]
    from evenements.models import TypeEvenement

    nouveau = TypeEvenement.objects.get(code="changement-financeur")
    assert nouveau.statuts_autorises == ["en_cours"]
    assert nouveau.champs.get().nature == "financeur"


def test_conseiller_n_a_pas_acces_a_l_admin(client, alice):
    client.force_login(alice)
    assert client.get(reverse("admin:index")).status_code == 302
