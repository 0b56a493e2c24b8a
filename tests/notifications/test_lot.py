"""Actions run in batches (evenements.pipeline.executer_lot): one claim for several rows, their
data loaded in bulk, one SMTP connection for the batch's e-mails, the dossier's order kept."""

import smtplib
import socket
import threading

import pytest
from django.core import mail
from django.db import connection, connections
from django.db.models import F
from django.utils import timezone

from evenements import pipeline
from evenements.models import ActionDeclenchee, EtatAction
from evenements.services import enregistrer_evenement
from notifications import canaux
from notifications.canaux import Message
from notifications.models import Envoi, ModeleNotification
from tests.conftest import service_absent
from tests.factories import DossierFactory, FinanceurFactory
from tests.integration.conftest import Boite, port_libre
from tests.notifications import doubles


def entrees(nombre, equipe, auteur, types):
    """`nombre` dossiers with an "Entrée" each, recorded without running their actions
    (no commit in a unit test: the rows wait "à exécuter", as in the queue)."""
    evenements = []
    for _ in range(nombre):
        dossier = DossierFactory(
            equipe=equipe,
            referent=auteur,
            financeur=FinanceurFactory(emails_contact=f"f{len(evenements)}@financeur.example"),
        )
        evenements.append(
            enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=auteur)
        )
    return evenements


def a_executer():
    return list(ActionDeclenchee.objects.filter(etat=EtatAction.A_EXECUTER).order_by("pk"))


def test_un_lot_reclame_plusieurs_actions_en_un_nombre_constant_de_requetes(
    equipe_a, alice, types, django_assert_num_queries
):
    entrees(2, equipe_a, alice, types)  # two actions each (financeur, bénéficiaire)
    premiere = a_executer()[0]
    with django_assert_num_queries(5):  # savepoint, claim, earlier pending, update, release
        reclamees, attentes = pipeline._reclamer_lot([premiere.pk], supplement=50)
    assert len(reclamees) == 4 and attentes == {}
    assert set(ActionDeclenchee.objects.values_list("etat", flat=True)) == {EtatAction.EN_COURS}

    entrees(6, equipe_a, alice, types)
    with django_assert_num_queries(5):  # three times as many rows, the same queries
        reclamees, _ = pipeline._reclamer_lot([], supplement=50)
    assert len(reclamees) == 12
    assert ActionDeclenchee.objects.filter(etat=EtatAction.EN_COURS).count() == 16


def test_un_lot_ne_reclame_pas_plus_que_sa_taille(equipe_a, alice, types):
    entrees(3, equipe_a, alice, types)
    reclamees, _ = pipeline._reclamer_lot([], supplement=4)
    assert len(reclamees) == 4
    assert ActionDeclenchee.objects.filter(etat=EtatAction.A_EXECUTER).count() == 2


def test_un_lot_d_e_mails_un_nombre_de_requetes_fixe_plus_un_nombre_fixe_par_message(
    equipe_a, alice, types, django_assert_num_queries
):
    """No N+1: 4 then 12 actions, the same queries (outcomes written together)."""
    entrees(2, equipe_a, alice, types)
    with django_assert_num_queries(FIXE + 4 * PAR_MESSAGE):
        attentes = pipeline.executer_lot([], supplement=50)
    assert attentes == {}
    assert len(mail.outbox) == 4
    entrees(6, equipe_a, alice, types)
    with django_assert_num_queries(FIXE + 12 * PAR_MESSAGE):
        pipeline.executer_lot([], supplement=50)
    assert len(mail.outbox) == 16
    assert set(ActionDeclenchee.objects.values_list("etat", flat=True)) == {EtatAction.EXECUTEE}
    assert set(Envoi.objects.values_list("etat", flat=True)) == {Envoi.Etat.ENVOYE}


@pytest.mark.parametrize(("delai", "vues"), [(1000, [0, 0, 0, 0]), (0, [0, 1, 2, 3])])
def test_les_issues_d_un_lot_sont_ecrites_ensemble_ou_des_qu_une_attend_trop(
    equipe_a, alice, types, monkeypatch, delai, vues
):
    """Outcomes are written together at the end of the batch; once one has waited longer
    than ISSUES_DELAI_SECONDES (a slow server), at the next outcome: a slow batch shows its
    progress on the dossier."""
    monkeypatch.setattr(pipeline, "ISSUES_DELAI_SECONDES", delai)
    entrees(2, equipe_a, alice, types)
    executees_a_chaque_message = []
    remettre = canaux.CanalEmail._remettre

    def remettre_en_comptant(canal, email, message):
        executees_a_chaque_message.append(
            ActionDeclenchee.objects.filter(etat=EtatAction.EXECUTEE).count()
        )
        return remettre(canal, email, message)

    monkeypatch.setattr(canaux.CanalEmail, "_remettre", remettre_en_comptant)
    pipeline.executer_lot([], supplement=50)
    assert executees_a_chaque_message == vues
    assert ActionDeclenchee.objects.filter(etat=EtatAction.EXECUTEE).count() == 4
    assert set(Envoi.objects.values_list("etat", flat=True)) == {Envoi.Etat.ENVOYE}


