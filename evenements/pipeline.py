"""The action pipeline: outbox rows written with the event, run after commit, exactly once.

- planifier(): in the event's transaction, one ActionDeclenchee per active configured action.
- after commit, the due rows are handed to Celery, one message per batch of ACTIONS_LOT ids
  (or run in-process when embedded); a new row carries its hand-over time from its INSERT.
- executer_lot(): claims the due rows it is given and up to ACTIONS_LOT others in one
  transaction (row locks, SKIP LOCKED + lease), lets each kind prepare its part in bulk, runs
  them in each dossier's recorded order; outcomes are written together (batch end, or once
  one has waited ISSUES_DELAI_SECONDES). executer(): the same, one row.
- balayer(): periodic sweep; due planned rows, rows left "à exécuter" (broker down at
  commit time) and stale claims (worker killed) are handed over again. None is lost, and a
  row handed over less than ACTIONS_RETRANSMISSION_SECONDES ago is left to its message.
- an attempt whose outcome is unknown (IssueIncertaine) is never repeated silently: the row
  waits "à vérifier" until a person chooses "Renvoyer" or "Clore".
- a row a person cancelled stays cancelled when its event is edited ("Replanifier" undoes it).
"""

import contextlib
import datetime
import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

from config.lots import mettre_a_jour
from evenements import courrier, sonnette
from evenements.models import ActionConfiguree, ActionDeclenchee, EtatAction, Evenement
from evenements.natures import (
    ActionIgnoree,
    ErreurTransitoire,
    IssueIncertaine,
    concerne,
    nature,
    natures,
)

journal = logging.getLogger(__name__)
EN_ATTENTE = (EtatAction.A_EXECUTER, EtatAction.PLANIFIEE)
FAITES = (EtatAction.EXECUTEE, EtatAction.A_REVOIR)


def _cle(fonction) -> Callable:
    """One key per `concerne` implementation (bound methods of one class share it)."""
    return getattr(fonction, "__func__", fonction)


def conditions(configurations: list[ActionConfiguree]) -> dict[Callable, Callable]:
    """{key: its `concerne_sql`} for the kinds of these configurations that have both: the
    caller asks them in one of its reads and hands the verdicts to planifier()."""
    trouvees = {}
    for configuration in configurations:
        genre = nature(configuration.nature)
        fonction = getattr(genre, "concerne", None)
        sql = getattr(genre, "concerne_sql", None)
        if fonction is not None and sql is not None:
            trouvees.setdefault(_cle(fonction), sql)
    return trouvees


def _configurations(
    evenement: Evenement,
    configurations: list[ActionConfiguree] | None = None,
    verdicts: dict | None = None,
) -> list[ActionConfiguree]:
    """The type's active configured actions that concern the dossier. `configurations`: the
    type's active ones when the caller has them (evenements.configuration); `verdicts`: the
    answers it already read (see conditions())."""
    if configurations is None:
        configurations = ActionConfiguree.objects.filter(
            type_evenement_id=evenement.type_evenement_id, actif=True
        )
    verdicts = dict(verdicts or {})  # kinds sharing one `concerne` (billing) ask it once

    def concerne_le_dossier(configuration) -> bool:
        fonction = getattr(nature(configuration.nature), "concerne", None)
        if fonction is None:
            return concerne(configuration, evenement.dossier)
        cle = _cle(fonction)
        if cle not in verdicts:
            verdicts[cle] = fonction(evenement.dossier)
        return verdicts[cle]

    return [c for c in configurations if concerne_le_dossier(c)]


def _nouvelle_action(
    evenement, configuration, aujourd_hui, generation, **extra
) -> ActionDeclenchee:
    action = ActionDeclenchee(
        evenement=evenement,
        configuration=configuration,
        cle=f"{evenement.pk}-{configuration.pk}-{generation}",
        **extra,
    )
    if evenement.date > aujourd_hui:
        action.etat = EtatAction.PLANIFIEE
        action.planifiee_pour = evenement.date
    elif trop_tard(configuration, evenement.date, aujourd_hui):
        action.etat = EtatAction.IGNOREE
        action.raison = "Événement saisi a posteriori : action liée à la date non exécutée."
    return action


def trop_tard(configuration, date: datetime.date, aujourd_hui: datetime.date) -> bool:
    """A date-bound action of an event recorded after its tolerated delay is skipped."""
    return configuration.liee_a_la_date and (
        (aujourd_hui - date).days > configuration.delai_tolere_jours
    )


