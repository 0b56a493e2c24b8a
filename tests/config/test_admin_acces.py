"""The Django admin is the Administrateur group's console, and nobody else's.

It is not team-scoped (it shows every team's data), so a responsable — even one made staff
by mistake — must not reach any of its data pages. Every registered ModelAdmin is walked.
"""

import contextlib

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from dossiers.models import Dossier
from evenements.services import enregistrer_evenement
from tests.factories import DossierFactory


def _urls_de_l_admin(objets: dict) -> list[str]:
    """Changelist, add, change and history of every registered model, plus autocompletes."""
    requete = RequestFactory().get("/admin/")
    requete.user = get_user_model().objects.get(username="admin")
    urls = []
    for modele, modele_admin in admin.site._registry.items():
        nom = f"admin:{modele._meta.app_label}_{modele._meta.model_name}"
        urls.append(reverse(f"{nom}_changelist"))
        urls.append(reverse(f"{nom}_add"))
        objet = objets.get(modele) or modele_admin.get_queryset(requete).order_by("pk").first()
        if objet is not None:
            for suffixe in ("change", "history"):
                with contextlib.suppress(NoReverseMatch):
                    urls.append(reverse(f"{nom}_{suffixe}", args=[objet.pk]))
        for champ in getattr(modele_admin, "autocomplete_fields", []):
            urls.append(
                reverse("admin:autocomplete")
                + f"?app_label={modele._meta.app_label}&model_name={modele._meta.model_name}"
                f"&field_name={champ}&term="
            )
    return urls


@pytest.fixture
def donnees_des_deux_equipes(dossier, alice, charlie, equipe_b, types, administrateur):
    """A dossier with an event on each team, so every admin page has a row to show."""
    dossier_b = DossierFactory(equipe=equipe_b, referent=charlie)
    dossier_b.beneficiaire.nom = "SECRETB"
    dossier_b.beneficiaire.save()
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    enregistrer_evenement(
        dossier=dossier_b,
        type_evenement=types["entree"],
        auteur=charlie,
        commentaire="commentaire confidentiel B",
    )
    return {Dossier: dossier_b}


def test_un_responsable_meme_staff_n_entre_dans_aucune_page_de_l_admin(
    client, rose, donnees_des_deux_equipes
):
    rose.is_staff = True
    rose.save()
    client.force_login(rose)
    urls = _urls_de_l_admin(donnees_des_deux_equipes)
    assert len(urls) > 30
    for url in urls:
        reponse = client.get(url)
        assert reponse.status_code == 302, url
        assert reponse["Location"].startswith(reverse("admin:login")), url
        assert "SECRETB" not in reponse.content.decode()
    # Not even the index, nor the link to it in the application.
    assert client.get(reverse("admin:index")).status_code == 302
    assert "Administration" not in client.get(reverse("dossiers:liste")).content.decode()


def test_un_responsable_ne_deplace_pas_un_dossier_d_une_autre_equipe(
    client, rose, equipe_a, donnees_des_deux_equipes
):
    rose.is_staff = True
    rose.save()
    client.force_login(rose)
    dossier_b = donnees_des_deux_equipes[Dossier]
    url = reverse("admin:dossiers_dossier_change", args=[dossier_b.pk])
    client.post(url, {"equipe": equipe_a.pk, "referent": rose.pk})
    dossier_b.refresh_from_db()
    assert dossier_b.equipe.nom == "Équipe B"


def test_l_administrateur_ouvre_toutes_les_pages_de_l_admin_sans_erreur(
    client, administrateur, donnees_des_deux_equipes
):
    client.force_login(administrateur)
    assert "Administration" in client.get(reverse("dossiers:liste")).content.decode()
    for url in _urls_de_l_admin(donnees_des_deux_equipes):
        reponse = client.get(url)
        assert reponse.status_code in (200, 403), (url, reponse.status_code)
        page = reponse.content.decode().replace("\\u00e9", "é")  # inline JSON escapes
        assert "supplémentaire supplémentaire" not in page


def test_les_ecrans_de_celery_beat_ne_sont_pas_montres(client, administrateur):
    client.force_login(administrateur)
    page = client.get(reverse("admin:index")).content.decode()
    assert "django_celery_beat" not in page
    assert "Tâches périodiques" not in page and "Periodic tasks" not in page
    with pytest.raises(NoReverseMatch):
        reverse("admin:django_celery_beat_periodictask_changelist")


def test_libelles_de_l_admin_des_types(client, administrateur):
    client.force_login(administrateur)
    page = client.get(reverse("admin:evenements_typeevenement_changelist")).content.decode()
    assert "Statuts autorisés" in page
    assert "autorises libelles" not in page.lower()  # Django's default label of a method
    page = client.get(reverse("admin:evenements_typeevenement_add")).content.decode()
    page = page.replace("\\u00e9", "é")  # the inline's texts are JSON in an attribute
    assert "Ajouter un objet Champ supplémentaire" in page
    assert "supplémentaire supplémentaire" not in page


def test_le_superutilisateur_entre_dans_l_admin(client, django_user_model):
    patron = django_user_model.objects.create_superuser("patron", password="demo")
    client.force_login(patron)
    assert client.get(reverse("admin:index")).status_code == 200


def test_referents_en_nom_complet_dans_l_admin(client, administrateur, dossier, alice):
    alice.first_name, alice.last_name = "Alice", "Martin"
    alice.save()
    client.force_login(administrateur)
    liste = client.get(reverse("admin:dossiers_dossier_changelist")).content.decode()
    assert "Alice Martin" in liste
    fiche = client.get(reverse("admin:dossiers_dossier_change", args=[dossier.pk]))
    assert f'<option value="{alice.pk}" selected>Alice Martin</option>' in fiche.content.decode()
