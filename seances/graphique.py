"""A small server-side SVG bar chart: planned vs realised hours per phase. The same markup
serves the page and a WeasyPrint PDF; the table beside it carries the same figures."""

from dataclasses import dataclass

LARGEUR_BARRE = 18
ECART = 6
GROUPE = 2 * LARGEUR_BARRE + ECART + 24
HAUTEUR = 120
MARGE_BAS = 46
LIGNE = 12  # labels alternate between two lines so long phase names don't overlap
LARGEUR_CARACTERE = 6  # a 10px sans-serif character, rounded up
CARACTERES_MAX = 2 * GROUPE // LARGEUR_CARACTERE - 1
# room for half the widest label on each side of the first and last groups
MARGE = CARACTERES_MAX * LARGEUR_CARACTERE // 2 - LARGEUR_BARRE


def etiquette(libelle: str) -> str:
    """A phase name cut to the room two groups leave it (the full name is in the title)."""
    if len(libelle) <= CARACTERES_MAX:
        return libelle
    return libelle[: CARACTERES_MAX - 1].rstrip() + "…"


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
        x = MARGE + rang * GROUPE
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
        etiquettes.append(
            (
                x + LARGEUR_BARRE + ECART // 2,
                HAUTEUR + 20 + (rang % 2) * LIGNE,
                etiquette(phase.libelle),
                phase.libelle,
            )
        )
    return {
        "largeur": 2 * MARGE + max(len(phases), 1) * GROUPE,
        "hauteur": HAUTEUR + MARGE_BAS,
        "base": HAUTEUR + 4,
        "barres": barres,
        "etiquettes": etiquettes,
        "vide": maximum == 0,
    }
