"""Accent- and case-insensitive search.

A normalised column (`Beneficiaire.recherche`) rather than PostgreSQL's `unaccent`: the
extension needs superuser rights to install and does not exist on SQLite, so the embedded
mode and production would find different things. The column behaves the same everywhere and
a plain `LIKE` on it is all a search needs.
"""

import unicodedata

# Letters NFKD does not decompose.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})


def normaliser(texte: str) -> str:
    """'Lefèvre Œuvre' -> 'lefevre oeuvre': lower case, no accents, single spaces."""
    texte = (texte or "").casefold().translate(_LIGATURES)
    sans_accents = "".join(
        c for c in unicodedata.normalize("NFKD", texte) if not unicodedata.combining(c)
    )
    return " ".join(sans_accents.split())


def texte_de_recherche(*valeurs: str) -> str:
    return " ".join(v for v in (normaliser(str(x)) for x in valeurs if x) if v)
