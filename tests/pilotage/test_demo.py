"""Demo reports: the Rapports page is not empty, and nothing addressed to the demo's reserved
domain leaves the machine."""

from unittest import mock

from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from dossiers.models import Financeur
from pilotage import envois
from pilotage.models import EnvoiRapport, Periodicite, RapportConfiguration
from tests.factories import FinanceurFactory


def test_demo_un_rapport_mensuel_inactif_par_financeur(client, settings):
    settings.DEBUG = True
    call_command("charger_demo")
    call_command("charger_demo")  # idempotent
    configurations = list(RapportConfiguration.objects.select_related("financeur"))
    assert len(configurations) == Financeur.objects.count() == 2
    for configuration in configurations:
        assert configuration.periodicite == Periodicite.MENSUELLE
        assert not configuration.actif
        assert configuration.liste_destinataires
        assert all(a.endswith(".demo.invalid") for a in configuration.liste_destinataires)
    client.force_login(get_user_model().objects.get(username="admin"))
    page = client.get(reverse("pilotage:rapports"))
    assert "Région Auvergne-Rhône-Alpes" in page.content.decode()
    envois.planifier()  # inactive: the schedule sends nothing
    assert not EnvoiRapport.objects.exists()


def test_adresse_de_demo_jamais_envoyee_hors_machine(
    settings, administrateur, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    configuration = RapportConfiguration.objects.create(
        financeur=FinanceurFactory(),
        periodicite=Periodicite.MENSUELLE,
        destinataires="suivi@region.demo.invalid",
    )
    with (
        mock.patch("django.core.mail.backends.smtp.EmailBackend.send_messages") as smtp,
        django_capture_on_commit_callbacks(execute=True),
    ):
        envoi = envois.envoyer_maintenant(configuration=configuration, par=administrateur)
    smtp.assert_not_called()
    envoi.refresh_from_db()
    assert envoi.etat == EnvoiRapport.Etat.ECHEC
    assert "réservée à la démonstration" in envoi.derniere_erreur
    assert not mail.outbox