# The batch: claim (5), configurations (2), events and what their messages read (1 + 6),
# existing records (1), records "en cours" (savepoint, insert, release), then all outcomes
# in one transaction (savepoint, records, actions, release). Each e-mail: nothing more here;
# with SMTP, one statement before DATA (`remise_le`, with the previous outcomes).
FIXE = 5 + 2 + 7 + 1 + 3 + 4
PAR_MESSAGE = 0


def test_un_lot_garde_l_ordre_des_evenements_d_un_dossier(dossier, types, alice):
    ModeleNotification.objects.create(
        type_evenement=types["validation-etape"],
        destinataire="adresse_fixe",
        adresse_fixe="suivi@ex.fr",
        sujet="Étape validée",
        corps="{{ evenement.type }}",
    )
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    etape = enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["validation-etape"],
        auteur=alice,
        valeurs={"etape": "Bilan"},
    )
    # The last one asked first: the batch runs the whole dossier, in its recorded order.
    assert pipeline.executer_lot([etape.actions.get().pk], supplement=50) == {}
    assert [m.to[0] for m in mail.outbox] == [
        dossier.financeur.emails[0],
        dossier.beneficiaire.email,
        "suivi@ex.fr",
    ]
    assert set(ActionDeclenchee.objects.values_list("etat", flat=True)) == {EtatAction.EXECUTEE}


def test_une_action_a_reessayer_retient_la_suite_de_son_dossier_pas_les_autres(
    equipe_a, alice, types, settings
):
    settings.EMAIL_BACKEND = "tests.notifications.doubles.SmtpEnPannePour"
    premier, second = entrees(2, equipe_a, alice, types)
    financeur = premier.dossier.financeur.emails[0]
    doubles.etat["en_panne_pour"] = financeur
    try:
        attentes = pipeline.executer_lot([], supplement=50)
    finally:
        doubles.etat["en_panne_pour"] = None
    a_reessayer, retenue = premier.actions.order_by("pk")
    a_reessayer.refresh_from_db()
    retenue.refresh_from_db()
    assert a_reessayer.etat == EtatAction.A_EXECUTER and a_reessayer.prochaine_tentative_le
    # The dossier's next action was not started: given back, unclaimed, after the retry.
    assert retenue.etat == EtatAction.A_EXECUTER and retenue.tentatives == 0
    assert not Envoi.objects.filter(action=retenue).exclude(etat=Envoi.Etat.EN_COURS).exists()
    delai = settings.ACTIONS_DELAI_BASE_SECONDES
    assert attentes == {a_reessayer.pk: delai, retenue.pk: delai}
    # The other dossier is not held back.
    assert set(second.actions.values_list("etat", flat=True)) == {EtatAction.EXECUTEE}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [second.dossier.financeur.emails[0], second.dossier.beneficiaire.email]
    )


def test_une_action_tenue_par_un_autre_worker_n_est_pas_reprise_par_un_lot(
    equipe_a, alice, types, settings
):
    premier, second = entrees(2, equipe_a, alice, types)
    tenue = premier.actions.order_by("pk").first()
    pipeline._reclamer_lot([tenue.pk])  # another worker's lease
    attentes = pipeline.executer_lot([tenue.pk], supplement=50)
    assert 0 < attentes.pop(tenue.pk) <= settings.ACTIONS_BAIL_SECONDES + 1
    # Its dossier's next action waits for it (its own message will come back); the other
    # dossier runs.
    assert attentes == {}
    assert ActionDeclenchee.objects.get(pk=tenue.pk).etat == EtatAction.EN_COURS
    assert set(second.actions.values_list("etat", flat=True)) == {EtatAction.EXECUTEE}
    assert set(premier.actions.exclude(pk=tenue.pk).values_list("etat", flat=True)) == {
        EtatAction.A_EXECUTER
    }


