"""Delivery decisions a person makes, and guarantees the channels keep (in-process, with a
real SMTP server on loopback where the SMTP dialogue matters)."""

import asyncio
import email
from email import policy

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from evenements import pipeline
from evenements.models import EtatAction
from evenements.services import enregistrer_evenement, modifier_evenement
from notifications.canaux import Message, adresse_reservee, canal_sms
from notifications.models import Envoi
from tests.conftest import jours
from tests.integration.conftest import port_libre


@pytest.fixture
def saisir(django_capture_on_commit_callbacks, types, alice):
    def saisir(dossier, code, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return enregistrer_evenement(
                dossier=dossier, type_evenement=types[code], auteur=alice, **kwargs
            )

    return saisir


@pytest.fixture
def modifier(django_capture_on_commit_callbacks, types, alice):
    def modifier(evenement, commentaire):
        with django_capture_on_commit_callbacks(execute=True):
            modifier_evenement(
                evenement=evenement,
                par=alice,
                raison="Précision",
                type_evenement=evenement.type_evenement,
                date=evenement.date,
                commentaire=commentaire,
            )

    return modifier


def financeur(evenement):
    return evenement.actions.filter(
        configuration__modelenotification__destinataire="financeur"
    ).order_by("-pk")


# --- defect 5: a person's cancellation stands ---


def test_une_annulation_tient_apres_une_modification(saisir, modifier, dossier, rose):
    aujourd_hui = timezone.localdate()
    saisir(dossier, "entree", date=aujourd_hui - jours(1))
    sortie = saisir(dossier, "sortie-positive", date=aujourd_hui + jours(3))
    action = sortie.actions.get(configuration__nature="notification")
    assert action.etat == EtatAction.PLANIFIEE
    pipeline.annuler(action=action, par=rose)

    modifier(sortie, "Fin de parcours confirmée")
    modifier(sortie, "Fin de parcours confirmée par le financeur")

    (seule,) = sortie.actions.filter(
        configuration__nature="notification"
    )  # nothing planned again behind the person's back
    assert seule.etat == EtatAction.ANNULEE and seule.annulee_par == rose
    assert seule.raison == f"Annulée par {rose.get_full_name() or rose}"


def test_replanifier_puis_modifier_replanifie_normalement(
    saisir, modifier, dossier, rose, django_capture_on_commit_callbacks
):
    aujourd_hui = timezone.localdate()
    saisir(dossier, "entree", date=aujourd_hui - jours(1))
    sortie = saisir(dossier, "sortie-positive", date=aujourd_hui + jours(3))
    pipeline.annuler(action=sortie.actions.get(configuration__nature="notification"), par=rose)
    with django_capture_on_commit_callbacks(execute=True):
        nouvelle = pipeline.replanifier(
            action=sortie.actions.get(configuration__nature="notification"), par=rose
        )
    assert nouvelle.etat == EtatAction.PLANIFIEE
    assert nouvelle.planifiee_pour == aujourd_hui + jours(3)
    assert nouvelle.raison.startswith("Replanifiée par")
    with pytest.raises(Exception, match="déjà été replanifiée"):
        pipeline.replanifier(
            action=sortie.actions.filter(configuration__nature="notification")
            .order_by("pk")
            .first(),
            par=rose,
        )

    modifier(sortie, "Date confirmée")  # an ordinary edit: pending rows follow the event
    assert sorted(
        sortie.actions.filter(configuration__nature="notification").values_list("etat", flat=True)
    ) == [
        EtatAction.ANNULEE,
        EtatAction.ANNULEE,
        EtatAction.PLANIFIEE,
    ]


def test_replanifier_une_action_du_jour_l_execute(saisir, dossier, rose, alice):
    entree = saisir(dossier, "entree", date=timezone.localdate() + jours(1))
    action = financeur(entree).get()
    pipeline.annuler(action=action, par=rose)
    # A day passes: the event is now due.
    type(entree).objects.filter(pk=entree.pk).update(date=timezone.localdate())
    avant = len(mail.outbox)
    nouvelle = pipeline.replanifier(action=action, par=rose)
    pipeline.executer(nouvelle.pk)
    nouvelle.refresh_from_db()
    assert nouvelle.etat == EtatAction.EXECUTEE
    assert len(mail.outbox) == avant + 1


def test_une_action_annulee_par_modification_ne_se_replanifie_pas(saisir, modifier, dossier, rose):
    sortie = saisir(dossier, "entree", date=timezone.localdate() + jours(3))
    modifier(sortie, "Autre commentaire")
    ancienne = financeur(sortie).last()
    assert ancienne.etat == EtatAction.ANNULEE and ancienne.annulee_par is None
    with pytest.raises(Exception, match="annulée par une personne"):
        pipeline.replanifier(action=ancienne, par=rose)


def test_replanifier_par_l_interface(client, saisir, dossier, rose, alice, charlie):
    sortie = saisir(dossier, "entree", date=timezone.localdate() + jours(3))
    action = financeur(sortie).get()
    pipeline.annuler(action=action, par=rose)
    url = reverse("evenements:operer_action", args=[action.pk, "replanifier"])

    client.force_login(alice)  # a conseillère has no "piloter_actions"
    page = client.get(reverse("evenements:detail", args=[sortie.pk]))
    assert "Replanifier" not in page.content.decode()
    assert client.post(url).status_code == 403
    client.force_login(charlie)  # another team
    assert client.post(url).status_code == 404

    client.force_login(rose)
    page = client.get(reverse("evenements:detail", args=[sortie.pk]))
    assert "Replanifier" in page.content.decode()
    reponse = client.post(url, follow=True)
    assert "Action replanifiée." in reponse.content.decode()
    assert financeur(sortie).first().etat == EtatAction.PLANIFIEE
    reponse = client.post(url, follow=True)  # twice: a clear refusal, not a second row
    assert "déjà été replanifiée" in reponse.content.decode()
    assert financeur(sortie).count() == 2


# --- defect 18: an unknown outcome waits for a person ---


class CoupureApresData:
    """SMTP server that takes the message, then drops the connection without replying."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        server.transport.close()
        await asyncio.sleep(0.2)
        return "250 OK"


@pytest.fixture
def smtp_coupe(settings):
    from aiosmtpd.controller import Controller

    boite = CoupureApresData()
    controleur = Controller(boite, hostname="127.0.0.1", port=port_libre())
    controleur.start()
    boite.port = controleur.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controleur.port
    settings.EMAIL_TIMEOUT = 5
    yield boite
    controleur.stop()


def test_connexion_perdue_apres_data_a_verifier_puis_clore(saisir, dossier, rose, smtp_coupe):
    dossier.beneficiaire.consentement_email = False
    dossier.beneficiaire.save()
    entree = saisir(dossier, "entree")
    action = financeur(entree).get()
    assert action.etat == EtatAction.A_VERIFIER  # not retried: the server may have it
    assert action.tentatives == 1 and len(smtp_coupe.messages) == 1
    envoi = Envoi.objects.get(action=action)
    assert envoi.etat == Envoi.Etat.INCERTAIN and envoi.remise_le is not None
    assert envoi.serveur == f"127.0.0.1:{smtp_coupe.port}"
    assert envoi.message_id in action.derniere_erreur
    assert pipeline.executer(action.pk) == 0  # a stray message changes nothing
    assert pipeline.balayer() == 0
    assert len(smtp_coupe.messages) == 1

    pipeline.clore(action=action, par=rose)
    action.refresh_from_db()
    assert action.etat == EtatAction.EXECUTEE
    assert action.raison.startswith("Close sans renvoi par")
    envoi.refresh_from_db()
    assert envoi.etat == Envoi.Etat.INCERTAIN  # the log keeps the truth: never confirmed


def test_renvoyer_apres_verification(saisir, dossier, rose, smtp_coupe, settings):
    dossier.beneficiaire.consentement_email = False
    dossier.beneficiaire.save()
    entree = saisir(dossier, "entree")
    action = financeur(entree).get()
    assert action.etat == EtatAction.A_VERIFIER
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # server fixed
    pipeline.renvoyer(action=action, par=rose)
    assert pipeline.executer(action.pk) == 0
    action.refresh_from_db()
    assert action.etat == EtatAction.EXECUTEE
    (renvoi,) = mail.outbox
    envoi = Envoi.objects.get(action=action)
    assert renvoi.extra_headers["Message-ID"] == envoi.message_id  # the same message again
    assert envoi.etat == Envoi.Etat.ENVOYE and envoi.tentatives == 2


def test_renvoyer_et_clore_dans_la_page_des_actions(client, saisir, dossier, rose, smtp_coupe):
    dossier.beneficiaire.consentement_email = False
    dossier.beneficiaire.save()
    action = financeur(saisir(dossier, "entree")).get()
    client.force_login(rose)
    page = client.get(reverse("evenements:actions_en_echec")).content.decode()
    assert "À vérifier" in page and "Renvoyer" in page and "Clore" in page
    reponse = client.post(
        reverse("evenements:operer_action", args=[action.pk, "clore"]), follow=True
    )
    assert "Action close sans renvoi." in reponse.content.decode()
    reponse = client.post(
        reverse("evenements:operer_action", args=[action.pk, "renvoyer"]), follow=True
    )
    assert "Impossible : l&#x27;action est maintenant « Exécutée »." in reponse.content.decode()


def test_modifier_laisse_une_action_a_verifier_a_la_personne(saisir, modifier, dossier, smtp_coupe):
    dossier.beneficiaire.consentement_email = False
    dossier.beneficiaire.save()
    entree = saisir(dossier, "entree")
    modifier(entree, "Commentaire précisé")
    assert financeur(entree).count() == 1  # no second message queued behind its back
    assert financeur(entree).get().etat == EtatAction.A_VERIFIER
    assert len(smtp_coupe.messages) == 1


# --- defect 15: reserved (demo) addresses never leave the machine ---


@pytest.mark.parametrize(
    "adresse, reservee",
    [
        ("beneficiaire3@demo.invalid", True),
        ("Quelqu.un@Exemple.INVALID", True),
        ("+33639980012", True),
        ("06 39 98 00 12", True),
        ("contact@financeur.example", False),
        ("camille@exemple.fr", False),
        ("+33612345678", False),
    ],
)
def test_adresses_reservees(adresse, reservee):
    assert adresse_reservee(adresse) is reservee


def test_smtp_reel_n_ecrit_jamais_a_une_adresse_reservee(saisir, dossier, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # would fail if contacted
    dossier.beneficiaire.email = "beneficiaire1@demo.invalid"
    dossier.beneficiaire.save()
    dossier.financeur.emails_contact = "formation@region.demo.invalid"
    dossier.financeur.save()
    entree = saisir(dossier, "entree")
    for action in entree.actions.all():
        assert action.etat == EtatAction.IGNOREE
        assert action.raison.startswith("Adresse réservée à la démonstration")
    assert not Envoi.objects.filter(etat=Envoi.Etat.ENVOYE).exists()


def test_en_local_la_demo_reste_visible(saisir, dossier):
    """Console or memory backends keep messages on the machine: the demo shows them sent."""
    dossier.beneficiaire.email = "beneficiaire1@demo.invalid"
    dossier.beneficiaire.save()
    entree = saisir(dossier, "entree")
    assert set(entree.actions.values_list("etat", flat=True)) == {EtatAction.EXECUTEE}
    assert any("beneficiaire1@demo.invalid" in m.to for m in mail.outbox)


def test_brevo_refuse_un_numero_fictif_sans_appel(settings):
    settings.SMS_BACKEND = "brevo://CLE@127.0.0.1:1?schema=http"  # would fail if contacted
    with pytest.raises(Exception, match="réservée à la démonstration"):
        canal_sms().envoyer(Message(cle="1", adresse="+33639980012", sujet="", corps="x"))


def test_la_demo_n_utilise_que_des_adresses_reservees(settings):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from dossiers.models import Beneficiaire, Financeur

    settings.DEBUG = True
    call_command("charger_demo")
    adresses = [b.email for b in Beneficiaire.objects.all()]
    adresses += [str(b.mobile) for b in Beneficiaire.objects.all()]
    adresses += [e for f in Financeur.objects.all() for e in f.emails]
    adresses += [u.email for u in get_user_model().objects.exclude(email="")]
    assert len(adresses) > 130
    assert [a for a in adresses if not adresse_reservee(a)] == []


def test_l_onglet_envois_montre_l_issue_inconnue(client, saisir, dossier, alice, smtp_coupe):
    dossier.beneficiaire.consentement_email = False
    dossier.beneficiaire.save()
    saisir(dossier, "entree")
    client.force_login(alice)
    page = client.get(reverse("notifications:envois", args=[dossier.pk])).content.decode()
    assert "Issue inconnue" in page
    assert f"via 127.0.0.1:{smtp_coupe.port}" in page
