"""Dossiers list and creation: search, filters, team scoping, constant query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dossiers.models import Dossier
from evenements.services import enregistrer_evenement
from tests.factories import BeneficiaireFactory, DossierFactory, PrestationFactory


def test_liste_ne_montre_que_les_dossiers_de_mes_equipes(client, alice, dossier, equipe_b):
    autre = DossierFactory(equipe=equipe_b)
    client.force_login(alice)
    page = client.get(reverse("dossiers:liste"))
    assert list(page.context["page"]) == [dossier]
    assert str(autre.beneficiaire) not in page.content.decode()
    assert client.get(reverse("dossiers:resume", args=[autre.pk])).status_code == 404


def test_administrateur_voit_toutes_les_equipes(client, administrateur, dossier, equipe_b):
    DossierFactory(equipe=equipe_b)
    client.force_login(administrateur)
    assert client.get(reverse("dossiers:liste")).context["page"].paginator.count == 2


def test_recherche_par_nom_et_filtre_par_statut(client, alice, equipe_a, types):
    dupont = DossierFactory(equipe=equipe_a, beneficiaire=BeneficiaireFactory(nom="Dupont"))
    DossierFactory(equipe=equipe_a, beneficiaire=BeneficiaireFactory(nom="Martin"))
    enregistrer_evenement(dossier=dupont, type_evenement=types["entree"], auteur=alice)
    client.force_login(alice)
    url = reverse("dossiers:liste")
    assert list(client.get(url, {"q": "dup"}).context["page"]) == [dupont]
    assert list(client.get(url, {"statut": "en_cours"}).context["page"]) == [dupont]
    assert "MARTIN" in client.get(url, {"statut": "a_venir"}).content.decode()


def test_liste_requetes_constantes_et_paginee(client, alice, equipe_a):
    client.force_login(alice)
    url = reverse("dossiers:liste")
    prestation = PrestationFactory()
    DossierFactory.create_batch(3, equipe=equipe_a, referent=alice, prestation=prestation)
    with CaptureQueriesContext(connection) as peu:
        client.get(url)
    DossierFactory.create_batch(40, equipe=equipe_a, referent=alice, prestation=prestation)
    with CaptureQueriesContext(connection) as beaucoup:
        reponse = client.get(url)
    assert len(beaucoup.captured_queries) == len(peu.captured_queries)
    assert len(reponse.context["page"]) == 25 and reponse.context["page"].paginator.num_pages == 2
    # the next page keeps the filters, not a page-wide "tout sélectionner"
    page = client.get(url, {"statut": "a_venir", "tout": "1"}).content.decode()
    assert 'href="?statut=a_venir&amp;page=2"' in page


def test_nouveau_dossier_avec_nouveau_beneficiaire(client, alice, equipe_a):
    prestation = PrestationFactory()
    client.force_login(alice)
    reponse = client.post(
        reverse("dossiers:nouveau"),
        {
            "prestation": prestation.pk,
            "equipe": equipe_a.pk,
            "referent": alice.pk,
            "b-nom": "Lefèvre",
            "b-prenom": "Inès",
            "b-mobile": "06 12 34 56 78",
            "b-consentement_email": "on",
        },
    )
    assert reponse.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.get_statut_display() == "À venir"
    assert str(dossier.beneficiaire.mobile) == "+33612345678"  # stored in E.164
    assert dossier.heures_prevues == 120


def test_mobile_invalide_message_a_cote_du_champ(client, alice, equipe_a):
    client.force_login(alice)
    reponse = client.post(
        reverse("dossiers:nouveau"),
        {
            "prestation": PrestationFactory().pk,
            "equipe": equipe_a.pk,
            "referent": alice.pk,
            "b-nom": "X",
            "b-prenom": "Y",
            "b-mobile": "12",
        },
    )
    assert reponse.status_code == 200
    assert reponse.context["form_beneficiaire"].errors["mobile"]
    assert not Dossier.objects.exists()


def test_second_dossier_ouvert_refuse(client, alice, dossier):
    client.force_login(alice)
    reponse = client.post(
        reverse("dossiers:nouveau"),
        {
            "beneficiaire": dossier.beneficiaire.pk,
            "prestation": dossier.prestation.pk,
            "equipe": dossier.equipe.pk,
            "referent": alice.pk,
        },
    )
    assert reponse.status_code == 200
    assert "a déjà un dossier ouvert" in reponse.context["form"].errors["prestation"][0]
    assert Dossier.objects.count() == 1


@pytest.mark.parametrize("statut_final", ["sortie-positive"])
def test_nouveau_dossier_possible_apres_la_sortie(alice, dossier, types, statut_final):
    from dossiers.services import creer_dossier

    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    enregistrer_evenement(dossier=dossier, type_evenement=types[statut_final], auteur=alice)
    nouveau = creer_dossier(
        beneficiaire=dossier.beneficiaire,
        prestation=dossier.prestation,
        equipe=dossier.equipe,
        referent=alice,
        par=alice,
    )
    assert nouveau.pk != dossier.pk


def test_resume_montre_duree_et_phases(client, alice, dossier, types, aujourd_hui):
    import datetime

    phases = list(dossier.prestation.phases.all())
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["entree"],
        auteur=alice,
        date=aujourd_hui - datetime.timedelta(days=20),
    )
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["changement-phase"],
        auteur=alice,
        date=aujourd_hui - datetime.timedelta(days=5),
        valeurs={"nouvelle_phase": phases[1].pk},
    )
    client.force_login(alice)
    reponse = client.get(reverse("dossiers:resume", args=[dossier.pk]))
    sections = dict(reponse.context["sections"])
    sejours = sections["evenements/_resume_phases.html"]["sejours"]
    assert sejours[0][1] == 15 and sejours[1][1] == 5
    page = reponse.content.decode()
    assert "20 jours" in page and "Phase d&#x27;accompagnement" in page


def test_resume_accorde_ne_avec_la_civilite(client, alice, dossier):
    import datetime

    beneficiaire = dossier.beneficiaire
    beneficiaire.civilite, beneficiaire.prenom, beneficiaire.nom = "mme", "Léa", "Martin"
    beneficiaire.date_naissance = datetime.date(1990, 3, 4)
    beneficiaire.save()
    client.force_login(alice)
    contenu = client.get(reverse("dossiers:resume", args=[dossier.pk])).content.decode()
    assert "Madame Léa Martin, née le 04/03/1990" in contenu


def test_resume_lit_l_historique_une_fois_et_en_requetes_constantes(
    client, alice, dossier, types, aujourd_hui
):
    """The Résumé's two cards (phases, indicators) share one read and one replay of the
    history; more events, same queries."""
    import datetime

    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["entree"],
        auteur=alice,
        date=aujourd_hui - datetime.timedelta(days=30),
    )
    client.force_login(alice)
    url = reverse("dossiers:resume", args=[dossier.pk])
    client.get(url)  # the per-process configuration caches, warm

    def historiques(requetes):
        return [
            q["sql"]
            for q in requetes.captured_queries
            if q["sql"].startswith('SELECT "evenements_evenement"."id"')
            and 'FROM "evenements_evenement"' in q["sql"]
        ]

    with CaptureQueriesContext(connection) as peu:
        assert client.get(url).status_code == 200
    for jours in range(29, 19, -1):
        enregistrer_evenement(
            dossier=dossier,
            type_evenement=types["validation-etape"],
            auteur=alice,
            date=aujourd_hui - datetime.timedelta(days=jours),
            valeurs={"etape": f"Étape {jours}"},
        )
    with CaptureQueriesContext(connection) as beaucoup:
        reponse = client.get(url)
    assert len(beaucoup.captured_queries) == len(peu.captured_queries)
    assert len(historiques(beaucoup)) == 1
    sections = dict(reponse.context["sections"])
    assert sections["seances/_resume_indicateurs.html"]["total"].objectifs_valides == 10
    assert sections["evenements/_resume_phases.html"]["duree_jours"] == 30
