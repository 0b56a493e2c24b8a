"""The convention filter (page, figure lists, CSV, déclarations) and per-convention reports."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from evenements.services import enregistrer_evenement
from facturation.models import Convention, FinancementDossier
from pilotage import envois, rapports
from pilotage.models import Periodicite, RapportConfiguration, TelechargementDeclaration
from tests.factories import BeneficiaireFactory, DossierFactory, FinanceurFactory, PrestationFactory

URL = reverse("pilotage:tableau_de_bord")
CHOIX_INVALIDE = "Ce choix n'existe pas ou ne vous est pas accessible."


def creer_convention(financeur, prestation, numero):
    debut = datetime.date(2020, 1, 1)
    convention = Convention.objects.create(
        financeur=financeur,
        numero=numero,
        date_debut=debut,
        date_fin=datetime.date(2035, 12, 31),
        prix=Decimal("2800"),
    )
    convention.prestations.add(prestation)
    return convention


def financer(dossier, convention):
    return FinancementDossier.objects.create(dossier=dossier, convention=convention)


def entrer(dossier, types, auteur, date):
    return enregistrer_evenement(
        commentaire="Commentaire du conseiller.",
        dossier=dossier,
        type_evenement=types["entree"],
        auteur=auteur,
        date=date,
    )


@pytest.fixture
def periode(aujourd_hui):
    return {
        "debut": (aujourd_hui - datetime.timedelta(days=60)).isoformat(),
        "fin": aujourd_hui.isoformat(),
    }


@pytest.fixture
def deux_conventions(equipe_a, rose, types, aujourd_hui):
    """One financeur, two conventions: dossiers a1, a2 under the first, b under the second,
    and c under none (financeur only)."""
    financeur = FinanceurFactory(raison_sociale="Région Test")
    prestation = PrestationFactory(nom="Bilan de compétences")
    premiere = creer_convention(financeur, prestation, "CONV-UN")
    seconde = creer_convention(financeur, prestation, "CONV-DEUX")
    dossiers = {}
    for nom, convention in (("a1", premiere), ("a2", premiere), ("b", seconde), ("c", None)):
        d = DossierFactory(
            equipe=equipe_a, referent=rose, financeur=financeur, prestation=prestation
        )
        if convention:
            financer(d, convention)
        entrer(d, types, rose, aujourd_hui - datetime.timedelta(days=10))
        dossiers[nom] = d
    return {"financeur": financeur, "premiere": premiere, "seconde": seconde, **dossiers}


def _entrees(page):
    synthese = page.context["tableaux"][0]
    return next(ligne[1] for ligne in synthese.lignes if ligne[0].valeur == "Entrées")


def test_filtre_convention_chiffres_et_liste_des_dossiers(client, rose, deux_conventions, periode):
    client.force_login(rose)
    page = client.get(URL, {**periode, "convention": deux_conventions["premiere"].pk})
    assert page.status_code == 200
    assert "CONV-UN" in page.content.decode()
    entrees = _entrees(page)
    assert entrees.valeur == 2
    liste = client.get(entrees.lien)
    attendus = {deux_conventions["a1"].pk, deux_conventions["a2"].pk}
    assert {d.pk for d in liste.context["page"]} == attendus
    tous = _entrees(client.get(URL, {**periode, "financeur": deux_conventions["financeur"].pk}))
    assert tous.valeur == 4


def test_filtre_convention_dans_le_csv(client, rose, deux_conventions, periode):
    client.force_login(rose)
    reponse = client.get(
        reverse("pilotage:csv", args=["synthese"]),
        {**periode, "convention": deux_conventions["seconde"].pk},
    )
    texte = reponse.content.decode("utf-8")
    lignes = list(csv.reader(io.StringIO(texte[1:]), delimiter=";"))
    assert ["Entrées", "1"] in lignes


def test_financement_inactif_ne_compte_plus(client, rose, deux_conventions, periode):
    client.force_login(rose)
    FinancementDossier.objects.filter(dossier=deux_conventions["a2"]).update(actif=False)
    page = client.get(URL, {**periode, "convention": deux_conventions["premiere"].pk})
    assert _entrees(page).valeur == 1


@pytest.mark.parametrize("valeur", ["999999", "abc"])
def test_convention_inconnue_message_en_francais(client, rose, periode, valeur):
    client.force_login(rose)
    page = client.get(URL, {**periode, "convention": valeur})
    assert page.status_code == 200
    assert CHOIX_INVALIDE in page.context["form"].errors["convention"]
    assert escape(CHOIX_INVALIDE) in page.content.decode()
    liste = client.get(reverse("pilotage:dossiers"), {**periode, "convention": valeur})
    assert liste.status_code == 200
    assert CHOIX_INVALIDE in liste.context["form"].errors["convention"]


def test_convention_d_un_autre_financeur_refusee(client, rose, deux_conventions, periode):
    client.force_login(rose)
    autre = FinanceurFactory()
    page = client.get(
        URL, {**periode, "financeur": autre.pk, "convention": deux_conventions["premiere"].pk}
    )
    assert page.context["form"].errors["convention"] == [
        "Cette convention n'est pas celle du financeur choisi."
    ]


def test_requetes_constantes_avec_convention(client, rose, equipe_a, types, aujourd_hui, periode):
    client.force_login(rose)
    prestation = PrestationFactory()
    convention = creer_convention(FinanceurFactory(), prestation, "CONV-BENCH")
    parametres = {**periode, "convention": convention.pk}

    def creer(n):
        for _ in range(n):
            d = DossierFactory(
                equipe=equipe_a,
                referent=rose,
                prestation=prestation,
                financeur=convention.financeur,
                beneficiaire=BeneficiaireFactory(),
            )
            financer(d, convention)
            entrer(d, types, rose, aujourd_hui - datetime.timedelta(days=5))

    creer(2)
    with CaptureQueriesContext(connection) as peu:
        client.get(URL, parametres)
    creer(15)
    with CaptureQueriesContext(connection) as beaucoup:
        page = client.get(URL, parametres)
    assert len(beaucoup.captured_queries) == len(peu.captured_queries)
    assert _entrees(page).valeur == 17


def test_declaration_par_convention_journalisee(client, rose, deux_conventions, periode):
    client.force_login(rose)
    url = reverse("pilotage:declarations")
    parametres = {
        **periode,
        "financeur": deux_conventions["financeur"].pk,
        "convention": deux_conventions["seconde"].pk,
    }
    page = client.get(url, parametres)
    assert len(page.context["lignes"]) == 1
    reponse = client.get(url, {**parametres, "telecharger": "csv"})
    assert "-c" in reponse["Content-Disposition"]
    lignes = list(csv.reader(io.StringIO(reponse.content.decode("utf-8")[1:]), delimiter=";"))
    assert len(lignes) == 2
    trace = TelechargementDeclaration.objects.get()
    assert trace.convention == deux_conventions["seconde"]
    assert trace.lignes == 1
    inconnue = client.get(url, {**parametres, "convention": "999999"})
    assert inconnue.status_code == 200
    assert CHOIX_INVALIDE in inconnue.context["form"].errors["convention"]


# --- per-convention reports ---


@pytest.fixture
def parcours_du_mois(equipe_a, rose, types, aujourd_hui):
    """Dossiers entered last month: a1, a2 under convention UN, b under DEUX, c none."""
    mois = rapports.periode_close(Periodicite.MENSUELLE, aujourd_hui)
    financeur = FinanceurFactory(raison_sociale="Région Test")
    prestation = PrestationFactory()
    premiere = creer_convention(financeur, prestation, "CONV-UN")
    seconde = creer_convention(financeur, prestation, "CONV-DEUX")
    dossiers = {}
    for nom, convention in (("a1", premiere), ("a2", premiere), ("b", seconde), ("c", None)):
        d = DossierFactory(
            equipe=equipe_a, referent=rose, financeur=financeur, prestation=prestation
        )
        if convention:
            financer(d, convention)
        entrer(d, types, rose, mois.debut + datetime.timedelta(days=1))
        dossiers[nom] = d
    return {"financeur": financeur, "premiere": premiere, "seconde": seconde, **dossiers}


def test_rapport_par_convention_ne_liste_que_ses_dossiers(
    parcours_du_mois, django_capture_on_commit_callbacks
):
    p = parcours_du_mois
    commun = {"financeur": p["financeur"], "periodicite": Periodicite.MENSUELLE, "actif": True}
    RapportConfiguration.objects.create(**commun, destinataires="tout@region.example")
    RapportConfiguration.objects.create(
        **commun, convention=p["premiere"], destinataires="un@region.example"
    )
    with django_capture_on_commit_callbacks(execute=True):
        envois.planifier()
        envois.planifier()
    assert len(mail.outbox) == 2  # still exactly once per configuration and period
    par_destinataire = {m.to[0]: m for m in mail.outbox}
    message = par_destinataire["un@region.example"]
    assert "CONV-UN" in message.subject
    nom, contenu, _ = next(a for a in message.attachments if a[0].endswith(".csv"))
    contenu = contenu if isinstance(contenu, bytes) else contenu.encode()
    lignes = list(csv.DictReader(io.StringIO(contenu.decode("utf-8")[1:]), delimiter=";"))
    assert {ligne["N° dossier"] for ligne in lignes} == {str(p["a1"].pk), str(p["a2"].pk)}
    global_ = par_destinataire["tout@region.example"]
    _, contenu, _ = next(a for a in global_.attachments if a[0].endswith(".csv"))
    contenu = contenu if isinstance(contenu, bytes) else contenu.encode()
    lignes = list(csv.DictReader(io.StringIO(contenu.decode("utf-8")[1:]), delimiter=";"))
    assert len(lignes) == 4


def test_configuration_par_convention_validee(parcours_du_mois):
    p = parcours_du_mois
    autre = FinanceurFactory()
    configuration = RapportConfiguration(
        financeur=autre, convention=p["premiere"], periodicite=Periodicite.MENSUELLE
    )
    with pytest.raises(ValidationError) as refus:
        configuration.full_clean()
    assert "n'est pas celle de ce financeur" in refus.value.message_dict["convention"][0]
    RapportConfiguration.objects.create(
        financeur=p["financeur"], convention=p["premiere"], periodicite=Periodicite.MENSUELLE
    )
    double = RapportConfiguration(
        financeur=p["financeur"], convention=p["premiere"], periodicite=Periodicite.MENSUELLE
    )
    with pytest.raises(ValidationError) as refus:
        double.full_clean()
    assert "Cette convention a déjà un rapport de cette périodicité." in str(refus.value)
    # the financeur-wide report of the same periodicity is still allowed
    RapportConfiguration(financeur=p["financeur"], periodicite=Periodicite.MENSUELLE).full_clean()


def test_admin_configure_un_rapport_par_convention(client, administrateur, parcours_du_mois):
    p = parcours_du_mois
    client.force_login(administrateur)
    reponse = client.post(
        reverse("admin:pilotage_rapportconfiguration_add"),
        {
            "financeur": p["financeur"].pk,
            "convention": p["seconde"].pk,
            "periodicite": "mensuelle",
            "destinataires": "deux@region.example",
            "graphique": "on",
            "lignes_par_dossier": "on",
            "actif": "on",
        },
    )
    assert reponse.status_code == 302
    configuration = RapportConfiguration.objects.get()
    assert configuration.convention == p["seconde"]
    apercu = client.get(reverse("pilotage:apercu", args=[configuration.pk]))
    assert apercu.status_code == 200
