"""The Événements tab and its forms, through the Django test client."""

import pytest
from django.urls import reverse

from dossiers.models import PreferencesUtilisateur, Statut
from evenements.models import Evenement
from evenements.services import enregistrer_evenement
from tests.conftest import jours


@pytest.fixture
def client_alice(client, alice):
    client.force_login(alice)
    return client


def url_nouveau(dossier):
    return reverse("evenements:nouveau", args=[dossier.pk])


def test_onglet_evenements_propose_nouvel_evenement(client_alice, dossier):
    page = client_alice.get(reverse("evenements:onglet", args=[dossier.pk])).content.decode()
    assert "Événements" in page and "+ Nouvel événement" in page


def test_formulaire_par_defaut_date_du_jour_et_types_du_statut(client_alice, dossier, aujourd_hui):
    page = client_alice.get(url_nouveau(dossier)).content.decode()
    assert "Type d&#x27;événement" in page and "Date de l&#x27;événement" in page
    assert f'value="{aujourd_hui:%Y-%m-%d}"' in page
    assert ">Entrée en prestation</option>" in page
    assert ">Sortie positive</option>" not in page  # not allowed while "À venir"


def test_choisir_un_type_fait_apparaitre_ses_champs(client_alice, dossier, types, alice):
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    reponse = client_alice.get(
        url_nouveau(dossier),
        {"type_evenement": types["changement-phase"].pk},
        headers={"HX-Request": "true"},
    )
    fragment = reponse.content.decode()
    assert "<html" not in fragment  # HTMX gets the form part only
    assert "Nouvelle phase" in fragment and "Phase d&#x27;accompagnement" in fragment
    assert "Informations complémentaires" in fragment
    assert "changer la phase courante du dossier" in fragment
    page = client_alice.get(url_nouveau(dossier), {"type_evenement": types["abandon"].pk})
    assert "<html" in page.content.decode() and 'name="motif"' in page.content.decode()


def test_entree_via_le_formulaire(client_alice, dossier, types, aujourd_hui):
    reponse = client_alice.post(
        url_nouveau(dossier),
        {"type_evenement": types["entree"].pk, "date": aujourd_hui - jours(2), "commentaire": "Ok"},
    )
    assert reponse.status_code == 302
    dossier.refresh_from_db()
    assert dossier.statut == Statut.EN_COURS


def test_abandon_sans_motif_erreur_en_francais_a_cote_du_champ(
    client_alice, dossier, types, alice, aujourd_hui
):
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    reponse = client_alice.post(
        url_nouveau(dossier),
        {"type_evenement": types["abandon"].pk, "date": aujourd_hui, "commentaire": "Parti"},
    )
    assert reponse.status_code == 200
    form = reponse.context["form"]
    assert form.errors["motif"] == ["Motif obligatoire."]
    assert "Parti" in reponse.content.decode()  # nothing typed is lost
    assert Evenement.objects.count() == 1


def test_date_invalide_message_en_francais(client_alice, dossier, types):
    reponse = client_alice.post(
        url_nouveau(dossier), {"type_evenement": types["entree"].pk, "date": "31/02/2026"}
    )
    assert reponse.status_code == 200
    assert reponse.context["form"].errors["date"] == ["Saisissez une date valide."]


def test_histoire_illegale_est_expliquee(client_alice, dossier, types, alice, aujourd_hui):
    enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui
    )
    reponse = client_alice.post(
        url_nouveau(dossier),
        {"type_evenement": types["sortie-positive"].pk, "date": aujourd_hui - jours(5)},
    )
    erreurs = reponse.context["form"].errors["date"]
    assert "aucune entrée enregistrée avant" in erreurs[0]


def test_commentaire_est_echappe(client_alice, dossier, types, alice):
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["entree"],
        auteur=alice,
        commentaire="<script>alert('x')</script>",
    )
    page = client_alice.get(reverse("evenements:onglet", args=[dossier.pk])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_ordre_choisi_est_memorise(client_alice, dossier, types, alice, aujourd_hui):
    enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(9)
    )
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["validation-etape"],
        auteur=alice,
        valeurs={"etape": "CV"},
    )
    url = reverse("evenements:onglet", args=[dossier.pk])
    codes = lambda r: [ligne.evenement.type_evenement.code for ligne in r.context["lignes"]]  # noqa: E731
    assert codes(client_alice.get(url)) == ["entree", "validation-etape"]
    client_alice.post(reverse("evenements:ordre", args=[dossier.pk]), {"ordre": "desc"})
    assert PreferencesUtilisateur.objects.get(utilisateur=alice).ordre_evenements == "desc"
    assert codes(client_alice.get(url)) == ["validation-etape", "entree"]


def test_evenements_supprimes_visibles_sur_demande(client, rose, dossier, types, aujourd_hui):
    client.force_login(rose)
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=rose)
    reponse = client.post(reverse("evenements:supprimer", args=[entree.pk]), {"raison": ""})
    assert reponse.context["form"].errors["raison"] == [
        "La raison de la suppression est obligatoire."
    ]
    client.post(reverse("evenements:supprimer", args=[entree.pk]), {"raison": "Doublon"})
    url = reverse("evenements:onglet", args=[dossier.pk])
    assert "Doublon" not in client.get(url).content.decode()
    page = client.get(url, {"supprimes": "1"}).content.decode()
    assert "Doublon" in page and "supprimé" in page