@pytest.mark.django_db(transaction=True)
def test_deux_reclamations_simultanees_jamais_la_meme_ligne(equipe_a, alice, types, monkeypatch):
    if connection.vendor != "postgresql":
        service_absent("SKIP LOCKED réel : ce test a besoin de PostgreSQL (DATABASE_URL).")
    monkeypatch.setattr(pipeline, "envoyer", lambda ids, countdown=0, **_: None)  # rows wait
    entrees(20, equipe_a, alice, types)  # 40 rows
    depart = threading.Barrier(2)
    lots: list[list[int]] = [[], []]

    def reclamer(numero):
        try:
            depart.wait()
            for _ in range(6):
                reclamees, _ = pipeline._reclamer_lot([], supplement=4)
                lots[numero].extend(a.pk for a in reclamees)
        finally:
            connections.close_all()

    fils = [threading.Thread(target=reclamer, args=(n,)) for n in (0, 1)]
    for f in fils:
        f.start()
    for f in fils:
        f.join(timeout=60)
    assert lots[0] and lots[1]  # both claimed something
    assert not set(lots[0]) & set(lots[1])  # never the same row
    assert len(lots[0]) == len(set(lots[0])) and len(lots[1]) == len(set(lots[1]))
    en_cours = ActionDeclenchee.objects.filter(etat=EtatAction.EN_COURS)
    assert set(en_cours.values_list("pk", flat=True)) == set(lots[0]) | set(lots[1])
    assert en_cours.filter(tentatives=1).count() == en_cours.count()


# --- one SMTP connection per batch, closed and reopened on errors ---


class BoiteComptee(Boite):
    def __init__(self):
        super().__init__()
        self.connexions = 0
        self.refuser = set()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.connexions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuser:
            return "451 4.3.0 Réessayez plus tard"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.fixture
def smtp_local(settings):
    from aiosmtpd.controller import Controller

    boite = BoiteComptee()
    controleur = Controller(boite, hostname="127.0.0.1", port=port_libre())
    controleur.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controleur.port
    settings.EMAIL_TIMEOUT = 5
    yield boite
    controleur.stop()


def message(numero: int) -> Message:
    return Message(cle=f"lot-{numero}", adresse=f"d{numero}@ex.fr", sujet="Sujet", corps="Corps")


def test_une_session_garde_une_connexion_smtp_et_la_rouvre_apres_une_erreur(smtp_local):
    smtp_local.refuser = {"d2@ex.fr"}
    resultats = []
    with canaux.session():
        for numero in range(1, 5):
            try:
                canaux.canal("email").envoyer(message(numero))
                resultats.append("envoyé")
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test reads
                resultats.append(type(exc).__name__)
    assert resultats == ["envoyé", "ErreurTransitoire", "envoyé", "envoyé"]
    assert [m["To"] for m in smtp_local.messages] == ["d1@ex.fr", "d3@ex.fr", "d4@ex.fr"]
    assert smtp_local.connexions == 2  # one before the error, a new one after it


def test_hors_session_une_connexion_par_message(smtp_local):
    for numero in range(1, 4):
        canaux.canal("email").envoyer(message(numero))
    assert len(smtp_local.messages) == 3 and smtp_local.connexions == 3


def test_un_lot_d_e_mails_une_seule_connexion_smtp(
    equipe_a, alice, types, smtp_local, django_assert_num_queries
):
    """One connection, and one statement per message before DATA: its `remise_le`, with the
    previous message's outcome."""
    entrees(5, equipe_a, alice, types)
    with django_assert_num_queries(FIXE + 10 * 1):
        assert pipeline.executer_lot([], supplement=50) == {}
    assert len(smtp_local.messages) == 10 and smtp_local.connexions == 1
    envois = Envoi.objects.all()
    assert {e.etat for e in envois} == {Envoi.Etat.ENVOYE}
    assert all(e.commence_le <= e.remise_le <= e.envoye_le for e in envois)


def test_une_connexion_gardee_fermee_par_le_serveur_est_rouverte(smtp_local):
    with canaux.session():
        moyen = canaux.canal("email")
        moyen.envoyer(message(1))
        # The server dropped the idle connection.
        moyen._connexion.connection.sock.shutdown(socket.SHUT_RDWR)
        moyen.envoyer(message(2))
    assert [m["To"] for m in smtp_local.messages] == ["d1@ex.fr", "d2@ex.fr"]
    assert smtp_local.connexions == 2


