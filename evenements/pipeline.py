"""The action pipeline: outbox rows written with the event, run after commit, exactly once.

- planifier(): in the event's transaction, one ActionDeclenchee per active configured action.
- after commit, each due row is handed to Celery (or run in-process when embedded).
- executer(): claims the row (row lock + lease), runs the kind's handler, writes the outcome.
- balayer(): periodic sweep; due planned rows, rows left "à exécuter" (broker down at
  commit time) and stale claims (worker killed) are handed over again. None is lost, and a
  row handed over less than ACTIONS_RETRANSMISSION_SECONDES ago is left to its message.
- an attempt whose outcome is unknown (IssueIncertaine) is never repeated silently: the row
  waits "à vérifier" until a person chooses "Renvoyer" or "Clore".
- a row a person cancelled stays cancelled when its event is edited ("Replanifier" undoes it).
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from evenements.models import ActionConfiguree, ActionDeclenchee, EtatAction, Evenement
from evenements.natures import (
    ActionIgnoree,
    ErreurTransitoire,
    IssueIncertaine,
    concerne,
    nature,
)

journal = logging.getLogger(__name__)
EN_ATTENTE = (EtatAction.A_EXECUTER, EtatAction.PLANIFIEE)
FAITES = (EtatAction.EXECUTEE, EtatAction.A_REVOIR)


def _configurations(
    evenement: Evenement, configurations: list[ActionConfiguree] | None = None
) -> list[ActionConfiguree]:
    """The type's active configured actions that concern the dossier. `configurations`: the
    type's active ones when the caller has them (evenements.configuration)."""
    if configurations is None:
        configurations = ActionConfiguree.objects.filter(
            type_evenement_id=evenement.type_evenement_id, actif=True
        )
    verdicts: dict = {}  # kinds sharing one `concerne` (all billing kinds) ask it once

    def concerne_le_dossier(configuration) -> bool:
        fonction = getattr(nature(configuration.nature), "concerne", None)
        if fonction is None:
            return concerne(configuration, evenement.dossier)
        cle = getattr(fonction, "__func__", fonction)
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
) -> list:
    """Write the event's outbox rows (caller's transaction) and send them after commit."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    actions = [
        _nouvelle_action(evenement, configuration, aujourd_hui, 1)
        for configuration in _configurations(evenement, configurations)
    ]
    if actions:
        ActionDeclenchee.objects.bulk_create(actions)
    envoyer_apres_commit([a.pk for a in actions if a.etat == EtatAction.A_EXECUTER])
    return actions


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
    ActionDeclenchee.objects.bulk_create(nouvelles)
    envoyer_apres_commit([a.pk for a in nouvelles if a.etat == EtatAction.A_EXECUTER])


def envoyer_apres_commit(ids: list[int], countdown: int = 0) -> None:
    if ids:
        transaction.on_commit(lambda: envoyer(ids, countdown))


def envoyer(ids: list[int], countdown: int = 0) -> None:
    """Hand actions to Celery. A broker that is down loses nothing: the sweep resends."""
    from evenements.tasks import executer_action

    if executer_action.app.conf.task_always_eager and countdown:
        return  # embedded mode: the in-process scheduler picks it up when due
    file = executer_action.app.conf.task_default_queue  # read now: it is configurable
    transmises = []
    for pk in ids:
        try:
            executer_action.apply_async(args=[pk], countdown=countdown, retry=False, queue=file)
        except Exception as exc:  # broker unreachable: the row stays "à exécuter"
            journal.warning(
                "Action %s non transmise au broker (%s) ; le balayage la reprendra.", pk, exc
            )
        else:
            transmises.append(pk)
    if transmises:  # one query per batch: the sweep leaves these to their message
        ActionDeclenchee.objects.filter(pk__in=transmises).update(transmise_le=timezone.now())


def _bail() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.ACTIONS_BAIL_SECONDES)


def _reclamer(pk: int) -> tuple[ActionDeclenchee | None, int]:
    """Claim the row for this run: (action, 0), or (None, seconds to wait) if not now."""
    maintenant = timezone.now()
    with transaction.atomic():
        action = (
            ActionDeclenchee.objects.select_for_update()
            .select_related("evenement", "configuration")
            .filter(pk=pk)
            .first()
        )
        if action is None:
            journal.warning("Action %s introuvable.", pk)
            return None, 0
        if action.etat == EtatAction.EN_COURS and action.demarree_le + _bail() > maintenant:
            # Another worker holds it (or held it and died: wait for its lease to end).
            reste = action.demarree_le + _bail() - maintenant
            return None, max(int(reste.total_seconds()) + 1, 1)
        if action.etat not in (EtatAction.A_EXECUTER, EtatAction.EN_COURS):
            return None, 0  # done, cancelled, planned…: nothing to do
        if action.prochaine_tentative_le and action.prochaine_tentative_le > maintenant:
            return None, 0  # a retry is scheduled for later
        # Several events of a dossier act in their recorded order.
        evenement = action.evenement
        precedente = (
            ActionDeclenchee.objects.filter(
                evenement__dossier_id=evenement.dossier_id,
                etat__in=[EtatAction.A_EXECUTER, EtatAction.EN_COURS],
            )
            .filter(
                Q(evenement__date__lt=evenement.date)
                | Q(evenement__date=evenement.date, evenement__rang__lt=evenement.rang)
                | Q(evenement=evenement, pk__lt=action.pk)
            )
            .exists()
        )
        if precedente:
            return None, 2
        action.etat = EtatAction.EN_COURS
        action.demarree_le = maintenant
        action.tentatives += 1
        action.save(update_fields=["etat", "demarree_le", "tentatives"])
    return action, 0


def _terminer(action: ActionDeclenchee, **champs) -> None:
    champs.setdefault("terminee_le", timezone.now())
    ActionDeclenchee.objects.filter(pk=action.pk, etat=EtatAction.EN_COURS).update(**champs)


def executer(pk: int) -> int:
    """Run one action. Returns seconds after which to try again (0: nothing more to do)."""
    action, attendre = _reclamer(pk)
    if action is None:
        return attendre
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
        journal.exception("Action %s en échec", pk)
        _terminer(
            action, etat=EtatAction.ECHEC, derniere_erreur=f"{exc.__class__.__name__} : {exc}"
        )
    else:
        _terminer(action, etat=EtatAction.EXECUTEE, resultat=resultat, derniere_erreur="")
    return 0


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
        (
            Q(etat=EtatAction.A_EXECUTER)
            & (Q(prochaine_tentative_le__isnull=True) | Q(prochaine_tentative_le__lte=maintenant))
            | Q(etat=EtatAction.EN_COURS, demarree_le__lt=maintenant - _bail())
        )
        & _non_transmise_depuis(limite)
    ).order_by("evenement__date", "evenement__rang", "pk")
    ids = list(dues.values_list("pk", flat=True))
    envoyer(ids)
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
