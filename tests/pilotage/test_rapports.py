"""Financeur reports: periods, exactly once per period, retries and échec, frozen figures
and correctifs, the Rapports page."""

import csv
import datetime
import io
import smtplib

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from evenements.models import Motif
from evenements.services import enregistrer_evenement, modifier_evenement
from pilotage import envois, rapports
from pilotage.models import EnvoiRapport, Periodicite, RapportConfiguration
from tests.factories import DossierFactory, FinanceurFactory

J = datetime.date


@pytest.mark.parametrize(
    "periodicite,aujourd_hui,debut,fin",
    [
        ("hebdomadaire", J(2026, 11, 29), J(2026, 11, 16), J(2026, 11, 22)),
        ("hebdomadaire", J(2026, 11, 30), J(2026, 11, 23), J(2026, 11, 29)),
        ("mensuelle", J(2026, 11, 29), J(2026, 10, 1), J(2026, 10, 31)),
        ("mensuelle", J(2026, 1, 1), J(2025, 12, 1), J(2025, 12, 31)),
        ("trimestrielle", J(2026, 11, 29), J(2026, 7, 1), J(2026, 9, 30)),
        ("trimestrielle", J(2026, 2, 10), J(2025, 10, 1), J(2025, 12, 31)),
    ],
)
def test_periode_close(periodicite, aujourd_hui, debut, fin):
    periode = rapports.periode_close(periodicite, aujourd_hui)
    assert (periode.debut, periode.fin) == (debut, fin)


def test_rapport_sans_destinataire_ne_peut_pas_etre_active():
    configuration = RapportConfiguration(financeur=FinanceurFactory(), actif=True)
    with pytest.raises(ValidationError) as refus:
        configuration.full_clean()
    assert "ne peut pas être activé" in refus.value.message_dict["destinataires"][0]
    configuration.destinataires = "a@financeur.example\npas-une-adresse"
    with pytest.raises(ValidationError) as refus:
        configuration.full_clean()
    assert "pas-une-adresse" in refus.value.message_dict["destinataires"][0]
    configuration.destinataires = "a@financeur.example, b@financeur.example"
    configuration.full_clean()
    assert configuration.liste_destinataires == ["a@financeur.example", "b@financeur.example"]


def test_admin_refuse_l_activation_sans_destinataire(client, administrateur):
    client.force_login(administrateur)
    financeur = FinanceurFactory()
    reponse = client.post(
        reverse("admin:pilotage_rapportconfiguration_add"),
        {"financeur": financeur.pk, "periodicite": "mensuelle", "destinataires": "", "actif": "on"},
    )
    assert reponse.status_code == 200
    assert "ne peut pas être activé" in reponse.content.decode()
    assert not RapportConfiguration.objects.exists()


@pytest.fixture
def mois_dernier(aujourd_hui):
    return rapports.periode_close(Periodicite.MENSUELLE, aujourd_hui)


@pytest.fixture
def financeur():
    return FinanceurFactory(raison_sociale="Région Test")


@pytest.fixture
def configuration(financeur):
    return RapportConfiguration.objects.create(
        financeur=financeur,
        periodicite=Periodicite.MENSUELLE,
        destinataires="suivi@region.example\nchef@region.example",
        actif=True,
    )


@pytest.fixture
def parcours(financeur, equipe_a, equipe_b, rose, charlie, types, mois_dernier):
    """Two dossiers of the financeur (two teams) entered last month, one left with a motif."""
    debut = mois_dernier.debut
    a = DossierFactory(financeur=financeur, equipe=equipe_a, referent=rose)
    b = DossierFactory(financeur=financeur, equipe=equipe_b, referent=charlie)
    DossierFactory(equipe=equipe_a, referent=rose)  # another financeur: not in the report
    for d, qui in ((a, rose), (b, charlie)):
        enregistrer_evenement(
            commentaire="Commentaire du conseiller.",
            dossier=d,
            type_evenement=types["entree"],
            auteur=qui,
            date=debut + datetime.timedelta(days=1),
        )
    sortie = enregistrer_evenement(
        commentaire="Commentaire du conseiller.",
        dossier=a,
        type_evenement=types["sortie-positive"],
        auteur=rose,
        date=debut + datetime.timedelta(days=10),
        motif=Motif.objects.get(liste="sortie_positive", code="emploi-durable"),
    )
    return {"a": a, "b": b, "sortie": sortie}


