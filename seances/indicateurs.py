"""The indicators that séances feed: hours planned and done, présence, réalisation, réussite,
per dossier and per phase.

Two faces, one definition:
- pure functions of plain rows (`LigneSeance`, validation dates, phase stays), for one dossier;
- `sommes()`: the same minute totals as SQL aggregate expressions, and `totaux_dossiers()`
  using them for a report over thousands of dossiers in three queries (pilotage). Rates are
  always computed from the totals by the same `Chiffres`, so both faces agree.

Definitions (minutes are integers; hours are shown by formatting):
- bénéficiaire time: séances of nature face-à-face, à distance, autonomie;
  conseiller time: face-à-face, à distance, conseiller seul.
- prévues: séances not cancelled (prévues or réalisées).
- réalisées (bénéficiaire): validated séances, present, minus lateness and early departure.
- attendues: validated séances the bénéficiaire was expected at (every participation).
- conseiller réalisées: full duration of validated séances (the conseiller was there).
- taux de présence = réalisées ÷ attendues; taux de réalisation (EDOF) = réalisées ÷ heures
  prévues of the dossier (its contract, else its planned séances), integer percent, .5 up;
  taux de réussite = validated objectives (Validation d'étape events) ÷ planned objectives.
"""

import datetime
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from seances.models import TEMPS_BENEFICIAIRE, TEMPS_CONSEILLER, EtatSeance, Presence

# --- pure functions ---


