"""Derived state of a dossier = its events replayed, in (date, rang) order, through the FSM.

The replay runs over the whole history, planned events included, so that a history that
would become illegal later is refused now; the dossier itself only receives the events
dated today or before ("as of today").
"""

import copy
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django_fsm import can_proceed

from dossiers.models import Dossier, Phase, Statut
from evenements.models import Effet, Evenement

TRANSITIONS = {
    Effet.ENTREE: "entrer",
    Effet.SORTIE_POSITIVE: "sortir",
    Effet.ABANDON: "abandonner",
    Effet.RUPTURE: "rompre",
}


@dataclass
class Etape:
    """What one event did to the dossier during the replay."""

    evenement: Evenement
    statut_avant: str
    statut_apres: str
    phase_avant: Phase | None
    phase_apres: Phase | None
    appliquee: bool

    @property
    def statut_avant_libelle(self) -> str:
        return Statut(self.statut_avant).label

    @property
    def statut_apres_libelle(self) -> str:
        return Statut(self.statut_apres).label


class HistoireIllegale(ValidationError):
    def __init__(self, message: str, evenement: Evenement):
        super().__init__(message, code="histoire_illegale")
        self.evenement = evenement


def _decrire(evenement: Evenement) -> str:
    return f"« {evenement.type_evenement.libelle} » du {evenement.date:%d/%m/%Y}"


def _refus(evenement: Evenement, statut: str, cause) -> HistoireIllegale:
    message = (
        f"{_decrire(evenement)} n'est pas possible : à cette date le dossier est "
        f"« {Statut(statut).label} »"
    )
    if cause is not None:
        message += f" (depuis {_decrire(cause)})"
    elif statut == Statut.A_VENIR:
        message += " (aucune entrée enregistrée avant)"
    return HistoireIllegale(message + ".", evenement)


def phase_choisie(evenement: Evenement, phases: dict[int, Phase]) -> Phase | None:
    champ = evenement.type_evenement.champ_phase
    if champ is None:
        return None
    valeur = evenement.valeurs.get(champ.code)
    return phases.get(int(valeur)) if valeur not in (None, "") else None


def financeur_choisi(evenement: Evenement) -> int | None:
    """The financeur id an event names: from its date it is the dossier's financeur (an
    edit of the initial financeur does not override it; see README)."""
    champ = evenement.type_evenement.champ_financeur
    if champ is None:
        return None
    valeur = evenement.valeurs.get(champ.code)
    return int(valeur) if valeur not in (None, "") else None


class _CauseReprise:
    """The event that set the status before an incremental replay, read only on refusal."""

    def __init__(self, type_id: int, date: str):
        self.type_id, self.date = type_id, datetime.date.fromisoformat(date)

    @property
    def type_evenement(self):
        from evenements.models import TypeEvenement

        return TypeEvenement.objects.get(pk=self.type_id)


class RepriseImpossible(Exception):
    """The stored checkpoint cannot be used (missing, or names a phase that is gone)."""


def instantane(dossier: Dossier, cause) -> dict:
    """The replay state after an event, as stored on it (independent of today's date)."""
    return {
        "s": dossier.statut,
        "p": dossier.phase_courante_id,
        "f": dossier.financeur_id,
        "e": dossier.date_entree.isoformat() if dossier.date_entree else None,
        "o": dossier.date_sortie.isoformat() if dossier.date_sortie else None,
        "ct": getattr(cause, "type_evenement_id", getattr(cause, "type_id", None)),
        "cd": cause.date.isoformat() if cause is not None else None,
    }


class _Rejoueur:
    def __init__(self, dossier: Dossier, phases: list[Phase]):
        self.dossier = dossier
        self.phases = {phase.pk: phase for phase in phases}
        self.premiere_phase = phases[0] if phases else None
        self.cause = None  # the event that set the current status

    def reprendre(self, etat: dict) -> None:
        if etat["p"] is not None and etat["p"] not in self.phases:
            raise RepriseImpossible
        self.dossier.reprendre(etat)
        self.dossier.phase_courante = self.phases.get(etat["p"])
        self.cause = _CauseReprise(etat["ct"], etat["cd"]) if etat["ct"] else None

    def appliquer(self, evenement: Evenement) -> None:
        dossier = self.dossier
        type_evenement = evenement.type_evenement
        if dossier.statut not in type_evenement.statuts_autorises:
            raise _refus(evenement, dossier.statut, self.cause)
        nom = TRANSITIONS.get(type_evenement.effet)
        if nom is not None:
            methode = getattr(dossier, nom)
            if not can_proceed(methode):
                raise _refus(evenement, dossier.statut, self.cause)
            methode(evenement.date)
            self.cause = evenement
            if type_evenement.effet == Effet.ENTREE:
                dossier.phase_courante = self.premiere_phase
        nouvelle_phase = phase_choisie(evenement, self.phases)
        if nouvelle_phase is not None:
            dossier.phase_courante = nouvelle_phase
        nouveau_financeur = financeur_choisi(evenement)
        if nouveau_financeur is not None:
            dossier.financeur_id = nouveau_financeur


def rejouer(
    dossier: Dossier,
    evenements: list[Evenement],
    aujourd_hui: datetime.date,
    phases: list[Phase] | None = None,
    depart: dict | None = None,
) -> list[Etape]:
    """Replay `evenements` (active, in chronological order) onto `dossier`, in memory.

    `depart` is the checkpoint stored on the event just before `evenements` (dated today
    or before); None replays from the start. Each event gets its own checkpoint in
    `evenement.reprise_calculee`. Raises HistoireIllegale naming the first event the
    machine refuses, RepriseImpossible when `depart` cannot be used.
    """
    if phases is None:
        phases = list(dossier.prestation.phases.all())
    rejoueur = _Rejoueur(dossier, phases)
    if depart is None:
        dossier.reinitialiser()
    else:
        rejoueur.reprendre(depart)
    etapes = []
    passe_dans_le_futur = False
    for evenement in evenements:
        appliquee = evenement.date <= aujourd_hui
        if not appliquee and not passe_dans_le_futur:
            # Planned events are checked on a copy: they change nothing until their date.
            rejoueur.dossier = copy.copy(dossier)
            passe_dans_le_futur = True
        avant = (rejoueur.dossier.statut, rejoueur.dossier.phase_courante)
        rejoueur.appliquer(evenement)
        evenement.reprise_calculee = instantane(rejoueur.dossier, rejoueur.cause)
        etapes.append(
            Etape(
                evenement=evenement,
                statut_avant=avant[0],
                statut_apres=rejoueur.dossier.statut,
                phase_avant=avant[1],
                phase_apres=rejoueur.dossier.phase_courante,
                appliquee=appliquee,
            )
        )
    dossier.etat_calcule_le = aujourd_hui
    return etapes