def lire_csv(contenu: bytes) -> list[dict]:
    texte = contenu.decode("utf-8")
    assert texte.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(texte[1:]), delimiter=";"))


def test_beat_deux_fois_un_seul_envoi_par_periode(
    configuration, parcours, mois_dernier, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        envois.planifier()
        envois.planifier()
    assert EnvoiRapport.objects.count() == 1
    envoi = EnvoiRapport.objects.get()
    assert envoi.etat == EnvoiRapport.Etat.ENVOYE
    assert (envoi.debut, envoi.fin) == (mois_dernier.debut, mois_dernier.fin)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["suivi@region.example", "chef@region.example"]
    assert "Région Test" in message.subject
    noms = [piece[0] for piece in message.attachments]
    assert any(nom.endswith(".csv") for nom in noms)
    csv_piece = next(piece for piece in message.attachments if piece[0].endswith(".csv"))
    lignes = lire_csv(csv_piece[1] if isinstance(csv_piece[1], bytes) else csv_piece[1].encode())
    assert {ligne["N° dossier"] for ligne in lignes} == {
        str(parcours["a"].pk),
        str(parcours["b"].pk),
    }
    sortie = next(ligne for ligne in lignes if ligne["N° dossier"] == str(parcours["a"].pk))
    assert sortie["Statut en fin de période"] == "Terminé"
    assert sortie["Type de sortie ou motif"].startswith("Emploi durable")
    assert envoi.instantane["totaux"]["entrees"] == 2
    assert envoi.instantane["totaux"]["sorties_positives"] == 1


def test_erreur_smtp_transitoire_reessaie_puis_echec_puis_relancer(
    configuration,
    parcours,
    rose,
    administrateur,
    monkeypatch,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.ACTIONS_MAX_TENTATIVES = 2
    appels = []

    def refuser(self, *args, **kwargs):
        appels.append(1)
        raise smtplib.SMTPResponseException(451, b"Service temporairement indisponible")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuser)
    envois.planifier()
    envoi = EnvoiRapport.objects.get()
    assert envoi.etat == EnvoiRapport.Etat.A_ENVOYER
    assert envoi.prochaine_tentative_le is not None
    assert "indisponible" in envoi.derniere_erreur
    EnvoiRapport.objects.filter(pk=envoi.pk).update(prochaine_tentative_le=None)
    envois.planifier()
    envoi.refresh_from_db()
    assert envoi.etat == EnvoiRapport.Etat.ECHEC
    assert len(appels) == 2
    instantane = envoi.instantane

    monkeypatch.undo()
    with pytest.raises(PermissionDenied):
        envois.relancer(envoi=envoi, par=rose)  # a responsable may not
    with django_capture_on_commit_callbacks(execute=True):
        envois.relancer(envoi=envoi, par=administrateur)
    envoi.refresh_from_db()
    assert envoi.etat == EnvoiRapport.Etat.ENVOYE
    assert envoi.instantane == instantane  # the figures built at the first attempt
    assert len(mail.outbox) == 1


def test_correction_apres_envoi_apparait_en_correctif(
    configuration,
    parcours,
    rose,
    types,
    mois_dernier,
    aujourd_hui,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        envois.planifier()
    premier = EnvoiRapport.objects.get()
    envoye = premier.instantane

    # the exit of last month is corrected: another type de sortie
    modifier_evenement(
        evenement=parcours["sortie"],
        par=rose,
        raison="Erreur de type de sortie",
        type_evenement=types["sortie-positive"],
        date=parcours["sortie"].date,
        motif=Motif.objects.get(liste="sortie_positive", code="formation-qualifiante"),
    )
    premier.refresh_from_db()
    assert premier.instantane == envoye  # what was sent stays as it was

    mois_suivant = mois_dernier.fin + datetime.timedelta(days=35)
    with django_capture_on_commit_callbacks(execute=True):
        envois.planifier(aujourd_hui=mois_suivant.replace(day=3))
    second = EnvoiRapport.objects.exclude(pk=premier.pk).get()
    assert second.etat == EnvoiRapport.Etat.ENVOYE
    assert len(second.correctifs) == 1
    correctif = second.correctifs[0]
    assert correctif["dossier"] == parcours["a"].pk
    assert correctif["differences"][0]["avant"].startswith("Emploi durable")
    assert correctif["differences"][0]["apres"] == "Formation qualifiante"
    assert "Correctifs : 1 dossier" in mail.outbox[-1].body

    # reported once: the next report does not repeat it
    deux_mois = mois_suivant + datetime.timedelta(days=31)
    with django_capture_on_commit_callbacks(execute=True):
        envois.planifier(aujourd_hui=deux_mois.replace(day=3))
    troisieme = EnvoiRapport.objects.order_by("-debut").first()
    assert troisieme.pk not in (premier.pk, second.pk)
    assert troisieme.correctifs == []


def test_envoyer_maintenant_une_seule_fois(
    client, administrateur, configuration, parcours, django_capture_on_commit_callbacks
):
    client.force_login(administrateur)
    url = reverse("pilotage:envoyer", args=[configuration.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url, follow=True)
    assert "a déjà été envoyé" in page.content.decode()
    assert len(mail.outbox) == 1


def test_page_rapports_et_apercu(
    client,
    administrateur,
    rose,
    configuration,
    parcours,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    client.force_login(rose)
    assert client.get(reverse("pilotage:rapports")).status_code == 403
    client.force_login(administrateur)
    apercu = client.get(reverse("pilotage:apercu", args=[configuration.pk]))
    assert "Région Test" in apercu.content.decode() and "<svg" in apercu.content.decode()
    assert not EnvoiRapport.objects.exists()  # an Aperçu sends and stores nothing
    with django_capture_on_commit_callbacks(execute=True):
        envois.planifier()
    page = client.get(reverse("pilotage:rapports"))
    contenu = page.content.decode()
    assert "Envoyé" in contenu and "suivi@region.example" in contenu and "Message-ID" in contenu


def test_page_rapports_requetes_constantes(
    client, administrateur, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(administrateur)

    def configurer(n):
        for _ in range(n):
            c = RapportConfiguration.objects.create(
                financeur=FinanceurFactory(), destinataires="x@y.example", actif=True
            )
            EnvoiRapport.objects.create(configuration=c, debut=J(2026, 1, 1), fin=J(2026, 1, 31))

    configurer(1)
    with CaptureQueriesContext(connection) as peu:
        client.get(reverse("pilotage:rapports"))
    configurer(6)
    with CaptureQueriesContext(connection) as beaucoup:
        client.get(reverse("pilotage:rapports"))
    assert len(beaucoup.captured_queries) == len(peu.captured_queries)


def test_le_planificateur_embarque_envoie_aussi_les_rapports(
    configuration, parcours, django_capture_on_commit_callbacks
):
    """Embedded mode (no Redis): the scheduler thread runs the tasks registered with it."""
    from evenements import planificateur

    with django_capture_on_commit_callbacks(execute=True):
        for tache in planificateur.taches():
            tache()
    assert EnvoiRapport.objects.get().etat == EnvoiRapport.Etat.ENVOYE
    assert len(mail.outbox) == 1