def pourcentage(numerateur: int, denominateur: int) -> int | None:
    """Integer percent, .5 rounded up (the EDOF rule); None when nothing is expected."""
    if not denominateur:
        return None
    valeur = Decimal(numerateur) * 100 / Decimal(denominateur)
    return int(valeur.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def heures(minutes: int | None) -> Decimal | None:
    """Minutes as decimal hours, 2 places (90 → 1.50)."""
    if minutes is None:
        return None
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def minutes_presentes(duree: int, presence: str, retard: int, depart: int) -> int:
    if presence != Presence.PRESENT:
        return 0
    return max(duree - retard - depart, 0)


@dataclass(frozen=True)
class LigneSeance:
    """What the indicators need of one participation (one dossier in one séance)."""

    date: datetime.date
    etat: str
    nature: str
    duree: int
    presence: str = ""
    retard: int = 0
    depart: int = 0

    @classmethod
    def de(cls, participation) -> "LigneSeance":
        seance = participation.seance
        return cls(
            date=seance.date,
            etat=seance.etat,
            nature=seance.type_seance.nature,
            duree=seance.duree_minutes,
            presence=participation.presence,
            retard=participation.retard_minutes,
            depart=participation.depart_anticipe_minutes,
        )


@dataclass(frozen=True)
class Chiffres:
    minutes_prevues: int = 0
    minutes_realisees: int = 0
    minutes_attendues: int = 0
    minutes_conseiller_prevues: int = 0
    minutes_conseiller_realisees: int = 0
    objectifs_valides: int = 0
    objectifs_prevus: int = 0
    # Planned hours the taux de réalisation divides by (the contract); None: the séances.
    minutes_contrat: int | None = None

    @property
    def heures_prevues(self) -> Decimal:
        return heures(self.minutes_prevues)

    @property
    def heures_realisees(self) -> Decimal:
        return heures(self.minutes_realisees)

    @property
    def heures_conseiller_prevues(self) -> Decimal:
        return heures(self.minutes_conseiller_prevues)

    @property
    def heures_conseiller_realisees(self) -> Decimal:
        return heures(self.minutes_conseiller_realisees)

    @property
    def taux_presence(self) -> int | None:
        return pourcentage(self.minutes_realisees, self.minutes_attendues)

    @property
    def taux_realisation(self) -> int | None:
        base = self.minutes_contrat if self.minutes_contrat else self.minutes_prevues
        return pourcentage(self.minutes_realisees, base)

    @property
    def taux_reussite(self) -> int | None:
        # A step validated twice does not make more than 100 %.
        return pourcentage(
            min(self.objectifs_valides, self.objectifs_prevus), self.objectifs_prevus
        )

    def en_dict(self) -> dict:
        """The values stored at the exit (JSON): totals and rates."""
        valeurs = asdict(self)
        valeurs.update(
            taux_presence=self.taux_presence,
            taux_realisation=self.taux_realisation,
            taux_reussite=self.taux_reussite,
        )
        return valeurs


def chiffres(
    lignes: Iterable[LigneSeance],
    *,
    objectifs_valides: int = 0,
    objectifs_prevus: int = 0,
    minutes_contrat: int | None = None,
) -> Chiffres:
    prevues = realisees = attendues = c_prevues = c_realisees = 0
    for ligne in lignes:
        if ligne.etat == EtatSeance.ANNULEE:
            continue
        realisee = ligne.etat == EtatSeance.REALISEE
        if ligne.nature in TEMPS_BENEFICIAIRE:
            prevues += ligne.duree
            if realisee:
                attendues += ligne.duree
                realisees += minutes_presentes(
                    ligne.duree, ligne.presence, ligne.retard, ligne.depart
                )
        if ligne.nature in TEMPS_CONSEILLER:
            c_prevues += ligne.duree
            if realisee:
                c_realisees += ligne.duree
    return Chiffres(
        minutes_prevues=prevues,
        minutes_realisees=realisees,
        minutes_attendues=attendues,
        minutes_conseiller_prevues=c_prevues,
        minutes_conseiller_realisees=c_realisees,
        objectifs_valides=objectifs_valides,
        objectifs_prevus=objectifs_prevus,
        minutes_contrat=minutes_contrat,
    )


@dataclass(frozen=True)
class Intervalle:
    """A stay in a phase: [debut, fin); fin None while current."""

    phase_id: int
    libelle: str
    debut: datetime.date
    fin: datetime.date | None

    def contient(self, date: datetime.date) -> bool:
        return self.debut <= date and (self.fin is None or date < self.fin)


@dataclass
class ChiffresPhase:
    libelle: str
    phase_id: int | None
    chiffres: Chiffres = field(default_factory=Chiffres)


def par_phase(
    lignes: Iterable[LigneSeance],
    intervalles: list[Intervalle],
    *,
    validations: Iterable[datetime.date] = (),
    objectifs_par_phase: dict[int, int] | None = None,
) -> list[ChiffresPhase]:
    """Each figure per phase: rows and validations dated within the phase's stay.

    A phase visited twice adds up; rows outside every stay go to "Hors phase" (shown only
    when it has something).
    """
    objectifs_par_phase = objectifs_par_phase or {}
    ordre: list[int | None] = []
    libelles: dict[int | None, str] = {None: "Hors phase"}
    for intervalle in intervalles:
        if intervalle.phase_id not in libelles:
            ordre.append(intervalle.phase_id)
            libelles[intervalle.phase_id] = intervalle.libelle
    ordre.append(None)

    def phase_de(date):
        return next((i.phase_id for i in intervalles if i.contient(date)), None)

    groupes: dict[int | None, list[LigneSeance]] = {cle: [] for cle in ordre}
    for ligne in lignes:
        groupes[phase_de(ligne.date)].append(ligne)
    valides: dict[int | None, int] = dict.fromkeys(ordre, 0)
    for date in validations:
        valides[phase_de(date)] += 1
    resultat = []
    for cle in ordre:
        chiffres_phase = chiffres(
            groupes[cle],
            objectifs_valides=valides[cle],
            objectifs_prevus=objectifs_par_phase.get(cle, 0) if cle is not None else 0,
        )
        if cle is None and not groupes[cle] and not valides[cle]:
            continue
        resultat.append(ChiffresPhase(libelles[cle], cle, chiffres_phase))
    return resultat


# --- SQL: the same totals as aggregate expressions ---


def sommes(prefixe: str = "") -> dict:
    """Aggregates over Participation rows (`prefixe` reaches them, e.g. "participations__"
    from Dossier): the minute totals `chiffres()` computes, in one GROUP BY."""
    p = prefixe
    duree = F(f"{p}seance__duree_minutes")
    non_annulee = Q(**{f"{p}seance__etat__in": [EtatSeance.PREVUE, EtatSeance.REALISEE]})
    realisee = Q(**{f"{p}seance__etat": EtatSeance.REALISEE})
    beneficiaire = Q(**{f"{p}seance__type_seance__nature__in": TEMPS_BENEFICIAIRE})
    conseiller = Q(**{f"{p}seance__type_seance__nature__in": TEMPS_CONSEILLER})
    present = Q(**{f"{p}presence": Presence.PRESENT})
    attendu = Greatest(
        duree - F(f"{p}retard_minutes") - F(f"{p}depart_anticipe_minutes"),
        Value(0),
        output_field=IntegerField(),
    )

    def somme(expression, condition):
        return Coalesce(Sum(expression, filter=condition), Value(0), output_field=IntegerField())

    return {
        "minutes_prevues": somme(duree, non_annulee & beneficiaire),
        "minutes_attendues": somme(duree, realisee & beneficiaire),
        "minutes_realisees": somme(attendu, realisee & beneficiaire & present),
        "minutes_conseiller_prevues": somme(duree, non_annulee & conseiller),
        "minutes_conseiller_realisees": somme(duree, realisee & conseiller),
    }


def totaux_dossiers(dossiers, aujourd_hui: datetime.date | None = None) -> dict[int, Chiffres]:
    """Dossier queryset → {pk: Chiffres}, the same figures as the per-dossier card, in three
    queries whatever the number of dossiers: the minute totals (one GROUP BY), the validated
    objectives per dossier, the planned objectives per prestation."""
    from evenements.models import Effet, Evenement
    from seances.models import Objectif

    aujourd_hui = aujourd_hui or timezone.localdate()
    lignes = list(
        dossiers.order_by()
        .values("pk", "heures_prevues", "prestation_id")
        .annotate(**sommes("participations__"))
    )
    valides = dict(
        Evenement.objects.filter(
            dossier__in=dossiers.order_by().values("pk"),
            supprime_le__isnull=True,
            type_evenement__effet=Effet.VALIDATION_ETAPE,
            date__lte=aujourd_hui,
        )
        .order_by()
        .values("dossier")
        .annotate(n=Count("pk"))
        .values_list("dossier", "n")
    )
    prevus = dict(
        Objectif.objects.filter(actif=True)
        .order_by()
        .values("prestation")
        .annotate(n=Count("pk"))
        .values_list("prestation", "n")
    )
    return {
        ligne["pk"]: Chiffres(
            minutes_prevues=ligne["minutes_prevues"],
            minutes_realisees=ligne["minutes_realisees"],
            minutes_attendues=ligne["minutes_attendues"],
            minutes_conseiller_prevues=ligne["minutes_conseiller_prevues"],
            minutes_conseiller_realisees=ligne["minutes_conseiller_realisees"],
            objectifs_valides=valides.get(ligne["pk"], 0),
            objectifs_prevus=prevus.get(ligne["prestation_id"], 0),
            minutes_contrat=minutes_contrat(ligne["heures_prevues"]),
        )
        for ligne in lignes
    }


def minutes_contrat(heures_prevues: Decimal | None) -> int | None:
    if heures_prevues is None:
        return None
    return int((Decimal(heures_prevues) * 60).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
