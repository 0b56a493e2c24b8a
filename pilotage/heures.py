"""Hours, présence and réussite across dossiers, from the séances' own SQL expressions
(`seances.indicateurs.sommes`) turned into rates by the same pure functions (`Chiffres`) as a
dossier's Résumé card, so the figures agree.

Hours count the séances dated in the period. Per phase, a séance belongs to the phase the
dossier was in on its date: the phase stays of `evenements.indicateurs.sejours_par_phase`,
read from a database view (`SejourPhase`) and joined with the participations.
"""

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Least

from dossiers.models import Phase
from evenements.models import Effet, Evenement
from pilotage.filtres import Periode
from pilotage.lignes import concernes
from pilotage.models import SejourPhase
from seances import indicateurs
from seances.models import Objectif, Participation

CLES = (
    "minutes_prevues",
    "minutes_realisees",
    "minutes_attendues",
    "minutes_conseiller_prevues",
    "minutes_conseiller_realisees",
)


def _participations(dossiers: QuerySet, periode: Periode) -> QuerySet:
    return Participation.objects.filter(
        dossier__in=dossiers.order_by().values("pk"),
        seance__date__range=(periode.debut, periode.fin),
    )


def _chiffres(ligne: dict | None, valides: int = 0, prevus: int = 0) -> indicateurs.Chiffres:
    ligne = ligne or {}
    return indicateurs.Chiffres(
        **{cle: ligne.get(cle) or 0 for cle in CLES},
        objectifs_valides=valides,
        objectifs_prevus=prevus,
    )


def en_dict(chiffres: indicateurs.Chiffres) -> dict:
    return {
        "heures_prevues": float(chiffres.heures_prevues),
        "heures_realisees": float(chiffres.heures_realisees),
        "taux_presence": chiffres.taux_presence,
        "taux_reussite": chiffres.taux_reussite,
    }


def _objectifs_valides(jusqu_au) -> Coalesce:
    """Per dossier (OuterRef pk): its active Validation d'étape events up to the date (the
    numerator of the Résumé card's taux de réussite)."""
    return Coalesce(
        Subquery(
            Evenement.objects.actifs()
            .filter(
                dossier=OuterRef("pk"),
                type_evenement__effet=Effet.VALIDATION_ETAPE,
                date__lte=jusqu_au,
            )
            .order_by()
            .values("dossier")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _objectifs_prevus() -> Coalesce:
    """Per dossier: the active objectives of its prestation (the denominator)."""
    return Coalesce(
        Subquery(
            Objectif.objects.filter(prestation=OuterRef("prestation_id"), actif=True)
            .order_by()
            .values("prestation")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _objectifs(dossiers: QuerySet, periode: Periode, cle: str | None) -> dict:
    """Objectives validated (capped per dossier, like its own rate) and planned, summed
    over the dossiers in progress during the period; one query."""
    annotes = dossiers.filter(concernes(periode)).annotate(
        _valides=_objectifs_valides(periode.fin),
        _prevus=_objectifs_prevus(),
    )
    sommes = {
        "valides": Coalesce(Sum(Least("_valides", "_prevus")), Value(0)),
        "prevus": Coalesce(Sum("_prevus"), Value(0)),
    }
    if cle is None:
        return {None: annotes.aggregate(**sommes)}
    lignes = annotes.order_by().values(cle).annotate(**sommes)
    return {ligne[cle]: ligne for ligne in lignes}


def totaux(dossiers: QuerySet, periode: Periode) -> dict:
    """Two queries."""
    ligne = _participations(dossiers, periode).aggregate(**indicateurs.sommes())
    objectifs = _objectifs(dossiers, periode, None)[None]
    return en_dict(_chiffres(ligne, objectifs["valides"], objectifs["prevus"]))


def par_prestation(dossiers: QuerySet, periode: Periode) -> dict[int, dict]:
    """{prestation id: figures}; two queries."""
    lignes = (
        _participations(dossiers, periode)
        .order_by()
        .values("dossier__prestation_id")
        .annotate(**indicateurs.sommes())
    )
    heures = {ligne["dossier__prestation_id"]: ligne for ligne in lignes}
    objectifs = _objectifs(dossiers, periode, "prestation_id")
    sortie = {}
    for pk in set(heures) | set(objectifs):
        o = objectifs.get(pk, {})
        sortie[pk] = en_dict(_chiffres(heures.get(pk), o.get("valides", 0), o.get("prevus", 0)))
    return sortie


def par_phase(dossiers: QuerySet, periode: Periode) -> list[dict]:
    """Hours and présence per phase of the séance's date ("Hors phase": before the entry,
    after the exit); three queries: participations joined with their stay (SejourPhase)."""
    lignes = list(
        SejourPhase.objects.filter(
            dossier__in=dossiers.order_by().values("pk"),
            dossier__participations__seance__date__gte=F("debut"),
            dossier__participations__seance__date__lt=F("fin"),
            dossier__participations__seance__date__range=(periode.debut, periode.fin),
        )
        .order_by()
        .values("phase_id")
        .annotate(**indicateurs.sommes("dossier__participations__"))
    )
    total = _participations(dossiers, periode).aggregate(**indicateurs.sommes())
    hors_phase = {cle: (total[cle] or 0) - sum(ligne[cle] for ligne in lignes) for cle in CLES}
    phases = Phase.objects.select_related("prestation").in_bulk(
        [ligne["phase_id"] for ligne in lignes if ligne["phase_id"]]
    )
    sortie = []
    for ligne in [*lignes, {"phase_id": None, **hors_phase}]:
        phase = phases.get(ligne["phase_id"])
        if phase is None and not any(ligne[cle] for cle in CLES):
            continue
        sortie.append(
            {
                "phase_id": phase.pk if phase else None,
                "prestation": phase.prestation.nom if phase else "",
                "phase": phase.libelle if phase else "Hors phase",
                "ordre": (phase.prestation.nom, phase.ordre, phase.pk) if phase else ("~", 0, 0),
                **en_dict(_chiffres(ligne)),
            }
        )
    return sorted(sortie, key=lambda ligne: ligne["ordre"])


def realisees_par_dossier(dossiers: QuerySet, periode: Periode) -> dict[int, float]:
    """Hours done per dossier in the period (report and déclaration lines); one query."""
    lignes = (
        _participations(dossiers, periode)
        .order_by()
        .values("dossier_id")
        .annotate(**indicateurs.sommes())
    )
    return {
        ligne["dossier_id"]: float(indicateurs.heures(ligne["minutes_realisees"]))
        for ligne in lignes
    }