def planifier(
    evenement: Evenement,
    aujourd_hui: datetime.date | None = None,
    *,
    configurations: list[ActionConfiguree] | None = None,
    verdicts: dict | None = None,
) -> list:
    """Write the event's outbox rows (caller's transaction) and send them after commit."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    actions = [
        _nouvelle_action(evenement, configuration, aujourd_hui, 1)
        for configuration in _configurations(evenement, configurations, verdicts)
    ]
    if actions:
        _noter_transmission(actions)
        ActionDeclenchee.objects.bulk_create(actions)
    envoyer_apres_commit([a.pk for a in actions if a.transmise_le], notees=True)
    return actions


def _noter_transmission(actions: list[ActionDeclenchee]) -> None:
    """New rows "à exécuter" carry their hand-over time in their INSERT (no UPDATE after the
    publish): the sweep leaves them to their message; a failed publish clears it again."""
    maintenant = timezone.now()
    for action in actions:
        if action.etat == EtatAction.A_EXECUTER:
            action.transmise_le = maintenant


def _generation(evenement: Evenement) -> int:
    """Rows of one event get keys ending in a generation that grows with each re-planning."""
    return evenement.actions.filter(corrige__isnull=True).count() + 1


def corriger(evenement: Evenement, *, supprime: bool, aujourd_hui: datetime.date | None = None):
    """After an edit or a deletion: nothing undone or sent silently.

    Pending actions are cancelled (and planned again for the edited event); actions already
    done are marked "à revoir" with the compensation their kind proposes. An action a person
    cancelled, or one waiting for a person's check ("à vérifier"), is left as it is and not
    planned again: a person's decision stands.
    """
    aujourd_hui = aujourd_hui or timezone.localdate()
    existantes = list(
        evenement.actions.filter(corrige__isnull=True)
        .select_related("configuration")
        .order_by("pk")
    )
    motif = "Événement supprimé" if supprime else "Événement modifié"
    derniere = {action.configuration_id: action for action in existantes}  # latest per config
    deja_faites = {
        configuration_id
        for configuration_id, action in derniere.items()
        if action.etat == EtatAction.A_VERIFIER
        or (action.etat == EtatAction.ANNULEE and action.annulee_par_id)
    }
    for action in existantes:
        if action.etat in FAITES:
            action.etat = EtatAction.A_REVOIR
            action.raison = f"{motif} après l'exécution de cette action."
            action.compensation = nature(action.configuration.nature).compensation(action)
            deja_faites.add(action.configuration_id)
        elif action.etat in (*EN_ATTENTE, EtatAction.ECHEC, EtatAction.IGNOREE):
            action.etat = EtatAction.ANNULEE
            action.raison = f"{motif} : action annulée."
        else:
            continue
        action.save(update_fields=["etat", "raison", "compensation"])
    if supprime:
        return
    generation = len(existantes) + 1
    nouvelles = [
        _nouvelle_action(evenement, configuration, aujourd_hui, generation)
        for configuration in _configurations(evenement)
        if configuration.pk not in deja_faites
    ]
    _noter_transmission(nouvelles)
    ActionDeclenchee.objects.bulk_create(nouvelles)
    envoyer_apres_commit([a.pk for a in nouvelles if a.transmise_le], notees=True)


def envoyer_apres_commit(ids: list[int], countdown: int = 0, *, notees: bool = False) -> None:
    if ids:
        transaction.on_commit(lambda: envoyer(ids, countdown, notees=notees))


def envoyer(
    ids: list[int], countdown: int = 0, *, notees: bool = False, sonner: bool = True
) -> None:
    """Hand actions to Celery: one message per ACTIONS_LOT ids, claimed by the worker as one
    batch. A broker that is down loses nothing: the sweep resends.

    While a wake-up message waits in the queue (evenements.sonnette), it stands for these
    rows: nothing is published (its batch claims every due row). `sonner=False`: publish
    anyway (the sweep).

    `notees`: the rows got their `transmise_le` in their INSERT; it is cleared again for a
    message that could not be published (best effort: if even that fails, the sweep resends
    them once ACTIONS_RETRANSMISSION_SECONDES have passed). Otherwise it is written here."""
    from evenements.tasks import executer_action

    if not ids:
        return
    eager = executer_action.app.conf.task_always_eager
    if eager and countdown:
        return  # embedded mode: the in-process scheduler picks it up when due
    file = executer_action.app.conf.task_default_queue  # read now: it is configurable
    taille = max(settings.ACTIONS_LOT, 1)
    lots = [list(ids[debut : debut + taille]) for debut in range(0, len(ids), taille)]
    transmises, perdues = [], []
    sonnee = None
    if sonner and not countdown and not eager:
        try:
            sonnee = _sonner(lots, file)
        except Exception as exc:  # noqa: BLE001 - nothing was set nor pushed: as a lost publish
            journal.warning(
                "Actions %s non transmises au broker (%s) ; le balayage les reprendra.", ids, exc
            )
            perdues = list(ids)
        if sonnee is None and not perdues and not sonnette.tirer(file):
            sonnee = False
        if sonnee is False:  # a wake-up waits: it stands for these rows
            if not notees:
                ActionDeclenchee.objects.filter(pk__in=ids).update(transmise_le=timezone.now())
            return
    if sonnee:
        transmises = list(ids)
    elif not perdues:
        for lot in lots:
            (transmises if _publier(lot, countdown, file) else perdues).extend(lot)
        if perdues and sonner and not countdown and not eager:
            sonnette.relacher(file)  # no wake-up waits after all
    if notees:
        if perdues:
            _oublier_transmission(perdues)
    elif transmises:  # one query per call: the sweep leaves these to their message
        ActionDeclenchee.objects.filter(pk__in=transmises).update(transmise_le=timezone.now())


def _sonner(lots: list[list[int]], file: str) -> bool | None:
    """The wake-up and its messages in one round trip (evenements.sonnette.sonner), when the
    broker is the Redis that holds the wake-up; None otherwise (publish through Celery)."""
    from evenements.tasks import executer_action

    if executer_action.app.conf.broker_url != settings.REDIS_URL:
        return None
    return sonnette.sonner(file, [courrier.corps(executer_action, [lot], file) for lot in lots])


def reveiller() -> None:
    """Publish a wake-up with no ids, unless one waits already: a batch left due rows."""
    from evenements.tasks import executer_action

    file = executer_action.app.conf.task_default_queue
    if sonnette.tirer(file) and not _publier([], 0, file):
        sonnette.relacher(file)


def _publier(lot: list[int], countdown: int, file: str) -> bool:
    from evenements.tasks import executer_action

    try:
        executer_action.apply_async(
            args=[lot],
            countdown=countdown,
            retry=False,
            queue=file,
            argsrepr=repr([lot]),  # what Celery would compute, without its safe repr
        )
    except Exception as exc:  # broker unreachable: the rows stay "à exécuter"
        journal.warning(
            "Actions %s non transmises au broker (%s) ; le balayage les reprendra.", lot, exc
        )
        return False
    return True


def _oublier_transmission(ids: list[int]) -> None:
    """Rows whose message was not published: the next sweep hands them over."""
    try:
        ActionDeclenchee.objects.filter(pk__in=ids).update(transmise_le=None)
    except Exception as exc:  # the database too: the sweep waits for the threshold
        journal.warning(
            "Actions %s : heure de transmission non effacée (%s) ; le balayage les reprendra "
            "après ACTIONS_RETRANSMISSION_SECONDES.",
            ids,
            exc,
        )


def _bail() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.ACTIONS_BAIL_SECONDES)


# A row that must wait for an earlier action of its dossier (or for a claim in progress
# elsewhere) is handed over again this many seconds later.
ATTENTE_ORDRE = 2


@contextlib.contextmanager
def ecriture_differee():
    """A transaction whose commit does not wait for the disk (PostgreSQL
    `synchronous_commit = off`): for outcomes only, never for a step that must be on record
    before a risk is taken. Visible to every other connection as soon as it returns, so a
    killed worker loses nothing; only a crash of the database server itself could forget it,
    and a forgotten outcome falls back to the cautious state written before it ("en cours":
    the lease runs out, the action is taken over and finds its messages' records). The next
    ordinary commit of the same server writes it to disk anyway. Inside a caller's
    transaction, that transaction's commit decides: an ordinary one."""
    differee = _commit_differe_possible()
    with transaction.atomic():
        if differee:
            _differer_le_commit()
        yield


def _commit_differe_possible() -> bool:
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _differer_le_commit() -> None:
    with connection.cursor() as curseur:
        curseur.execute("SET LOCAL synchronous_commit TO OFF")


_ecritures = threading.local()  # during a batch: outcomes not written yet
# Outcomes of a batch wait at most this long in memory (then written at the next outcome).
ISSUES_DELAI_SECONDES = 1.0


def differer(ecriture: Callable[[], None]) -> None:
    """Write a kind's outcome record (e.g. an Envoi "envoyé"). During a batch, with the
    batch's action outcomes (_ecrire_les_issues), unless the kind writes it sooner with its
    next step (the same function given twice is written once); elsewhere at once, in a
    deferred commit."""
    en_attente = getattr(_ecritures, "liste", None)
    if en_attente is None:
        with ecriture_differee():
            ecriture()
    elif ecriture not in en_attente:
        en_attente.append(ecriture)


def _vider(en_attente: list) -> None:
    """Run the writes waiting; forgotten only once all have run (a failed transaction is
    tried again with all of them)."""
    for ecriture in list(en_attente):
        ecriture()
    en_attente.clear()


def _due(action: ActionDeclenchee, maintenant: datetime.datetime) -> bool:
    """The Python twin of _dues(): to be claimed now."""
    if action.etat == EtatAction.EN_COURS:
        return action.demarree_le + _bail() <= maintenant
    return action.etat == EtatAction.A_EXECUTER and (
        action.prochaine_tentative_le is None or action.prochaine_tentative_le <= maintenant
    )


def _dues(maintenant: datetime.datetime) -> Q:
    """Rows to claim now: "à exécuter" and not waiting for a retry, or claimed by a worker
    whose lease ran out (killed)."""
    return (
        Q(etat=EtatAction.A_EXECUTER)
        & (Q(prochaine_tentative_le__isnull=True) | Q(prochaine_tentative_le__lte=maintenant))
    ) | Q(etat=EtatAction.EN_COURS, demarree_le__lte=maintenant - _bail())


def _retenues(maintenant: datetime.datetime) -> Exists:
    """Rows of a dossier that has an action waiting for its retry, or running under another
    worker's live claim: held back by the dossier's order, they are not taken as a batch's
    extra rows (nor counted as left behind) until it is done."""
    return Exists(
        ActionDeclenchee.objects.filter(
            evenement__dossier_id=OuterRef("evenement__dossier_id"),
        ).filter(
            Q(etat=EtatAction.A_EXECUTER, prochaine_tentative_le__gt=maintenant)
            | Q(etat=EtatAction.EN_COURS, demarree_le__gt=maintenant - _bail())
        )
    )


def _ordre(action: ActionDeclenchee) -> tuple:
    """Recorded order of a dossier's actions: its events' (date, rang), then the rows."""
    evenement = action.evenement
    return (evenement.date, evenement.rang, evenement.pk, action.pk)


def _pour_le_lot(ids: list[int], supplement: int, maintenant: datetime.datetime):
    """The claim query: the rows `ids` (whatever their state, to tell why one is not run)
    first, then up to `supplement` other due rows, oldest events first; each row locked, and
    rows another claimer holds locked right now skipped (PostgreSQL: SKIP LOCKED; SQLite
    has one writer at a time and no row locks). Joins only the event (for the order): a
    query PostgreSQL plans in no time, run for every message, even one with nothing left
    to do."""
    filtre = Q(pk__in=ids)
    if supplement:
        filtre |= _dues(maintenant) & ~_retenues(maintenant)
    requete = (
        ActionDeclenchee.objects.filter(filtre)
        .select_related("evenement")
        .alias(demande=Case(When(pk__in=ids, then=Value(0)), default=Value(1)))
        .order_by("demande", "evenement__date", "evenement__rang", "evenement_id", "pk")
    )
    if connection.features.has_select_for_update_skip_locked:
        requete = requete.select_for_update(skip_locked=True, of=("self",))
    else:
        requete = requete.select_for_update(of=("self",))
    return list(requete[: len(ids) + supplement])


def _reclamer_lot(ids: list[int], supplement: int = 0):
    """Claim, in one short transaction and a constant number of queries, the due rows among
    `ids` plus up to `supplement` other due rows.

    Returns (claimed rows in the order to run them, {pk: seconds} for rows of `ids` to hand
    over again later: held by another worker's lease, behind an earlier action of their
    dossier, or being claimed elsewhere this very instant). A row is claimed only if every
    earlier pending action of its dossier is claimed with it (and runs before it)."""
    maintenant = timezone.now()
    attentes: dict[int, int] = {}
    differee = _commit_differe_possible()
    with transaction.atomic():
        lignes = _pour_le_lot(ids, supplement, maintenant)
        candidates = []
        for action in lignes:
            if _due(action, maintenant):
                candidates.append(action)
            elif action.etat == EtatAction.EN_COURS:  # another worker holds it (or died)
                reste = action.demarree_le + _bail() - maintenant
                attentes[action.pk] = max(int(reste.total_seconds()) + 1, 1)
        vues = {action.pk for action in lignes}
        if absentes := [pk for pk in ids if pk not in vues]:
            existantes = set(
                ActionDeclenchee.objects.filter(pk__in=absentes).values_list("pk", flat=True)
            )
            for pk in absentes:
                if pk in existantes:  # skipped: another claimer holds its lock right now
                    attentes[pk] = ATTENTE_ORDRE
                else:
                    journal.warning("Action %s introuvable.", pk)
        candidates.sort(key=_ordre)
        premiere_autre = _premieres_en_attente(candidates)
        reclamees = []
        for action in candidates:
            bloquante = premiere_autre.get(action.evenement.dossier_id)
            if bloquante is not None and bloquante < _ordre(action):
                if action.pk in ids:
                    attentes[action.pk] = ATTENTE_ORDRE
                continue
            reclamees.append(action)
        if reclamees:
            ActionDeclenchee.objects.filter(pk__in=[a.pk for a in reclamees]).update(
                etat=EtatAction.EN_COURS, demarree_le=maintenant, tentatives=F("tentatives") + 1
            )
        elif differee and lignes:  # rows locked, nothing changed: no need to wait for the disk
            _differer_le_commit()
        for action in reclamees:
            action.etat = EtatAction.EN_COURS
            action.demarree_le = maintenant
            action.tentatives += 1
    return reclamees, attentes


def _premieres_en_attente(candidates: list[ActionDeclenchee]) -> dict[int, tuple]:
    """Per dossier, the first pending action (à exécuter, en cours) that is not among the
    candidates: a candidate recorded after it must wait. One query."""
    if not candidates:
        return {}
    premieres: dict[int, tuple] = {}
    autres = (
        ActionDeclenchee.objects.filter(
            evenement__dossier_id__in={a.evenement.dossier_id for a in candidates},
            etat__in=[EtatAction.A_EXECUTER, EtatAction.EN_COURS],
        )
        .exclude(pk__in=[a.pk for a in candidates])
        .values_list(
            "evenement__dossier_id", "evenement__date", "evenement__rang", "evenement_id", "pk"
        )
    )
    for dossier_id, *ordre in autres:
        if dossier_id not in premieres or tuple(ordre) < premieres[dossier_id]:
            premieres[dossier_id] = tuple(ordre)
    return premieres


def _charger_configurations(actions: list[ActionDeclenchee]) -> None:
    """The batch's configurations with the parameters of the kinds present (two queries,
    one join per kind present)."""
    ids = {action.configuration_id for action in actions}
    codes = set(
        ActionConfiguree.objects.filter(pk__in=ids).values_list("nature", flat=True).distinct()
    )
    chemins = [n.parametres for code, n in natures().items() if code in codes]
    configurations = ActionConfiguree.objects.select_related(*chemins).in_bulk(ids)
    for action in actions:
        action.configuration = configurations[action.configuration_id]


def _terminer(action: ActionDeclenchee, **champs) -> None:
    """Note the outcome; written with the batch's others (_ecrire_les_issues), at once if
    the oldest waits for ISSUES_DELAI_SECONDES already (a slow server)."""
    champs.setdefault("terminee_le", timezone.now())
    for nom, valeur in champs.items():
        setattr(action, nom, valeur)
    _ecritures.issues.append((action, tuple(sorted(champs))))
    if time.monotonic() - _ecritures.depuis >= ISSUES_DELAI_SECONDES:
        _ecrire_les_issues()


def _ecrire_les_issues() -> None:
    """One transaction for the outcomes noted so far: the kinds' records, then one UPDATE
    per set of fields for the actions (only rows still claimed). A deferred commit is
    enough (see ecriture_differee): each row's claim, and the records the kinds made
    before any risk, are already on disk; a killed worker leaves its rows "en cours" and the
    takeover finds their records."""
    issues, ecritures = _ecritures.issues, _ecritures.liste
    if issues or ecritures:
        par_champs: dict[tuple, list[ActionDeclenchee]] = {}
        for action, champs in issues:
            par_champs.setdefault(champs, []).append(action)
        with ecriture_differee():
            _vider(ecritures)
            for champs, actions in par_champs.items():
                # Only rows still under this batch's claim (same claim time).
                ecrites = mettre_a_jour(
                    actions, champs, jeton="demarree_le", etat=EtatAction.EN_COURS
                )
                if ecrites < len(actions):
                    journal.warning(
                        "%s issue(s) non écrite(s) : action reprise par un autre worker.",
                        len(actions) - ecrites,
                    )
        issues.clear()
    _ecritures.depuis = time.monotonic()


@contextlib.contextmanager
def _issues_du_lot():
    """Outcomes noted during the block are written by its end."""
    _ecritures.issues, _ecritures.liste, _ecritures.depuis = [], [], time.monotonic()
    try:
        yield
    finally:
        try:
            _ecrire_les_issues()
        finally:
            _ecritures.issues = _ecritures.liste = None


def _executer_reclamee(action: ActionDeclenchee) -> int:
    """Run a claimed action; returns seconds after which to try again (0: done)."""
    try:
        resultat = nature(action.configuration.nature).executer(action)
    except ActionIgnoree as exc:
        _terminer(action, etat=EtatAction.IGNOREE, raison=str(exc))
    except IssueIncertaine as exc:  # never repeated blindly: a person checks and decides
        _terminer(
            action,
            etat=EtatAction.A_VERIFIER,
            raison="Issue inconnue : vérifiez auprès du destinataire, puis « Renvoyer » ou "
            "« Clore ».",
            derniere_erreur=str(exc),
        )
    except ErreurTransitoire as exc:
        if action.tentatives >= settings.ACTIONS_MAX_TENTATIVES:
            _terminer(action, etat=EtatAction.ECHEC, derniere_erreur=str(exc))
            return 0
        delai = settings.ACTIONS_DELAI_BASE_SECONDES * 2 ** (action.tentatives - 1)
        _terminer(
            action,
            etat=EtatAction.A_EXECUTER,
            derniere_erreur=str(exc),
            terminee_le=None,
            prochaine_tentative_le=timezone.now() + datetime.timedelta(seconds=delai),
        )
        return delai
    except Exception as exc:  # a definitive failure: shown, and "Relancer" is offered
        journal.exception("Action %s en échec", action.pk)
        _terminer(
            action, etat=EtatAction.ECHEC, derniere_erreur=f"{exc.__class__.__name__} : {exc}"
        )
    else:
        _terminer(action, etat=EtatAction.EXECUTEE, resultat=resultat, derniere_erreur="")
    return 0


def _liberer(actions: list[ActionDeclenchee]) -> None:
    """Give back claimed rows that were not started (their claim is undone)."""
    ActionDeclenchee.objects.filter(
        pk__in=[a.pk for a in actions], etat=EtatAction.EN_COURS, demarree_le=actions[0].demarree_le
    ).update(etat=EtatAction.A_EXECUTER, demarree_le=None, tentatives=F("tentatives") - 1)


def _prolonger(actions: list[ActionDeclenchee]) -> list[ActionDeclenchee]:
    """Renew the lease of the batch's rows not run yet; returns those still ours (a row whose
    lease ran out may have been taken over by another worker: it is left to it)."""
    maintenant = timezone.now()
    with transaction.atomic():
        gardees = set(
            ActionDeclenchee.objects.select_for_update()
            .filter(
                pk__in=[a.pk for a in actions],
                etat=EtatAction.EN_COURS,
                demarree_le=actions[0].demarree_le,
            )
            .values_list("pk", flat=True)
        )
        ActionDeclenchee.objects.filter(pk__in=gardees).update(demarree_le=maintenant)
    for action in actions:
        action.demarree_le = maintenant
    return [a for a in actions if a.pk in gardees]


def executer_lot(
    ids: list[int], supplement: int = 0, *, relancer: Callable[[], None] | None = None
) -> dict[int, int]:
    """Run the due actions among `ids`, and up to `supplement` other due ones, as one batch.

    One claim for the whole batch; each kind may prepare its part in bulk (`Nature.lot`: its
    data in one query, its records written before any risk, one connection to its server);
    then each action runs in its dossier's recorded order; the outcomes are written together
    (see _ecrire_les_issues), at the end or once one has waited ISSUES_DELAI_SECONDES. An
    action that must be tried again later holds back the batch's next actions of its
    dossier (given back, unstarted). Every action starts with at least half a lease
    ahead (renewed in mid-batch if need be).

    `relancer` (a worker's wake-up, see evenements.sonnette) is called when due rows may be
    left behind: at once when the claim was full (another worker starts on them meanwhile),
    else after the batch if any is due. Not after a claim that found nothing to run.

    Returns {pk: seconds}: the rows to hand over again after that delay."""
    reclamees, attentes = _reclamer_lot(ids, supplement)
    if not reclamees:
        return attentes
    if relancer is not None and supplement and len(reclamees) >= supplement:
        relancer()
        relancer = None
    _charger_configurations(reclamees)
    echeance = reclamees[0].demarree_le + _bail() / 2
    par_nature: dict[str, list[ActionDeclenchee]] = {}
    for action in reclamees:
        par_nature.setdefault(action.configuration.nature, []).append(action)
    retenus: dict[int, int] = {}  # dossier -> delay, after an action to try again later
    with contextlib.ExitStack() as pile:
        pile.enter_context(_issues_du_lot())
        for code, actions in par_nature.items():
            preparer = getattr(nature(code), "lot", None)
            if preparer is not None:
                pile.enter_context(preparer(actions))
        restantes = reclamees
        while restantes:
            if timezone.now() >= echeance:
                _ecrire_les_issues()
                restantes = _prolonger(restantes)
                echeance = timezone.now() + _bail() / 2
                if not restantes:
                    break
            action, *restantes = restantes
            dossier_id = action.evenement.dossier_id
            if dossier_id in retenus:
                _liberer([action])
                attentes[action.pk] = retenus[dossier_id]
                continue
            if delai := _executer_reclamee(action):
                attentes[action.pk] = delai
                retenus[dossier_id] = delai
    if relancer is not None and _encore_dues():
        relancer()
    return attentes


def _encore_dues(anciennes_de: datetime.timedelta | None = None) -> bool:
    """Whether due rows not held back are left (handed over at least `anciennes_de` ago)."""
    maintenant = timezone.now()
    filtre = _dues(maintenant) & ~_retenues(maintenant)
    if anciennes_de is not None:
        filtre &= Q(transmise_le__lte=maintenant - anciennes_de)
    try:
        return ActionDeclenchee.objects.filter(filtre).exists()
    except DatabaseError as exc:  # the sweep hands them over in any case
        journal.warning("Actions dues non vérifiées (%s)", exc)
        return False


def executer(pk: int) -> int:
    """Run one action. Returns seconds after which to try again (0: nothing more to do)."""
    return executer_lot([pk]).get(pk, 0)


def _non_transmise_depuis(limite: datetime.datetime) -> Q:
    """Never handed over, or handed over (and due) before `limite`: its message is lost."""
    return Q(transmise_le__isnull=True) | (
        Q(transmise_le__lte=limite)
        & (Q(prochaine_tentative_le__isnull=True) | Q(prochaine_tentative_le__lte=limite))
    )


def balayer(aujourd_hui: datetime.date | None = None) -> int:
    """Periodic sweep (Celery beat, or the embedded scheduler).

    A row whose message was handed to the broker less than ACTIONS_RETRANSMISSION_SECONDES
    ago (or whose retry fell due less than that ago) is still in the queue: it is left alone,
    so a sweep publishes only what was really lost. Embedded mode has no queue: no threshold.
    A new row's time is written with its INSERT, just before the commit and its publish: a
    process that dies in between leaves the row to this threshold too (a failed publish
    clears the time: the next sweep takes the row). A claim whose lease ran out (its worker
    was killed) is handed over at once: the message that woke that worker is gone, and the
    other rows it claimed may have had none (see evenements.sonnette).
    """
    from evenements.tasks import executer_action

    aujourd_hui = aujourd_hui or timezone.localdate()
    maintenant = timezone.now()
    embarque = executer_action.app.conf.task_always_eager
    seuil = 0 if embarque else settings.ACTIONS_RETRANSMISSION_SECONDES
    limite = maintenant - datetime.timedelta(seconds=seuil)
    ActionDeclenchee.objects.filter(
        etat=EtatAction.PLANIFIEE, planifiee_pour__lte=aujourd_hui
    ).update(etat=EtatAction.A_EXECUTER)
    dues = ActionDeclenchee.objects.filter(
        _dues(maintenant) & (_non_transmise_depuis(limite) | Q(etat=EtatAction.EN_COURS))
    ).order_by("evenement__date", "evenement__rang", "pk")
    ids = list(dues.values_list("pk", flat=True))
    envoyer(ids, sonner=False)  # what was lost: published whatever wake-up may wait
    # Rows whose publisher found a wake-up waiting that never came (its publish failed, or
    # its publisher died): rung again once they have waited twice the wake-up's life.
    if not embarque and _encore_dues(datetime.timedelta(seconds=2 * sonnette.DUREE_SECONDES)):
        reveiller()
    return len(ids)


# --- what users may do on an action (one way in, used by the views) ---


def _exiger_pilotage(par, action: ActionDeclenchee) -> None:
    from dossiers.droits import exiger, peut_voir_dossier

    exiger(par.has_perm("evenements.piloter_actions"))
    exiger(peut_voir_dossier(par, action.evenement.dossier))


def _changer(action: ActionDeclenchee, par, depuis: tuple, **champs) -> ActionDeclenchee:
    _exiger_pilotage(par, action)
    with transaction.atomic():
        action = ActionDeclenchee.objects.select_for_update().get(pk=action.pk)
        if action.etat not in depuis:
            raise ValidationError(
                f"Impossible : l'action est maintenant « {action.get_etat_display()} »."
            )
        for nom, valeur in champs.items():
            setattr(action, nom, valeur)
        action.save()
        if action.etat == EtatAction.A_EXECUTER:
            envoyer_apres_commit([action.pk])
    return action


def relancer(*, action: ActionDeclenchee, par) -> ActionDeclenchee:
    return _changer(
        action,
        par,
        (EtatAction.ECHEC,),
        etat=EtatAction.A_EXECUTER,
        tentatives=0,
        prochaine_tentative_le=None,
        raison=f"Relancée par {par.get_full_name() or par}",
    )


def annuler(*, action: ActionDeclenchee, par) -> ActionDeclenchee:
    """A person's cancellation: it stands when the event is edited (see corriger)."""
    return _changer(
        action,
        par,
        EN_ATTENTE,
        etat=EtatAction.ANNULEE,
        annulee_par=par,
        raison=f"Annulée par {par.get_full_name() or par}",
    )


def annuler_pour_la_demo(actions, *, par) -> int:
    """The demo loader, where settings could send off the machine: its pending actions are
    cancelled as by a person (an edit does not plan them again)."""
    return actions.filter(etat__in=EN_ATTENTE).update(
        etat=EtatAction.ANNULEE,
        annulee_par=par,
        raison="Démonstration : jamais envoyée hors de cette machine.",
    )


def replanifier(*, action: ActionDeclenchee, par) -> ActionDeclenchee:
    """Undo a person's cancellation: a new row, planned as for a new event (the cancelled
    row is kept, with who cancelled it)."""
    _exiger_pilotage(par, action)
    with transaction.atomic():
        action = (
            ActionDeclenchee.objects.select_for_update(of=("self",))
            .select_related("evenement", "configuration", "corrige")
            .get(pk=action.pk)
        )
        evenement = action.evenement
        if action.etat != EtatAction.ANNULEE or not action.annulee_par_id:
            raise ValidationError(
                "Seule une action annulée par une personne peut être replanifiée."
            )
        if evenement.est_supprime:
            raise ValidationError(
                "L'événement a été supprimé : son action ne peut être replanifiée."
            )
        if ActionDeclenchee.objects.filter(
            evenement=evenement,
            configuration=action.configuration,
            corrige=action.corrige,
            pk__gt=action.pk,
        ).exists():
            raise ValidationError("Cette action a déjà été replanifiée.")
        raison = f"Replanifiée par {par.get_full_name() or par}"
        if action.corrige_id:
            nouvelle = ActionDeclenchee(
                evenement=evenement,
                configuration=action.configuration,
                corrige=action.corrige,
                cle=f"{action.corrige.cle}-c{action.corrige.corrections.count() + 1}",
                raison=raison,
            )
        else:
            nouvelle = _nouvelle_action(
                evenement,
                action.configuration,
                timezone.localdate(),
                _generation(evenement),
                raison=raison,
            )
        nouvelle.save()
        if nouvelle.etat == EtatAction.A_EXECUTER:
            envoyer_apres_commit([nouvelle.pk])
    return nouvelle


def renvoyer(*, action: ActionDeclenchee, par) -> ActionDeclenchee:
    """After checking, send again what has an unknown outcome (same Message-ID)."""
    return _changer(
        action,
        par,
        (EtatAction.A_VERIFIER,),
        etat=EtatAction.A_EXECUTER,
        tentatives=0,
        prochaine_tentative_le=None,
        reprise_autorisee_le=timezone.now(),
        raison=f"Renvoi demandé par {par.get_full_name() or par} après vérification",
    )


def clore(*, action: ActionDeclenchee, par) -> ActionDeclenchee:
    """After checking (e.g. the recipient has it): close without sending again."""
    return _changer(
        action,
        par,
        (EtatAction.A_VERIFIER,),
        etat=EtatAction.EXECUTEE,
        terminee_le=timezone.now(),
        raison=f"Close sans renvoi par {par.get_full_name() or par} après vérification",
    )


def executer_quand_meme(*, action: ActionDeclenchee, par) -> ActionDeclenchee:
    return _changer(
        action,
        par,
        (EtatAction.IGNOREE,),
        etat=EtatAction.A_EXECUTER,
        raison=f"Exécution demandée par {par.get_full_name() or par}",
    )


def marquer_revue(*, action: ActionDeclenchee, par) -> ActionDeclenchee:
    return _changer(
        action,
        par,
        (EtatAction.A_REVOIR,),
        etat=EtatAction.EXECUTEE,
        resultat=f"{action.resultat}\nRevue sans correction par {par.get_full_name() or par}.",
    )


def compenser(*, action: ActionDeclenchee, par) -> ActionDeclenchee:
    """Confirmed by a user: run the compensation (e.g. send a correction message)."""
    _exiger_pilotage(par, action)
    with transaction.atomic():
        action = ActionDeclenchee.objects.select_for_update().get(pk=action.pk)
        if action.etat != EtatAction.A_REVOIR:
            raise ValidationError("Cette action n'est plus à revoir.")
        correction = ActionDeclenchee.objects.create(
            evenement=action.evenement,
            configuration=action.configuration,
            corrige=action,
            cle=f"{action.cle}-c{action.corrections.count() + 1}",
        )
        action.etat = EtatAction.EXECUTEE
        action.resultat += f"\nCorrection demandée par {par.get_full_name() or par}."
        action.save(update_fields=["etat", "resultat"])
        envoyer_apres_commit([correction.pk])
    return correction
