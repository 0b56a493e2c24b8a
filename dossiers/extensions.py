"""What higher apps add to the dossier pages: tabs, résumé sections, header annotations,
grouped actions of the dossier list.

`dossiers` sits low in the layering (DESIGN.md) and never imports the apps above it; they
register here from their AppConfig.ready(), as they register action kinds with evenements.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Onglet:
    cle: str  # the `onglet` value its view puts in the context
    libelle: str
    url_name: str  # reversed with the dossier's pk
    ordre: int
    permission: str | None = None


@dataclass(frozen=True)
class SectionResume:
    """A card of the Résumé tab: `contexte(request, dossier)` feeds `template`."""

    cle: str
    template: str
    contexte: Callable
    ordre: int


@dataclass(frozen=True)
class ActionGroupee:
    """A button under the dossier list: it POSTs the checked dossiers' ids (`dossiers`)
    to `url_name`, whose view confirms before doing anything and checks each dossier."""

    cle: str
    libelle: str
    url_name: str
    ordre: int
    permission: str | None = None


_onglets: dict[str, Onglet] = {}
_actions_groupees: dict[str, ActionGroupee] = {}
_sections: dict[str, SectionResume] = {}
_annotations: dict[str, Callable] = {}
_recalculs: list[Callable] = []


def enregistrer_onglet(onglet: Onglet) -> None:
    _onglets[onglet.cle] = onglet


def enregistrer_section(section: SectionResume) -> None:
    _sections[section.cle] = section


def enregistrer_action_groupee(action: ActionGroupee) -> None:
    _actions_groupees[action.cle] = action


def enregistrer_annotation(nom: str, expression: Callable) -> None:
    """`expression()` returns a query expression annotated on the dossier of every page."""
    _annotations[nom] = expression


def enregistrer_recalcul(fonction: Callable) -> None:
    """`fonction(dossier)` rewrites the derived state of a locked dossier (the replay)."""
    if fonction not in _recalculs:
        _recalculs.append(fonction)


def recalculer(dossier) -> None:
    for fonction in _recalculs:
        fonction(dossier)


def onglets(user) -> list[Onglet]:
    visibles = [o for o in _onglets.values() if o.permission is None or user.has_perm(o.permission)]
    return sorted(visibles, key=lambda o: o.ordre)


def actions_groupees(user) -> list[ActionGroupee]:
    permises = [
        a for a in _actions_groupees.values() if a.permission is None or user.has_perm(a.permission)
    ]
    return sorted(permises, key=lambda a: a.ordre)


def sections() -> list[SectionResume]:
    return sorted(_sections.values(), key=lambda s: s.ordre)


def annotations() -> dict:
    return {nom: expression() for nom, expression in _annotations.items()}
