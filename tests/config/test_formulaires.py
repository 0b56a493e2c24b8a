"""Every form of the project, walked: text limits match their columns and control
characters are normalised. A form added later is walked too, without editing this file."""

import importlib

import pytest
from django import forms
from django.contrib import admin
from django.db import models
from django.test import RequestFactory

from config.saisie import SaisieNettoyee, a_proteger, nettoyer
from evenements.forms import EvenementForm, SuppressionForm
from evenements.models import RAISON_LONGUEUR_MAX, Evenement

APPLICATIONS = [
    "dossiers",
    "evenements",
    "seances",
    "notifications",
    "documents",
    "facturation",
    "pilotage",
]


def _importer_formulaires():
    for application in APPLICATIONS:
        for module in ("forms", "admin"):
            try:
                importlib.import_module(f"{application}.{module}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{application}.{module}":
                    raise


def _sous_classes(classe):
    for sous_classe in classe.__subclasses__():
        yield sous_classe
        yield from _sous_classes(sous_classe)


def formulaires_du_projet() -> list[type[forms.BaseForm]]:
    _importer_formulaires()
    return sorted(
        {c for c in _sous_classes(forms.BaseForm) if c.__module__.split(".")[0] in APPLICATIONS},
        key=lambda c: f"{c.__module__}.{c.__qualname__}",
    )


def formulaires_de_l_admin(administrateur) -> list[tuple[str, type[forms.BaseForm]]]:
    requete = RequestFactory().get("/admin/")
    requete.user = administrateur
    trouves = []
    for modele, modele_admin in admin.site._registry.items():
        nom = modele._meta.label
        if modele_admin.has_add_permission(requete):
            trouves.append((f"{nom} (ajout)", modele_admin.get_form(requete, None)))
        trouves.append((f"{nom} (modification)", modele_admin.get_form(requete, modele())))
        if modele_admin.list_editable:
            trouves.append((f"{nom} (liste)", modele_admin.get_changelist_form(requete)))
        for inline in modele_admin.get_inline_instances(requete):
            formulaire = inline.get_formset(requete).form
            trouves.append((f"{nom} ↳ {inline.model._meta.label}", formulaire))
    return trouves


def colonne(classe_formulaire, nom: str) -> models.Field | None:
    modele = getattr(getattr(classe_formulaire, "_meta", None), "model", None)
    if modele is None:
        return None
    try:
        return modele._meta.get_field(nom)
    except Exception:
        return None


def ecarts_de_longueur(nom_formulaire, classe_formulaire) -> list[str]:
    ecarts = []
    for nom, champ in classe_formulaire.base_fields.items():
        if not isinstance(champ, forms.CharField):
            continue
        col = colonne(classe_formulaire, nom)
        limite = getattr(col, "max_length", None) if isinstance(col, models.CharField) else None
        if limite is not None and (champ.max_length is None or champ.max_length > limite):
            ecarts.append(f"{nom_formulaire}.{nom} : {champ.max_length} > colonne {limite}")
        if (
            col is None
            and champ.max_length is None
            and not isinstance(champ.widget, forms.Textarea | forms.PasswordInput)
            and not isinstance(champ, forms.JSONField)
        ):
            ecarts.append(f"{nom_formulaire}.{nom} : champ d'une ligne sans longueur maximale")
    return ecarts


def test_les_formulaires_du_projet_sont_trouves():
    noms = {c.__name__ for c in formulaires_du_projet()}
    assert {"EvenementForm", "SuppressionForm", "DossierForm", "BeneficiaireForm"} <= noms


def test_chaque_champ_texte_respecte_sa_colonne(administrateur):
    ecarts = []
    for classe in formulaires_du_projet():
        ecarts += ecarts_de_longueur(classe.__qualname__, classe)
    for nom, classe in formulaires_de_l_admin(administrateur):
        ecarts += ecarts_de_longueur(f"admin {nom}", classe)
    assert ecarts == []


def test_les_raisons_tiennent_dans_l_historique(dossier, types, alice):
    """A reason lands in the revision's reason column, with a "Suppression : " prefix."""
    evenement = Evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    champs = [
        EvenementForm(dossier=dossier, evenement=evenement).fields["raison"],
        SuppressionForm().fields["raison"],
        admin.site._registry[Evenement].form.base_fields["raison"],
    ]
    assert [c.max_length for c in champs] == [RAISON_LONGUEUR_MAX] * 3
    raison = Evenement.history.model._meta.get_field("history_change_reason")
    limite = raison.max_length if isinstance(raison, models.CharField) else None
    assert limite is None or limite >= RAISON_LONGUEUR_MAX + len("Suppression : ")


def test_chaque_formulaire_normalise_les_caracteres_de_controle(administrateur):
    oublis = [
        c.__qualname__
        for c in formulaires_du_projet()
        if any(a_proteger(champ) for champ in c.base_fields.values())
        and not issubclass(c, SaisieNettoyee)
        and "admin" not in c.__module__  # admin forms are covered below, as served
    ]
    oublis += [
        nom
        for nom, classe in formulaires_de_l_admin(administrateur)
        if not issubclass(classe, SaisieNettoyee)
    ]
    assert oublis == []


@pytest.mark.parametrize(
    "saisie, une_ligne, plusieurs_lignes",
    [
        ("Dupont\r", "Dupont ", "Dupont\n"),
        ("Du\x00pont", "Dupont", "Dupont"),
        ("Léa\r\nMarie", "Léa  Marie", "Léa\nMarie"),
        ("a\tb\x0bc\x1bd\x7fe", "a b c d e", "a\tbcde"),
        ("ligne\u2028suite\x85fin", "ligne suite fin", "ligne\nsuite\nfin"),
        ("Zoé 😀 Ærø", "Zoé 😀 Ærø", "Zoé 😀 Ærø"),
    ],
)
def test_nettoyer(saisie, une_ligne, plusieurs_lignes):
    assert nettoyer(saisie) == une_ligne
    assert nettoyer(saisie, multiligne=True) == plusieurs_lignes


def test_un_nom_avec_retour_chariot_est_nettoye_a_la_saisie(client, alice, equipe_a):
    from dossiers.models import Beneficiaire
    from tests.factories import PrestationFactory

    client.force_login(alice)
    reponse = client.post(
        "/dossiers/nouveau/",
        {
            "prestation": PrestationFactory().pk,
            "equipe": equipe_a.pk,
            "referent": alice.pk,
            "b-nom": "Dupont\r",
            "b-prenom": "Léa\nMarie",
            "b-adresse": "1 rue de la Paix\r\n75002 Paris\x07",
            "b-consentement_email": "on",
        },
    )
    assert reponse.status_code == 302
    beneficiaire = Beneficiaire.objects.get()
    assert (beneficiaire.nom, beneficiaire.prenom) == ("Dupont", "Léa Marie")
    assert beneficiaire.adresse == "1 rue de la Paix\n75002 Paris"


def test_l_admin_normalise_aussi(client, administrateur):
    from dossiers.models import Financeur

    client.force_login(administrateur)
    reponse = client.post(
        "/admin/dossiers/financeur/add/",
        {
            "raison_sociale": "Région\rSud",
            "emails_contact": "a@example.org\r\nb@example.org\x00",
            "telephone": "",
            "actif": "on",
        },
    )
    assert reponse.status_code == 302, reponse.content.decode()[:2000]
    financeur = Financeur.objects.get()
    assert financeur.raison_sociale == "Région Sud"
    assert financeur.emails == ["a@example.org", "b@example.org"]


def test_les_mots_de_passe_restent_tels_quels():
    champ = forms.CharField(widget=forms.PasswordInput)
    formulaire = type("F", (SaisieNettoyee, forms.Form), {"mdp": champ})(data={"mdp": " a\tb "})
    assert formulaire.is_valid()
    assert formulaire.cleaned_data["mdp"] == "a\tb"  # CharField's own strip, nothing else


def test_les_e_mails_d_un_financeur_sont_verifies_ligne_a_ligne(client, administrateur):
    """Each line becomes an Envoi address (254 characters): refused at the source."""
    from dossiers.models import Financeur

    client.force_login(administrateur)
    trop_longue = "a" * 64 + "@" + "b" * 300 + ".fr"
    reponse = client.post(
        "/admin/dossiers/financeur/add/",
        {
            "raison_sociale": "Région",
            "emails_contact": f"ok@example.org\n\n{trop_longue}",
            "telephone": "",
            "actif": "on",
        },
    )
    assert reponse.status_code == 200
    assert "Ligne 3 : « aaaa" in reponse.content.decode()
    assert "n&#x27;est pas une adresse e-mail valide" in reponse.content.decode()
    assert not Financeur.objects.exists()


def test_un_filtre_refuse_est_signale_et_les_autres_s_appliquent(client, alice, dossier):
    from tests.factories import DossierFactory

    DossierFactory(equipe=dossier.equipe)
    client.force_login(alice)
    tous = client.get("/dossiers/", {"q": "x" * 201, "prestation": "?"})
    page = tous.content.decode()
    assert "au plus 200 caractères" in page
    assert "Sélectionnez un choix valide" in page
    assert tous.context["page"].paginator.count == 2
    en_cours = client.get("/dossiers/", {"q": "x" * 201, "statut": "en_cours"})
    assert en_cours.context["page"].paginator.count == 0  # the valid filter still applies


def test_un_envoi_vide_est_refuse_avec_ses_raisons(client, rose, dossier, types):
    from evenements.services import enregistrer_evenement

    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=rose)
    client.force_login(rose)
    for url in ("/dossiers/nouveau/", f"/evenements/{entree.pk}/supprimer/"):
        reponse = client.post(url, {})
        assert reponse.status_code == 200
        assert "obligatoire" in reponse.content.decode(), url


@pytest.mark.parametrize("valeur", [":", "é" * 300, "1.5", "-1", "99999999999999999999999"])
def test_un_choix_illisible_dans_un_champ_autocomplete_est_refuse(
    client, administrateur, types, valeur
):
    client.force_login(administrateur)
    reponse = client.post(
        "/admin/evenements/evenement/add/",
        {"dossier": valeur, "type_evenement": types["entree"].pk, "date": "01/02/2026"},
    )
    assert reponse.status_code == 200
    assert "Sélectionnez un choix valide" in reponse.content.decode()
