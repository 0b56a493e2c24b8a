"""A small server-side SVG bar chart: planned vs realised hours per phase. The same markup
serves the page and a WeasyPrint PDF; the table beside it carries the same figures."""

from dataclasses import dataclass

LARGEUR_BARRE = 18
ECART = 6
GROUPE = 2 * LARGEUR_BARRE + ECART + 24
HAUTEUR = 120
MARGE_BAS = 34


@dataclass
class Barre:
    x: int
    y: float
    hauteur: float
    classe: str
    titre: str


def heures_par_phase(phases) -> dict:
    maximum = max(
        [max(p.chiffres.minutes_prevues, p.chiffres.minutes_realisees) for p in phases] or [0]
    )
    barres, etiquettes = [], []
    for rang, phase in enumerate(phases):
        x = 10 + rang * GROUPE
        for decalage, minutes, classe, quoi in (
            (0, phase.chiffres.minutes_prevues, "prevues", "prévues"),
            (LARGEUR_BARRE + ECART, phase.chiffres.minutes_realisees, "realisees", "réalisées"),
        ):
            hauteur = round(HAUTEUR * minutes / maximum, 1) if maximum else 0
            barres.append(
                Barre(
                    x + decalage,
                    HAUTEUR - hauteur + 4,
                    hauteur,
                    classe,
                    f"{phase.libelle} : {minutes / 60:.2f} h {quoi}".replace(".", ","),
                )
            )
        etiquettes.append((x + LARGEUR_BARRE + ECART // 2, phase.libelle[:14]))
    return {
        "largeur": 20 + max(len(phases), 1) * GROUPE,
        "hauteur": HAUTEUR + MARGE_BAS,
        "base": HAUTEUR + 4,
        "y_etiquette": HAUTEUR + 20,
        "barres": barres,
        "etiquettes": etiquettes,
        "vide": maximum == 0,
    }
