"""The pipeline and the notification kind, in-process (Celery eager, locmem e-mail)."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from evenements import pipeline
from evenements.models import ActionDeclenchee, EtatAction
from evenements.services import enregistrer_evenement, modifier_evenement, supprimer_evenement
from notifications.canaux import boite_sms
from notifications.models import Envoi, ModeleNotification
from tests.conftest import jours
from tests.notifications import doubles


@pytest.fixture
def saisir(django_capture_on_commit_callbacks, types, alice):
    """Record through the service and run what is queued after commit."""

    def saisir(dossier, code, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return enregistrer_evenement(
                dossier=dossier,
                type_evenement=types[code],
                auteur=kwargs.pop("auteur", alice),
                **kwargs,
            )

    return saisir


def etats(evenement):
    return {
        str(a.configuration): a.etat
        for a in ActionDeclenchee.objects.filter(evenement=evenement).select_related(
            "configuration__modelenotification"
        )
    }


def test_entree_notifie_financeur_et_beneficiaire(saisir, dossier):
    dossier.financeur.emails_contact = "suivi@region.example\ncompta@region.example"
    dossier.financeur.save()
    entree = saisir(dossier, "entree", commentaire="Objectifs : CACES")
    assert set(etats(entree).values()) == {EtatAction.EXECUTEE}
    financeur = [m for m in mail.outbox if "suivi@region.example" in m.to]
    assert len(financeur) == 1
    message = financeur[0]
    beneficiaire = dossier.beneficiaire
    assert message.subject == f"Entrée en prestation : {beneficiaire.prenom} {beneficiaire.nom}"
    assert f"le {timezone.localdate():%d/%m/%Y}" in message.body
    assert "Commentaire : Objectifs : CACES" in message.body
    assert any(beneficiaire.email in m.to for m in mail.outbox)
    assert len(mail.outbox) == 3  # two financeur addresses, one bénéficiaire
    action = entree.actions.get(configuration__modelenotification__destinataire="financeur")
    assert action.resultat.startswith("E-mail envoyé à suivi@region.example, compta@region.example")
    assert Envoi.objects.filter(action=action, etat=Envoi.Etat.ENVOYE).count() == 2


def test_executer_deux_fois_n_envoie_qu_une_fois(saisir, dossier):
    entree = saisir(dossier, "entree")
    nombre = len(mail.outbox)
    for action in entree.actions.all():
        ActionDeclenchee.objects.filter(pk=action.pk).update(etat=EtatAction.A_EXECUTER)
        assert pipeline.executer(action.pk) == 0
    assert len(mail.outbox) == nombre  # Envoi rows are unique per action and address


def test_saisie_a_posteriori_ignore_les_actions_liees_a_la_date(saisir, dossier, rose):
    entree = saisir(dossier, "entree", date=timezone.localdate() - jours(5))
    liee = entree.actions.get(configuration__liee_a_la_date=True)
    assert liee.etat == EtatAction.IGNOREE
    assert liee.raison == "Événement saisi a posteriori : action liée à la date non exécutée."
    assert entree.actions.get(configuration__liee_a_la_date=False).etat == EtatAction.EXECUTEE
    assert not any(dossier.financeur.emails[0] in m.to for m in mail.outbox)
    pipeline.executer_quand_meme(action=liee, par=rose)
    pipeline.executer(liee.pk)
    liee.refresh_from_db()
    assert liee.etat == EtatAction.EXECUTEE
    assert any(dossier.financeur.emails[0] in m.to for m in mail.outbox)


def test_delai_tolere_accepte_un_petit_retard(saisir, dossier):
    entree = saisir(dossier, "entree", date=timezone.localdate() - jours(2))  # délai : 2 jours
    assert entree.actions.get(configuration__liee_a_la_date=True).etat == EtatAction.EXECUTEE


def test_evenement_futur_planifie_ses_actions_jusqu_a_sa_date(saisir, dossier):
    aujourd_hui = timezone.localdate()
    saisir(dossier, "entree", date=aujourd_hui - jours(1))
    sortie = saisir(dossier, "sortie-positive", date=aujourd_hui + jours(3))
    action = sortie.actions.get(configuration__nature="notification")
    assert action.etat == EtatAction.PLANIFIEE and action.planifiee_pour == aujourd_hui + jours(3)
    avant = len(mail.outbox)
    pipeline.balayer(aujourd_hui + jours(2))
    assert sortie.actions.get(configuration__nature="notification").etat == EtatAction.PLANIFIEE
    pipeline.balayer(aujourd_hui + jours(3))  # eager: sent right away
    assert sortie.actions.get(configuration__nature="notification").etat == EtatAction.EXECUTEE
    # The notification, plus the attestation and the certificat (documents) as attachments.
    assert len([m for m in mail.outbox[avant:] if not m.attachments]) == 1


def test_sans_consentement_ni_adresse_l_action_est_ignoree(saisir, dossier):
    dossier.beneficiaire.consentement_email = False
    dossier.beneficiaire.save()
    dossier.financeur.emails_contact = ""
    dossier.financeur.save()
    entree = saisir(dossier, "entree")
    raisons = {a.raison for a in entree.actions.all()}
    assert raisons == {
        "Le bénéficiaire a refusé les e-mails.",
        "Aucune adresse e-mail pour : Financeur du dossier.",
    }
    assert set(etats(entree).values()) == {EtatAction.IGNOREE}
    assert mail.outbox == []


def test_sms_au_beneficiaire_avec_consentement(saisir, dossier, types, settings):
    settings.SMS_BACKEND = "memoire"
    boite_sms.clear()
    ModeleNotification.objects.create(
        type_evenement=types["entree"],
        destinataire="beneficiaire",
        canal="sms",
        corps="Bonjour {{ beneficiaire.prenom }}, votre parcours commence le {{ evenement.date }}.",
    )
    dossier.beneficiaire.mobile = "06 12 34 56 78"
    dossier.beneficiaire.consentement_sms = True
    dossier.beneficiaire.save()
    entree = saisir(dossier, "entree")
    assert [m.adresse for m in boite_sms] == ["+33612345678"]
    assert boite_sms[0].corps.startswith(f"Bonjour {dossier.beneficiaire.prenom}")
    sms = entree.actions.get(configuration__modelenotification__canal="sms")
    assert sms.resultat.startswith("SMS envoyé à +33612345678")


def test_sms_refuse_par_le_beneficiaire(saisir, dossier, types, settings):
    settings.SMS_BACKEND = "memoire"
    boite_sms.clear()
    ModeleNotification.objects.create(
        type_evenement=types["entree"], destinataire="beneficiaire", canal="sms", corps="x"
    )
    entree = saisir(dossier, "entree")
    sms = entree.actions.get(configuration__modelenotification__canal="sms")
    assert sms.etat == EtatAction.IGNOREE and sms.raison == "Le bénéficiaire a refusé les SMS."
    assert boite_sms == []


def test_smtp_en_panne_reessaie_puis_echec_puis_relance(saisir, dossier, settings, rose):
    settings.EMAIL_BACKEND = "tests.notifications.doubles.SmtpParfoisEnPanne"
    settings.ACTIONS_MAX_TENTATIVES = 3
    doubles.etat["en_panne"] = True
    try:
        entree = saisir(dossier, "entree")
        action = entree.actions.get(configuration__liee_a_la_date=True)
        action.refresh_from_db()
        assert action.etat == EtatAction.A_EXECUTER and action.tentatives == 1
        assert "Connexion fermée" in action.derniere_erreur
        assert action.prochaine_tentative_le > timezone.now()
        for _tentative in (2, 3):
            ActionDeclenchee.objects.filter(pk=action.pk).update(prochaine_tentative_le=None)
            pipeline.executer(action.pk)
        action.refresh_from_db()
        assert action.etat == EtatAction.ECHEC and action.tentatives == 3
        doubles.etat["en_panne"] = False
        pipeline.relancer(action=action, par=rose)
        pipeline.executer(action.pk)
        action.refresh_from_db()
        assert action.etat == EtatAction.EXECUTEE
        assert sum(dossier.financeur.emails[0] in m.to for m in mail.outbox) == 1
    finally:
        doubles.etat["en_panne"] = False


def test_refus_definitif_echec_sans_reessai(saisir, dossier, settings):
    settings.EMAIL_BACKEND = "tests.notifications.doubles.SmtpRefusDefinitif"
    entree = saisir(dossier, "entree")
    action = entree.actions.first()
    assert action.etat == EtatAction.ECHEC and action.tentatives == 1
    assert "550" in action.derniere_erreur


def test_modifier_marque_a_revoir_et_la_correction_part_sur_confirmation(
    saisir, dossier, types, alice, rose, django_capture_on_commit_callbacks
):
    entree = saisir(dossier, "entree", commentaire="Première version")
    avant = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        modifier_evenement(
            evenement=entree,
            par=alice,
            raison="Commentaire erroné",
            type_evenement=types["entree"],
            date=entree.date,
            commentaire="Version corrigée",
        )
    assert len(mail.outbox) == avant  # nothing sent silently
    actions = list(entree.actions.all())
    assert {a.etat for a in actions} == {EtatAction.A_REVOIR}
    assert actions[0].compensation == "Envoyer un message de correction aux destinataires"
    financeur = entree.actions.get(configuration__liee_a_la_date=True)
    with django_capture_on_commit_callbacks(execute=True):
        correction = pipeline.compenser(action=financeur, par=rose)
    correction.refresh_from_db()
    assert correction.etat == EtatAction.EXECUTEE and correction.libelle.startswith("Correction : ")
    message = mail.outbox[-1]
    assert message.subject.startswith("Correction : Entrée en prestation")
    assert "Version corrigée" in message.body
    assert message.to == [dossier.financeur.emails[0]]


def test_modifier_la_date_replanifie_les_actions_planifiees(
    saisir, dossier, types, alice, django_capture_on_commit_callbacks
):
    aujourd_hui = timezone.localdate()
    saisir(dossier, "entree", date=aujourd_hui - jours(1))
    sortie = saisir(dossier, "sortie-positive", date=aujourd_hui + jours(3))
    with django_capture_on_commit_callbacks(execute=True):
        modifier_evenement(
            evenement=sortie,
            par=alice,
            raison="Report",
            type_evenement=types["sortie-positive"],
            date=aujourd_hui + jours(10),
        )
    etats_dates = sorted(
        (a.etat, a.planifiee_pour)
        for a in sortie.actions.filter(configuration__nature="notification")
    )
    assert etats_dates == [
        (EtatAction.ANNULEE, aujourd_hui + jours(3)),
        (EtatAction.PLANIFIEE, aujourd_hui + jours(10)),
    ]


def test_supprimer_annule_les_actions_en_attente(
    saisir, dossier, rose, django_capture_on_commit_callbacks
):
    aujourd_hui = timezone.localdate()
    saisir(dossier, "entree", date=aujourd_hui - jours(1))
    sortie = saisir(dossier, "sortie-positive", date=aujourd_hui + jours(3))
    with django_capture_on_commit_callbacks(execute=True):
        supprimer_evenement(evenement=sortie, par=rose, raison="Sortie reportée sine die")
    action = sortie.actions.get(configuration__nature="notification")
    assert action.etat == EtatAction.ANNULEE and action.raison.startswith("Événement supprimé")


def test_les_actions_d_un_dossier_suivent_l_ordre_des_evenements(dossier, types, alice):
    # recorded without running the queue: the later event's action must wait
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    premiere = entree.actions.order_by("pk").first()
    derniere = entree.actions.order_by("pk").last()
    assert pipeline.executer(derniere.pk) == 2  # wait for the earlier one
    derniere.refresh_from_db()
    assert derniere.etat == EtatAction.A_EXECUTER
    pipeline.executer(premiere.pk)
    assert ActionDeclenchee.objects.get(pk=premiere.pk).etat == EtatAction.EXECUTEE


def test_deux_executions_concurrentes_une_seule_reclame(dossier, types, alice, settings):
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    action = entree.actions.order_by("pk").first()
    ActionDeclenchee.objects.filter(pk=action.pk).update(
        etat=EtatAction.EN_COURS, demarree_le=timezone.now()
    )
    attendre = pipeline.executer(action.pk)  # another worker holds the lease
    assert 0 < attendre <= settings.ACTIONS_BAIL_SECONDES + 1
    assert mail.outbox == []
    ActionDeclenchee.objects.filter(pk=action.pk).update(
        demarree_le=timezone.now() - datetime.timedelta(seconds=settings.ACTIONS_BAIL_SECONDES + 5)
    )
    assert pipeline.balayer() >= 1  # a stale claim (worker killed) is taken over
    assert ActionDeclenchee.objects.get(pk=action.pk).etat == EtatAction.EXECUTEE