def test_conseiller_ne_voit_ni_modifier_ni_supprimer_chez_les_autres(
    client, alice, bob, rose, dossier, types
):
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    client.force_login(bob)
    page = client.get(reverse("evenements:onglet", args=[dossier.pk])).content.decode()
    assert "Consulter" in page and "Modifier" not in page and "Supprimer" not in page
    assert client.get(reverse("evenements:modifier", args=[entree.pk])).status_code == 403
    assert client.post(reverse("evenements:supprimer", args=[entree.pk])).status_code == 403
    client.force_login(rose)
    page = client.get(reverse("evenements:onglet", args=[dossier.pk])).content.decode()
    assert "Modifier" in page and "Supprimer" in page


def test_autre_equipe_recoit_404(client, charlie, dossier, types, alice):
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    client.force_login(charlie)
    assert client.get(reverse("evenements:onglet", args=[dossier.pk])).status_code == 404
    assert client.get(reverse("evenements:detail", args=[entree.pk])).status_code == 404
    assert client.post(url_nouveau(dossier), {}).status_code == 404


def test_modifier_via_le_formulaire_et_revisions(client_alice, dossier, types, alice, aujourd_hui):
    entree = enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui
    )
    url = reverse("evenements:modifier", args=[entree.pk])
    form = client_alice.get(url).context["form"]
    donnees = {
        "type_evenement": types["entree"].pk,
        "date": aujourd_hui - jours(1),
        "commentaire": "Entrée la veille",
        "raison": "Erreur de date",
        "version": form.initial["version"],
    }
    assert client_alice.post(url, donnees).status_code == 302
    detail = client_alice.get(reverse("evenements:detail", args=[entree.pk])).content.decode()
    assert "Erreur de date" in detail
    assert f"{aujourd_hui:%d/%m/%Y} → {aujourd_hui - jours(1):%d/%m/%Y}" in detail
    # the same form posted again carries a stale version: refused, not overwritten
    reponse = client_alice.post(url, {**donnees, "commentaire": "Écrasement"})
    assert "modifié par quelqu&#x27;un d&#x27;autre" in reponse.content.decode()


def test_deplacer_dans_la_journee(client_alice, dossier, types, alice, aujourd_hui):
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    validation = enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["validation-etape"],
        auteur=alice,
        valeurs={"etape": "Objectif 1"},
    )
    client_alice.post(reverse("evenements:deplacer", args=[validation.pk]), {"sens": "haut"})
    reponse = client_alice.get(reverse("evenements:onglet", args=[dossier.pk]), follow=True)
    assert "n&#x27;est pas possible" in reponse.content.decode()
    assert list(dossier.evenements.chronologiques()) == [entree, validation]


def test_historique_requetes_constantes(
    client_alice, dossier, types, alice, aujourd_hui, django_assert_max_num_queries
):
    def remplir(n):
        for i in range(n):
            enregistrer_evenement(
                dossier=dossier,
                type_evenement=types["validation-etape"],
                auteur=alice,
                date=aujourd_hui - jours(i),
                valeurs={"etape": f"Étape {i}"},
            )

    enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(60)
    )
    url = reverse("evenements:onglet", args=[dossier.pk])
    remplir(2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as peu:
        client_alice.get(url)
    remplir(30)
    with django_assert_max_num_queries(len(peu.captured_queries)):
        reponse = client_alice.get(url)
    assert len(reponse.context["lignes"]) == 33


def test_revision_de_suppression_a_l_heure_locale_et_nom_complet(client, rose, dossier, types):
    from django.utils import timezone

    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=rose)
    client.force_login(rose)
    client.post(reverse("evenements:supprimer", args=[entree.pk]), {"raison": "Doublon"})
    entree.refresh_from_db()
    detail = client.get(reverse("evenements:detail", args=[entree.pk])).content.decode()
    assert f"— → {timezone.localtime(entree.supprime_le):%d/%m/%Y %H:%M}" in detail
    assert rose.get_full_name() in detail


def test_lignes_de_l_onglet_ordre_du_jour_commentaire_et_suppression(
    client, rose, dossier, types, aujourd_hui
):
    """The per-row texts, computed in Python for the whole page, read as the user expects."""
    from evenements.services import supprimer_evenement

    enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=rose, date=aujourd_hui - jours(3)
    )
    premier = enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["validation-etape"],
        auteur=rose,
        commentaire="Ligne 1\n<b>Ligne 2</b>",
        valeurs={"etape": "CV"},
    )
    doublon = enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["validation-etape"],
        auteur=rose,
        valeurs={"etape": "CV"},
    )
    supprimer_evenement(evenement=doublon, par=rose, raison="Saisi deux fois")
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["validation-etape"],
        auteur=rose,
        valeurs={"etape": "Lettre"},
    )
    client.force_login(rose)
    page = client.get(
        reverse("evenements:onglet", args=[dossier.pk]), {"supprimes": "1"}
    ).content.decode()
    assert "2ᵉ du jour" in page  # the deleted one no longer counts in the day's order
    assert "Ligne 1<br>&lt;b&gt;Ligne 2&lt;/b&gt;" in page  # escaped, line breaks kept
    assert "Étape ou objectif validé : CV" in page
    assert f"par {rose.get_full_name()} : Saisi deux fois" in page
    assert '<span class="badge abandonne">supprimé</span>' in page
    assert f'href="/evenements/{premier.pk}/modifier/"' in page
    assert f'action="/evenements/{premier.pk}/deplacer/"' in page
