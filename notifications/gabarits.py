"""Templates typed by administrators: notifications, and document bodies (documents.rendu).

A restricted Django template engine: only the tags and filters a message needs, no
include/extends/load/url/debug/csrf_token, nothing that reads files or other templates,
nothing that can make a huge output from a short source (lorem, ljust, stringformat…).
`verifier` renders a source against sample data and refuses what would fail at send time;
`rendre` uses the same engine, so what was accepted is what is sent.
"""

import functools
import re
from collections.abc import Iterable

from django.template import (
    Context,
    Engine,
    Library,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import Node
from django.template.defaulttags import ForNode

BALISES = [
    "if",
    "for",
    "with",
    "comment",
    "firstof",
    "ifchanged",
    "cycle",
    "resetcycle",
    "spaceless",
    "verbatim",
    "templatetag",
    "now",
]
FILTRES = [
    "add",
    "capfirst",
    "cut",
    "date",
    "default",
    "default_if_none",
    "first",
    "join",
    "last",
    "length",
    "linebreaksbr",
    "lower",
    "pluralize",
    "slice",
    "striptags",
    "time",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "wordcount",
    "yesno",
]
PROFONDEUR_BOUCLES_MAX = 2
TAILLE_RENDU_MAX = 100_000
_INCONNUE = "\x00inconnue:%s\x00"


class GabaritInvalide(Exception):
    """A template that cannot be used; the message is French, for the administrator."""


def _bibliotheque() -> Library:
    bibliotheque = Library()
    for nom in BALISES:
        bibliotheque.tags[nom] = defaulttags.register.tags[nom]
    for nom in FILTRES:
        bibliotheque.filters[nom] = defaultfilters.register.filters[nom]
    return bibliotheque


class MoteurRestreint(Engine):
    """No loaders, no {% load %}able libraries: the whitelisted builtins, plus the filter
    libraries a caller adds (documents adds its French date and amount filters)."""

    default_builtins: list[str] = []

    def __init__(self, bibliotheques: Iterable[Library] = (), **options):
        super().__init__(dirs=[], loaders=[], libraries={}, builtins=[], **options)
        self.template_builtins = [_bibliotheque(), *bibliotheques]


_moteur = MoteurRestreint()
_moteur_de_verification = MoteurRestreint(string_if_invalid=_INCONNUE)


def _profondeur_boucles(noeuds: Iterable[Node], profondeur: int = 0) -> int:
    plus_profonde = profondeur
    for noeud in noeuds:
        niveau = profondeur + isinstance(noeud, ForNode)
        plus_profonde = max(plus_profonde, niveau)
        for attribut in noeud.child_nodelists:
            enfants = getattr(noeud, attribut, None) or []
            plus_profonde = max(plus_profonde, _profondeur_boucles(enfants, niveau))
        for _condition, enfants in getattr(noeud, "conditions_nodelists", []):
            plus_profonde = max(plus_profonde, _profondeur_boucles(enfants, niveau))
    return plus_profonde


@functools.lru_cache(maxsize=512)
def _compiler(source: str, moteur: Engine):
    """Compiled once per source and engine: a batch sends the same templates again and again
    (a compiled Template is immutable once built and may be rendered many times)."""
    try:
        return moteur.from_string(source)
    except TemplateSyntaxError as exc:
        message = str(exc)
        if message.startswith("Invalid block tag"):
            balise = re.search(r"'([^']+)'", message)
            message = (
                f"la balise « {balise.group(1) if balise else '?'} » n'est pas permise "
                f"(permises : {', '.join(BALISES)})"
            )
        elif message.startswith("Invalid filter"):
            filtre = re.search(r"'([^']+)'", message)
            message = (
                f"le filtre « {filtre.group(1) if filtre else '?'} » n'est pas permis "
                f"(permis : {', '.join(FILTRES)})"
            )
        raise GabaritInvalide(f"Gabarit invalide : {message}.") from exc


def _rendre(gabarit, contexte: dict, autoescape: bool) -> str:
    try:
        return gabarit.render(Context(contexte, autoescape=autoescape))
    except Exception as exc:  # any failure of an administrator's template, e.g. divisibleby:0
        raise GabaritInvalide(
            f"Le gabarit ne peut pas être affiché : {type(exc).__name__} ({exc})."
        ) from exc


def verifier(source: str, contextes_exemple: Iterable[dict], autoescape: bool = False) -> None:
    """Raise GabaritInvalide if `source` does not compile, or fails or names an unknown
    variable when rendered with each sample context."""
    gabarit = _compiler(source, _moteur_de_verification)
    if _profondeur_boucles(gabarit.nodelist) > PROFONDEUR_BOUCLES_MAX:
        raise GabaritInvalide(
            f"Gabarit invalide : pas plus de {PROFONDEUR_BOUCLES_MAX} boucles « for » imbriquées."
        )
    for contexte in contextes_exemple:
        texte = _rendre(gabarit, contexte, autoescape)
        inconnues = sorted(set(re.findall(r"\x00inconnue:([^\x00]*)\x00", texte)))
        if inconnues:
            raise GabaritInvalide(
                "Variable inconnue : " + ", ".join(f"{{{{ {nom} }}}}" for nom in inconnues) + "."
            )
        if len(texte) > TAILLE_RENDU_MAX:
            raise GabaritInvalide(
                f"Gabarit invalide : le texte produit dépasse {TAILLE_RENDU_MAX} caractères."
            )


def rendre(
    source: str, contexte: dict, autoescape: bool = False, moteur: Engine | None = None
) -> str:
    """Render with the restricted engine; GabaritInvalide if the template is broken."""
    return _rendre(_compiler(source, moteur or _moteur), contexte, autoescape)
