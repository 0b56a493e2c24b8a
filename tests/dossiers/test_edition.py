"""Editing a bénéficiaire and a dossier in the web UI: rights, team scope, optimistic
concurrency, history, and the initial financeur against the events that change it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dossiers.models import Beneficiaire, Dossier
from dossiers.services import modifier_dossier
from evenements.models import ChampSupplementaire, TypeEvenement
from evenements.services import enregistrer_evenement, supprimer_evenement
from tests.conftest import jours
from tests.factories import FinanceurFactory, UtilisateurFactory


def donnees_beneficiaire(b, **changes):
    donnees = {
        "civilite": b.civilite,
        "nom": b.nom,
        "prenom": b.prenom,
        "date_naissance": b.date_naissance.isoformat() if b.date_naissance else "",
        "email": b.email,
        "mobile": str(b.mobile or ""),
        "adresse": b.adresse,
        "identifiant_externe": b.identifiant_externe,
        "consentement_email": "on" if b.consentement_email else "",
        "version": b.version,
        "raison": "",
    }
    donnees.update(changes)
    return {k: v for k, v in donnees.items() if v != ""}


def donnees_dossier(d, **changes):
    donnees = {
        "referent": d.referent_id,
        "financeur_initial": d.financeur_initial_id or "",
        "heures_prevues": d.heures_prevues or "",
        "equipe": d.equipe_id,
        "version": d.version,
        "raison": "Réorganisation",
    }
    donnees.update(changes)
    return donnees


def test_conseillere_modifie_les_coordonnees_avec_historique(client, alice, dossier):
    b = dossier.beneficiaire
    client.force_login(alice)
    url = reverse("dossiers:modifier_beneficiaire", args=[dossier.pk])
    assert client.get(url).status_code == 200
    reponse = client.post(
        url,
        donnees_beneficiaire(
            b,
            email="nouvelle@exemple.org",
            mobile="+33612345678",
            consentement_sms="on",
            identifiant_externe="FT-99",
            raison="Changement d'adresse",
        ),
    )
    assert reponse.status_code == 302
    b = Beneficiaire.objects.get(pk=b.pk)
    assert (b.email, str(b.mobile), b.consentement_sms) == (
        "nouvelle@exemple.org",
        "+33612345678",
        True,
    )
    assert "ft-99" in b.recherche and b.version == 2
    page = client.get(reverse("dossiers:historique", args=[dossier.pk])).content.decode()
    assert "Changement d&#x27;adresse" in page
    assert "E-mail" in page and "nouvelle@exemple.org" in page
    assert alice.get_full_name() in page


def test_date_de_naissance_invalide_message_francais_et_rien_n_est_perdu(client, alice, dossier):
    client.force_login(alice)
    b = dossier.beneficiaire
    reponse = client.post(
        reverse("dossiers:modifier_beneficiaire", args=[dossier.pk]),
        donnees_beneficiaire(b, date_naissance="31/02/1990", email="garde@exemple.org"),
    )
    assert reponse.status_code == 200
    assert "Saisissez une date valide" in reponse.content.decode()
    assert 'value="garde@exemple.org"' in reponse.content.decode()
    assert Beneficiaire.objects.get(pk=b.pk).email == b.email


def test_deux_modifications_simultanees_la_seconde_est_refusee(client, alice, bob, dossier):
    b = dossier.beneficiaire
    url = reverse("dossiers:modifier_beneficiaire", args=[dossier.pk])
    ouvert_par_bob = donnees_beneficiaire(b, nom="Bobnom")
    client.force_login(alice)
    assert client.post(url, donnees_beneficiaire(b, nom="Alicenom")).status_code == 302
    client.force_login(bob)
    reponse = client.post(url, ouvert_par_bob)
    texte = reponse.content.decode()
    assert reponse.status_code == 200
    assert "a été modifié par" in texte and alice.get_full_name() in texte
    assert 'value="Bobnom"' in texte  # bob's input stays on screen
    assert Beneficiaire.objects.get(pk=b.pk).nom == "Alicenom"


def test_autre_equipe_ne_peut_ni_voir_ni_modifier(client, charlie, dossier):
    client.force_login(charlie)
    for nom in ("dossiers:modifier_beneficiaire", "dossiers:modifier", "dossiers:historique"):
        assert client.get(reverse(nom, args=[dossier.pk])).status_code == 404


def test_conseillere_ne_modifie_pas_le_dossier(client, alice, dossier):
    client.force_login(alice)
    assert client.get(reverse("dossiers:modifier", args=[dossier.pk])).status_code == 403
    assert (
        "Modifier le dossier"
        not in client.get(reverse("dossiers:resume", args=[dossier.pk])).content.decode()
    )


def test_responsable_modifie_referent_heures_et_financeur(client, rose, bob, dossier):
    nouveau = FinanceurFactory(raison_sociale="Région Sud")
    client.force_login(rose)
    url = reverse("dossiers:modifier", args=[dossier.pk])
    page = client.get(url)
    assert page.context["form"].fields["equipe"].disabled  # one team: nothing to choose
    reponse = client.post(
        url,
        donnees_dossier(
            dossier, referent=bob.pk, heures_prevues="80", financeur_initial=nouveau.pk
        ),
    )
    assert reponse.status_code == 302
    d = Dossier.objects.get(pk=dossier.pk)
    assert (d.referent, d.heures_prevues, d.financeur, d.financeur_initial) == (
        bob,
        80,
        nouveau,
        nouveau,
    )
    page = client.get(reverse("dossiers:historique", args=[dossier.pk])).content.decode()
    assert "Réorganisation" in page and "Région Sud" in page and bob.get_full_name() in page


def test_raison_obligatoire_pour_le_dossier(client, rose, dossier):
    client.force_login(rose)
    reponse = client.post(
        reverse("dossiers:modifier", args=[dossier.pk]), donnees_dossier(dossier, raison="")
    )
    assert "Indiquez la raison de la modification." in reponse.content.decode()


def test_referent_d_une_autre_equipe_refuse(client, rose, charlie, dossier):
    client.force_login(rose)
    reponse = client.post(
        reverse("dossiers:modifier", args=[dossier.pk]),
        donnees_dossier(dossier, referent=charlie.pk),
    )
    assert reponse.status_code == 200
    assert "Sélectionnez un choix valide" in reponse.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).referent_id == dossier.referent_id


def test_equipe_seulement_vers_une_de_mes_equipes(rose, dossier, equipe_b):
    with pytest.raises(ValidationError) as refus:
        modifier_dossier(
            dossier=dossier, par=rose, version=1, raison="x", referent=rose, equipe=equipe_b
        )
    assert "l'une de vos équipes" in refus.value.message_dict["equipe"][0]


def test_responsable_de_deux_equipes_deplace_le_dossier(rose, dossier, equipe_b):
    equipe_b.membres.add(rose)
    collegue = UtilisateurFactory(equipes=[equipe_b])
    modifier_dossier(
        dossier=dossier,
        par=rose,
        version=1,
        raison="Déménagement",
        referent=collegue,
        equipe=equipe_b,
    )
    assert Dossier.objects.get(pk=dossier.pk).equipe == equipe_b


def test_service_refuse_sans_permission(alice, dossier):
    with pytest.raises(PermissionDenied):
        modifier_dossier(dossier=dossier, par=alice, version=1, raison="x", heures_prevues=1)


def test_historique_en_requetes_constantes(
    client, rose, bob, alice, dossier, django_assert_num_queries
):
    client.force_login(rose)
    url = reverse("dossiers:historique", args=[dossier.pk])
    client.get(url)  # warm caches (session, permissions)
    modifier_dossier(dossier=dossier, par=rose, version=1, raison="a", referent=bob)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as peu:
        client.get(url)
    for version, referent in enumerate([alice, bob, alice, bob, alice], start=2):
        modifier_dossier(dossier=dossier, par=rose, version=version, raison="b", referent=referent)
    with CaptureQueriesContext(connection) as beaucoup:
        reponse = client.get(url)
    assert len(reponse.context["modifications"]) == 6
    assert len(beaucoup.captured_queries) == len(peu.captured_queries)


# --- "Nouveau financeur" on an event: applied by the replay from its date ---


@pytest.fixture
def changement_financeur():
    type_evenement = TypeEvenement.objects.create(
        libelle="Changement de financeur",
        code="changement-financeur",
        statuts_autorises=["a_venir", "en_cours"],
    )
    ChampSupplementaire.objects.create(
        type_evenement=type_evenement,
        code="nouveau_financeur",
        libelle="Nouveau financeur",
        nature="financeur",
        obligatoire=True,
    )
    return type_evenement


def test_nouveau_financeur_change_le_financeur_du_dossier(
    dossier, types, alice, rose, aujourd_hui, changement_financeur
):
    initial = dossier.financeur
    dossier.financeur_initial = initial
    dossier.save()
    region = FinanceurFactory(raison_sociale="Région")
    enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(9)
    )
    changement = enregistrer_evenement(
        dossier=dossier,
        type_evenement=changement_financeur,
        auteur=alice,
        date=aujourd_hui - jours(3),
        valeurs={"nouveau_financeur": region.pk},
    )
    assert Dossier.objects.get(pk=dossier.pk).financeur == region
    # Editing the initial financeur does not override the event: it wins from its date.
    autre = FinanceurFactory(raison_sociale="Autre")
    modifier_dossier(
        dossier=dossier, par=rose, version=1, raison="Erreur de saisie", financeur_initial=autre
    )
    d = Dossier.objects.get(pk=dossier.pk)
    assert (d.financeur_initial, d.financeur) == (autre, region)
    # Deleting the event gives the initial financeur back.
    supprimer_evenement(evenement=changement, par=rose, raison="Saisi par erreur")
    assert Dossier.objects.get(pk=dossier.pk).financeur == autre


def test_nouveau_financeur_planifie_attend_sa_date(
    dossier, types, alice, aujourd_hui, changement_financeur
):
    initial = dossier.financeur
    Dossier.objects.filter(pk=dossier.pk).update(financeur_initial=initial)
    region = FinanceurFactory(raison_sociale="Région")
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=changement_financeur,
        auteur=alice,
        date=aujourd_hui + jours(5),
        valeurs={"nouveau_financeur": region.pk},
    )
    assert Dossier.objects.get(pk=dossier.pk).financeur == initial
    from evenements.services import appliquer_evenements_echus

    appliquer_evenements_echus(aujourd_hui + jours(5))
    assert Dossier.objects.get(pk=dossier.pk).financeur == region


def test_admin_financeur_initial_rejoue_et_recherche_sans_accents(client, administrateur, dossier):
    nouveau = FinanceurFactory(raison_sociale="Département")
    client.force_login(administrateur)
    reponse = client.post(
        reverse("admin:dossiers_dossier_change", args=[dossier.pk]),
        {
            "financeur_initial": nouveau.pk,
            "referent": dossier.referent_id,
            "equipe": dossier.equipe_id,
            "heures_prevues": "120",
        },
    )
    assert reponse.status_code == 302, reponse.content.decode()[:2000]
    d = Dossier.objects.get(pk=dossier.pk)
    assert (d.financeur, d.version) == (nouveau, 2)

    b = dossier.beneficiaire
    b.prenom = "Amélie"
    b.save()
    page = client.get(reverse("admin:dossiers_beneficiaire_changelist"), {"q": "AMELIE"})
    assert list(page.context["cl"].result_list) == [b]


@pytest.mark.parametrize("version", [None, "1x", "99"])
def test_version_absente_ou_trafiquee_donne_un_message(client, alice, dossier, version):
    b = dossier.beneficiaire
    donnees = donnees_beneficiaire(b, nom="Changé")
    donnees.pop("version")
    if version is not None:
        donnees["version"] = version
    client.force_login(alice)
    reponse = client.post(reverse("dossiers:modifier_beneficiaire", args=[dossier.pk]), donnees)
    texte = reponse.content.decode()
    assert reponse.status_code == 200
    assert "a été modifié par" in texte or "rechargez la page" in texte
    assert Beneficiaire.objects.get(pk=b.pk).nom == b.nom
