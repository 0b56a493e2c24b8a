"""Figures across dossiers, computed by the database (conditional aggregates, GROUP BY).

Each indicator is a condition on the dossier's derived state (evenements.rejeu writes it
from the events), so a dossier's own figures and the report's always agree:

- entrée: `date_entree` in the period;
- sortie positive / abandon / rupture: `date_sortie` in the period with that status; the
  type de sortie or motif is the one of the active exit event on that date;
- en cours: entered on or before the end of the period and not left by then;
- durée moyenne: mean of `Dossier.duree_jours` over the dossiers that left in the period
  (entry → exit, as on the dossier's summary);
- taux de sortie positive: sorties positives / sorties of the period.

Deleted events do not count: the replay ignores them, and the motif subquery reads active
events only. No Python loop runs over dossiers: every function is a constant number of
queries, whatever the number of dossiers.
"""

import datetime
from collections.abc import Iterable

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncMonth

from dossiers.models import Statut
from evenements.models import Effet, Evenement
from pilotage.filtres import Periode

SORTIES = {
    Statut.TERMINE: "Sortie positive",
    Statut.ABANDONNE: "Abandon",
    Statut.RUPTURE: "Rupture",
}
EFFETS_SORTIE = (Effet.SORTIE_POSITIVE, Effet.ABANDON, Effet.RUPTURE)

# What a figure is: its label and the condition that selects its dossiers.
INDICATEURS = {
    "entrees": "Entrées",
    "sorties": "Sorties",
    "sorties_positives": "Sorties positives",
    "abandons": "Abandons",
    "ruptures": "Ruptures",
    "en_cours": "En cours en fin de période",
}


def condition(indicateur: str, periode: Periode) -> Q:
    entre = (periode.debut, periode.fin)
    sortie = Q(date_sortie__range=entre)
    conditions = {
        "entrees": Q(date_entree__range=entre),
        "sorties": sortie & Q(statut__in=list(SORTIES)),
        "sorties_positives": sortie & Q(statut=Statut.TERMINE),
        "abandons": sortie & Q(statut=Statut.ABANDONNE),
        "ruptures": sortie & Q(statut=Statut.RUPTURE),
        "en_cours": Q(date_entree__lte=periode.fin)
        & (Q(date_sortie__isnull=True) | Q(date_sortie__gt=periode.fin)),
    }
    return conditions[indicateur]


def _duree():
    return ExpressionWrapper(F("date_sortie") - F("date_entree"), output_field=DurationField())


def mesures(periode: Periode) -> dict:
    """Named aggregate expressions, for `.aggregate()` or a grouped `.annotate()`."""
    sorties = condition("sorties", periode)
    expressions = {
        nom: Count("pk", filter=condition(nom, periode), distinct=False) for nom in INDICATEURS
    }
    expressions["duree_moyenne"] = Avg(_duree(), filter=sorties & Q(date_entree__isnull=False))
    return expressions


def motif_de_sortie():
    """The type de sortie / motif of the active exit event dated on the exit date."""
    return Subquery(
        Evenement.objects.actifs()
        .filter(
            dossier=OuterRef("pk"),
            date=OuterRef("date_sortie"),
            type_evenement__effet__in=EFFETS_SORTIE,
        )
        .order_by("-rang", "-pk")
        .values("motif__libelle")[:1]
    )


def _jours(valeur) -> float | None:
    if valeur is None:
        return None
    if isinstance(valeur, datetime.timedelta):
        return round(valeur.total_seconds() / 86400, 1)
    return round(float(valeur), 1)


def _completer(ligne: dict) -> dict:
    ligne["duree_moyenne"] = _jours(ligne.get("duree_moyenne"))
    sorties = ligne.get("sorties") or 0
    ligne["taux_sortie_positive"] = (
        round(100 * ligne["sorties_positives"] / sorties, 1) if sorties else None
    )
    return ligne


def totaux(dossiers: QuerySet, periode: Periode) -> dict:
    """One query: every indicator over the filtered dossiers."""
    return _completer(dossiers.aggregate(**mesures(periode)))


def _groupes(dossiers: QuerySet, periode: Periode, cles: Iterable[str], ordre: Iterable[str]):
    lignes = dossiers.order_by().values(*cles).annotate(**mesures(periode)).order_by(*ordre)
    return [_completer(ligne) for ligne in lignes]


def par_prestation(dossiers: QuerySet, periode: Periode) -> list[dict]:
    return _groupes(dossiers, periode, ("prestation_id", "prestation__nom"), ("prestation__nom",))


def par_phase(dossiers: QuerySet, periode: Periode) -> list[dict]:
    """Grouped by the dossier's current phase (the phase it left in, for an exit)."""
    return _groupes(
        dossiers,
        periode,
        (
            "prestation__nom",
            "phase_courante_id",
            "phase_courante__libelle",
            "phase_courante__ordre",
        ),
        ("prestation__nom", "phase_courante__ordre", "phase_courante_id"),
    )


def sorties_par_motif(dossiers: QuerySet, periode: Periode) -> list[dict]:
    """Exits of the period by kind and type de sortie / motif (one query)."""
    lignes = (
        dossiers.filter(condition("sorties", periode))
        .annotate(motif_sortie=motif_de_sortie())
        .order_by()
        .values("statut", "motif_sortie")
        .annotate(nombre=Count("pk"))
        .order_by("statut", "motif_sortie")
    )
    rang = {statut: i for i, statut in enumerate(SORTIES)}
    resultat = [
        {
            "statut": ligne["statut"],
            "sortie": SORTIES[ligne["statut"]],
            "motif": ligne["motif_sortie"] or "Non précisé",
            "nombre": ligne["nombre"],
        }
        for ligne in lignes
    ]
    return sorted(resultat, key=lambda ligne: (rang[ligne["statut"]], ligne["motif"]))


def _mois(date: datetime.date) -> datetime.date:
    return date.replace(day=1)


def mois_de(periode: Periode) -> list[datetime.date]:
    mois, dernier = _mois(periode.debut), _mois(periode.fin)
    sortie = []
    while mois <= dernier:
        sortie.append(mois)
        mois = (mois + datetime.timedelta(days=32)).replace(day=1)
    return sortie


def par_mois(dossiers: QuerySet, periode: Periode) -> list[dict]:
    """Entries and exits per month of the period (two grouped queries)."""

    def compter(champ: str, condition_q: Q) -> dict:
        lignes = (
            dossiers.filter(condition_q)
            .annotate(mois=TruncMonth(champ))
            .order_by()
            .values("mois")
            .annotate(nombre=Count("pk"))
        )
        return {_normaliser(ligne["mois"]): ligne["nombre"] for ligne in lignes}

    entrees = compter("date_entree", condition("entrees", periode))
    sorties = compter("date_sortie", condition("sorties", periode))
    return [
        {"mois": mois, "entrees": entrees.get(mois, 0), "sorties": sorties.get(mois, 0)}
        for mois in mois_de(periode)
    ]


def _normaliser(valeur) -> datetime.date:
    if isinstance(valeur, datetime.datetime):
        return valeur.date()
    return valeur


def dossiers_de(dossiers: QuerySet, periode: Periode, indicateur: str, motif: str | None = None):
    """The dossiers behind a figure: the same condition as the aggregate."""
    selection = dossiers.filter(condition(indicateur, periode))
    if motif is not None:
        selection = selection.annotate(motif_sortie=motif_de_sortie())
        if motif == "Non précisé":
            selection = selection.filter(motif_sortie__isnull=True)
        else:
            selection = selection.filter(motif_sortie=motif)
    return selection
