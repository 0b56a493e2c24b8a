"""Financeur reports with real parts: PostgreSQL, Redis, two Celery workers, SMTP on loopback.

The beat task is fired twice while two workers race: still one e-mail per financeur and
period, with the CSV and the PDF; the SMTP server refusing at first only delays it."""

import csv
import datetime
import io
import time

import pytest
from pypdf import PdfReader

from dossiers.models import Dossier
from evenements.services import enregistrer_evenement
from pilotage import agregats
from pilotage.models import EnvoiRapport, Periodicite, RapportConfiguration
from pilotage.rapports import periode_close
from tests.factories import DossierFactory, FinanceurFactory
from tests.integration.conftest import attendre

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def deux_financeurs(equipe_a, rose, types, aujourd_hui):
    periode = periode_close(Periodicite.MENSUELLE, aujourd_hui)
    configurations = []
    for nom, nombre in (("Région Rhône", 3), ("OPCO Test", 2)):
        financeur = FinanceurFactory(raison_sociale=nom, emails_contact="")
        for i in range(nombre):
            dossier = DossierFactory(financeur=financeur, equipe=equipe_a, referent=rose)
            enregistrer_evenement(
                dossier=dossier,
                type_evenement=types["entree"],
                auteur=rose,
                date=periode.debut + datetime.timedelta(days=i),
            )
        configurations.append(
            RapportConfiguration.objects.create(
                financeur=financeur,
                periodicite=Periodicite.MENSUELLE,
                destinataires=f"suivi@{financeur.pk}.example\ndirection@{financeur.pk}.example",
                actif=True,
            )
        )
    return configurations, periode


def declencher_beat(app, file):
    app.send_task("pilotage.planifier_rapports", queue=file)


def pieces(message) -> dict:
    return {partie.get_filename(): partie.get_content() for partie in message.iter_attachments()}


def test_beat_deux_fois_deux_workers_un_e_mail_par_financeur(
    lancer_worker, smtp, file_celery, celery_en_processus, deux_financeurs
):
    configurations, periode = deux_financeurs
    lancer_worker()
    lancer_worker()
    declencher_beat(celery_en_processus, file_celery)
    declencher_beat(celery_en_processus, file_celery)

    attendre(
        lambda: EnvoiRapport.objects.filter(etat=EnvoiRapport.Etat.ENVOYE).count() == 2,
        delai=90,
        message=f"non envoyés : {list(EnvoiRapport.objects.values('etat', 'derniere_erreur'))}",
    )
    declencher_beat(celery_en_processus, file_celery)  # a third time, after the sends
    for configuration in configurations:
        adresse = configuration.liste_destinataires[0]
        attendre(lambda a=adresse: smtp.pour(a))
    time.sleep(3)  # let a duplicate, if any, arrive
    assert EnvoiRapport.objects.count() == 2
    for configuration in configurations:
        recus = smtp.pour(configuration.liste_destinataires[0])
        assert len(recus) == 1, f"{len(recus)} e-mails pour {configuration.financeur}"
        message = recus[0]
        assert configuration.liste_destinataires[1] in message["To"]
        assert str(configuration.financeur) in message["Subject"]
        jointes = pieces(message)
        (nom_csv,) = [n for n in jointes if n.endswith(".csv")]
        (nom_pdf,) = [n for n in jointes if n.endswith(".pdf")]

        contenu_csv = jointes[nom_csv]
        if isinstance(contenu_csv, bytes):
            contenu_csv = contenu_csv.decode("utf-8")
        assert contenu_csv.startswith("\ufeff")
        lignes = list(csv.DictReader(io.StringIO(contenu_csv[1:]), delimiter=";"))
        dossiers = Dossier.objects.filter(financeur=configuration.financeur)
        assert {ligne["N° dossier"] for ligne in lignes} == {str(d.pk) for d in dossiers}
        page = agregats.totaux(dossiers, periode)  # the pilotage page's figure
        assert sum(1 for ligne in lignes if ligne["Date d'entrée"]) == page["entrees"]

        texte = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(jointes[nom_pdf])).pages)
        assert str(configuration.financeur).upper() in texte.upper()
        assert "Entrées" in texte and str(page["entrees"]) in texte
        for d in dossiers:
            assert d.beneficiaire.nom.upper() in texte


def test_smtp_refuse_puis_accepte_un_seul_envoi(
    lancer_worker, smtp, file_celery, celery_en_processus, deux_financeurs
):
    configurations, _ = deux_financeurs
    smtp.refus = True
    lancer_worker()
    declencher_beat(celery_en_processus, file_celery)
    attendre(
        lambda: (
            EnvoiRapport.objects.filter(tentatives__gte=1).exclude(derniere_erreur="").count() == 2
        ),
        message="aucune tentative refusée",
    )
    assert EnvoiRapport.objects.filter(etat=EnvoiRapport.Etat.ENVOYE).count() == 0
    smtp.refus = False
    attendre(
        lambda: EnvoiRapport.objects.filter(etat=EnvoiRapport.Etat.ENVOYE).count() == 2,
        delai=60,
        message=f"{list(EnvoiRapport.objects.values('etat', 'tentatives', 'derniere_erreur'))}",
    )
    for configuration in configurations:
        assert len(smtp.pour(configuration.liste_destinataires[0])) == 1