def test_un_message_dont_l_action_est_deja_faite_execute_les_autres_dues(equipe_a, alice, types):
    """A wake-up stands for the rows made due while it waited (evenements.sonnette): even
    when its own action is done, its batch runs the others."""
    (entree,) = entrees(1, equipe_a, alice, types)
    premiere = entree.actions.order_by("pk").first()
    pipeline.executer_lot([premiere.pk], supplement=50)  # its batch runs both actions
    assert len(mail.outbox) == 2
    entrees(1, equipe_a, alice, types)  # their publisher found the wake-up waiting
    assert pipeline.executer_lot([premiere.pk], supplement=50) == {}
    assert len(mail.outbox) == 4
    assert not ActionDeclenchee.objects.filter(etat=EtatAction.A_EXECUTER).exists()


@pytest.mark.parametrize(
    ("dossiers", "supplement", "reveils"),
    [
        (3, 4, 1),  # 6 due, 4 claimed: a full claim wakes another worker at once
        (2, 50, 0),  # all claimed, none left: no wake-up
        (0, 50, 0),  # nothing to claim: no wake-up (no loop of empty messages)
    ],
)
def test_un_lot_qui_laisse_des_actions_dues_reveille_un_worker(
    equipe_a, alice, types, dossiers, supplement, reveils
):
    entrees(dossiers, equipe_a, alice, types)
    appels = []
    pipeline.executer_lot([], supplement=supplement, relancer=lambda: appels.append(1))
    assert len(appels) == reveils
    restantes = ActionDeclenchee.objects.filter(etat=EtatAction.A_EXECUTER).count()
    assert restantes == max(2 * dossiers - supplement, 0)


def test_des_actions_retenues_derriere_une_reprise_ne_reveillent_personne(
    equipe_a, alice, types, monkeypatch
):
    """Rows given back unstarted behind an action to retry wait for it (its own delayed
    message): no wake-up, no batch takes them meanwhile; another dossier's rows are taken."""
    entrees(1, equipe_a, alice, types)  # two actions of one dossier
    premiere, seconde = ActionDeclenchee.objects.order_by("pk")

    def serveur_occupe(canal, message):
        raise pipeline.ErreurTransitoire("421 Réessayez plus tard")

    monkeypatch.setattr(canaux.CanalEmail, "envoyer", serveur_occupe)
    appels = []
    attentes = pipeline.executer_lot([], supplement=50, relancer=lambda: appels.append(1))
    assert set(attentes) == {premiere.pk, seconde.pk}
    assert appels == []
    monkeypatch.undo()
    (autre,) = entrees(1, equipe_a, alice, types)
    assert pipeline.executer_lot([], supplement=50) == {}
    assert set(ActionDeclenchee.objects.filter(etat=EtatAction.EXECUTEE)) == set(
        autre.actions.all()
    )
    seconde.refresh_from_db()
    assert seconde.etat == EtatAction.A_EXECUTER  # still behind the first, in order


def test_une_issue_n_est_pas_ecrite_sur_une_action_reprise_ailleurs(
    equipe_a, alice, types, monkeypatch, caplog
):
    """The batch outlived its lease and another worker took an action over: this batch's
    outcome for it is not written (the other worker's stands)."""
    entrees(1, equipe_a, alice, types)
    premiere, _ = ActionDeclenchee.objects.order_by("pk")
    remettre = canaux.CanalEmail._remettre

    def reprise_pendant_le_lot(canal, email, message):
        ActionDeclenchee.objects.filter(pk=premiere.pk).update(demarree_le=timezone.now())
        return remettre(canal, email, message)

    monkeypatch.setattr(canaux.CanalEmail, "_remettre", reprise_pendant_le_lot)
    pipeline.executer_lot([], supplement=50)
    premiere.refresh_from_db()
    assert premiere.etat == EtatAction.EN_COURS  # the other worker's claim, untouched
    assert "reprise par un autre worker" in caplog.text


def test_un_envoi_repris_ailleurs_avant_data_n_est_pas_remis(
    equipe_a, alice, types, smtp_local, monkeypatch
):
    """The record's attempt was taken over (its count moved on) just before DATA: the
    statement before DATA leaves it alone, and nothing is handed to the server."""
    entrees(1, equipe_a, alice, types)
    rcpt = smtplib.SMTP.rcpt

    def reprise_avant_data(smtp, *args, **kwargs):
        Envoi.objects.update(tentatives=F("tentatives") + 1)  # another worker's attempt
        return rcpt(smtp, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "rcpt", reprise_avant_data)
    attentes = pipeline.executer_lot([], supplement=50)
    assert smtp_local.messages == []
    assert len(attentes) == 2  # to try again later (then found taken over, or done)
    assert set(Envoi.objects.values_list("tentatives", "remise_le")) == {(2, None)}
