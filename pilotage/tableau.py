"""The pilotage page's tables: each a title, columns and rows, its chart, its CSV.

A cell may link to the list of dossiers behind it (same filters plus the indicator).
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import date_format

from pilotage import agregats, graphiques, heures
from pilotage.filtres import FiltrePilotageForm


@dataclass
class Cellule:
    valeur: object
    lien: str = ""
    unite: str = ""

    @property
    def texte(self) -> str:
        if self.valeur is None:
            return "—"
        if isinstance(self.valeur, float):
            return f"{self.valeur:.1f}".replace(".", ",") + self.unite
        return f"{self.valeur}{self.unite}"


@dataclass
class Tableau:
    cle: str
    titre: str
    colonnes: list[str]
    lignes: list[list[Cellule]] = field(default_factory=list)
    graphique: str = ""


def _lien(parametres: dict, **extra) -> str:
    return reverse("pilotage:dossiers") + "?" + urlencode({**parametres, **extra})


COLONNES_MESURES = [
    ("entrees", "Entrées", ""),
    ("sorties_positives", "Sorties positives", ""),
    ("abandons", "Abandons", ""),
    ("ruptures", "Ruptures", ""),
    ("en_cours", "En cours", ""),
    ("duree_moyenne", "Durée moyenne (jours)", ""),
    ("taux_sortie_positive", "Taux de sortie positive (%)", ""),
]
COLONNES_HEURES = [
    ("heures_prevues", "Heures prévues"),
    ("heures_realisees", "Heures réalisées"),
    ("taux_presence", "Taux de présence (%)"),
    ("taux_reussite", "Taux de réussite (%)"),
]


def _mesures(ligne: dict, parametres: dict, **cible) -> list[Cellule]:
    cellules = []
    for cle, _, unite in COLONNES_MESURES:
        lien = _lien(parametres, indicateur=cle, **cible) if cle in agregats.INDICATEURS else ""
        cellules.append(Cellule(ligne[cle], lien if ligne[cle] else "", unite))
    return cellules


def construire(form: FiltrePilotageForm) -> list[Tableau]:
    """Every table of the page: a constant number of queries (one or two per table)."""
    dossiers, periode, parametres = form.dossiers(), form.periode, form.parametres()

    totaux = agregats.totaux(dossiers, periode)
    synthese = Tableau("synthese", "Synthèse de la période", ["Indicateur", "Valeur"])
    for cle, libelle, unite in COLONNES_MESURES:
        lien = _lien(parametres, indicateur=cle) if cle in agregats.INDICATEURS else ""
        synthese.lignes.append(
            [Cellule(libelle), Cellule(totaux[cle], lien if totaux[cle] else "", unite)]
        )
    heures_totales = heures.totaux(dossiers, periode)
    for cle, libelle in COLONNES_HEURES:
        synthese.lignes.append([Cellule(libelle), Cellule(heures_totales[cle])])

    mois = agregats.par_mois(dossiers, periode)
    par_mois = Tableau("mois", "Entrées et sorties par mois", ["Mois", "Entrées", "Sorties"])
    for ligne in mois:
        par_mois.lignes.append(
            [
                Cellule(date_format(ligne["mois"], "F Y")),
                Cellule(ligne["entrees"]),
                Cellule(ligne["sorties"]),
            ]
        )
    par_mois.graphique = graphiques.barres_groupees(
        par_mois.titre,
        [date_format(ligne["mois"], "M y") for ligne in mois],
        [
            ("Entrées", [ligne["entrees"] for ligne in mois]),
            ("Sorties", [ligne["sorties"] for ligne in mois]),
        ],
    )

    motifs = agregats.sorties_par_motif(dossiers, periode)
    sorties = Tableau(
        "sorties", "Sorties par type et motif", ["Sortie", "Type de sortie ou motif", "Dossiers"]
    )
    indicateur_de = {"termine": "sorties_positives", "abandonne": "abandons", "rupture": "ruptures"}
    for ligne in motifs:
        lien = _lien(parametres, indicateur=indicateur_de[ligne["statut"]], motif=ligne["motif"])
        sorties.lignes.append(
            [Cellule(ligne["sortie"]), Cellule(ligne["motif"]), Cellule(ligne["nombre"], lien)]
        )
    couleur = {"termine": "#15803d", "abandonne": "#b91c1c", "rupture": "#b45309"}
    sorties.graphique = graphiques.barres_horizontales(
        sorties.titre,
        [(f"{ligne['sortie']} — {ligne['motif']}", ligne["nombre"]) for ligne in motifs],
        couleurs=[couleur[ligne["statut"]] for ligne in motifs],
    )

    prestations = agregats.par_prestation(dossiers, periode)
    heures_prestations = heures.par_prestation(dossiers, periode)
    vide = dict.fromkeys(cle for cle, _ in COLONNES_HEURES)
    par_prestation = Tableau(
        "prestations",
        "Par prestation",
        ["Prestation"] + [c[1] for c in COLONNES_MESURES] + [c[1] for c in COLONNES_HEURES],
    )
    for ligne in prestations:
        h = heures_prestations.get(ligne["prestation_id"], vide)
        par_prestation.lignes.append(
            [Cellule(ligne["prestation__nom"])]
            + _mesures(ligne, parametres, prestation=ligne["prestation_id"])
            + [Cellule(h[cle]) for cle, _ in COLONNES_HEURES]
        )
    par_prestation.graphique = graphiques.barres_horizontales(
        "Taux de présence par prestation",
        [
            (
                ligne["prestation__nom"],
                heures_prestations.get(ligne["prestation_id"], vide)["taux_presence"] or 0,
            )
            for ligne in prestations
        ],
        unite=" %",
    )

    phases = agregats.par_phase(dossiers, periode)
    par_phase = Tableau(
        "phases", "Par phase", ["Prestation", "Phase"] + [c[1] for c in COLONNES_MESURES]
    )
    for ligne in phases:
        cible = {"phase": ligne["phase_courante_id"]} if ligne["phase_courante_id"] else {}
        cellules = _mesures(ligne, parametres, **cible)
        if not cible:
            for cellule in cellules:
                cellule.lien = ""
        par_phase.lignes.append(
            [
                Cellule(ligne["prestation__nom"]),
                Cellule(ligne["phase_courante__libelle"] or "Aucune"),
            ]
            + cellules
        )
    par_phase.graphique = graphiques.barres_horizontales(
        "Dossiers en cours par phase",
        [
            (
                f"{ligne['prestation__nom']} — {ligne['phase_courante__libelle'] or 'Aucune'}",
                ligne["en_cours"],
            )
            for ligne in phases
        ],
    )
    lignes_heures = heures.par_phase(dossiers, periode)
    heures_phases = Tableau(
        "heures-phases",
        "Heures prévues et réalisées par phase",
        ["Prestation", "Phase", "Heures prévues", "Heures réalisées", "Taux de présence (%)"],
    )
    for ligne in lignes_heures:
        heures_phases.lignes.append(
            [
                Cellule(ligne["prestation"]),
                Cellule(ligne["phase"]),
                Cellule(ligne["heures_prevues"]),
                Cellule(ligne["heures_realisees"]),
                Cellule(ligne["taux_presence"]),
            ]
        )
    heures_phases.graphique = graphiques.barres_groupees(
        heures_phases.titre,
        [ligne["phase"] for ligne in lignes_heures],
        [
            ("Heures prévues", [ligne["heures_prevues"] for ligne in lignes_heures]),
            ("Heures réalisées", [ligne["heures_realisees"] for ligne in lignes_heures]),
        ],
    )
    return [synthese, par_mois, sorties, par_prestation, par_phase, heures_phases]
