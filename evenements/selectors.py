"""Reads that carry a rule: the history of a dossier as a user may see it."""

import copy
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from dossiers.models import Dossier, Financeur, Phase, Statut
from evenements import champs as champs_mod
from evenements import droits
from evenements.models import ActionDeclenchee, ChampSupplementaire, Evenement, TypeEvenement
from evenements.natures import chemins_parametres
from evenements.rejeu import Etape, HistoireIllegale, rejouer


def _evenements(dossier: Dossier, avec_supprimes: bool):
    evenements = dossier.evenements.all() if avec_supprimes else dossier.evenements.actifs()
    return (
        evenements.chronologiques()
        .select_related("type_evenement", "auteur", "motif", "modifie_par", "supprime_par")
        .prefetch_related(
            Prefetch(
                "type_evenement__champs",
                queryset=ChampSupplementaire.objects.order_by("ordre", "pk"),
            )
        )
    )


def actions_affichees() -> Prefetch:
    """Each event's actions with their kind's parameters: a constant number of queries."""
    return Prefetch(
        "actions",
        queryset=ActionDeclenchee.objects.select_related(*chemins_parametres()).order_by("pk"),
    )


def etapes_du_dossier(dossier: Dossier, evenements=None, phases=None) -> list[Etape]:
    """Replay on a copy, for display: what each event did (phases before and after)."""
    if evenements is None:
        evenements = histoire_active(dossier)
    actifs = [e for e in evenements if not e.est_supprime]
    try:
        return rejouer(copy.copy(dossier), actifs, timezone.localdate(), phases=phases)
    except HistoireIllegale:  # cannot happen for stored histories; show without phases
        return []


@dataclass
class Ligne:
    evenement: Evenement
    etape: Etape | None
    informations: list[tuple[str, str]] = field(default_factory=list)
    peut_modifier: bool = False
    peut_supprimer: bool = False
    position_du_jour: int = 0  # 1-based order among the same day's events
    nb_du_jour: int = 0

    @property
    def premier_du_jour(self) -> bool:
        return self.position_du_jour == 1

    @property
    def dernier_du_jour(self) -> bool:
        return self.position_du_jour == self.nb_du_jour


PAR_PAGE = 100


def histoire_active(dossier: Dossier) -> list[Evenement]:
    """The active events in (date, rang) order, light: what the replay needs.

    Types are loaded once and shared, not joined and prefetched on every row.
    """
    return avec_types(dossier.evenements.actifs().chronologiques())


def avec_types(evenements) -> list[Evenement]:
    """Events with their type attached from one shared load of the types."""
    evenements = list(evenements)
    if not evenements:
        return evenements
    types = {t.pk: t for t in TypeEvenement.objects.prefetch_related("champs")}
    for evenement in evenements:
        evenement.type_evenement = types[evenement.type_evenement_id]
    return evenements


def _voisinage(dossier: Dossier, a_afficher, phases_par_id) -> tuple[dict, dict] | None:
    """(steps, same-day order) of the shown events, from the stored checkpoints: reads the
    active events of the shown days and the one before them, not the whole history.
    None when a checkpoint is missing (never replayed since): the caller replays."""
    if not a_afficher:
        return {}, {}
    premier, dernier = min(e.date for e in a_afficher), max(e.date for e in a_afficher)
    actifs = dossier.evenements.actifs()
    precedent = (
        actifs.filter(date__lt=premier)
        .order_by("-date", "-rang", "-pk")
        .values_list("reprise", flat=True)
        .first()
    )
    if precedent is None and actifs.filter(date__lt=premier).exists():
        return None
    voisins = list(
        actifs.filter(date__range=(premier, dernier))
        .chronologiques()
        .values_list("pk", "date", "reprise")
    )
    aujourd_hui = timezone.localdate()
    affiches = {e.pk: e for e in a_afficher}
    avant = precedent or {"s": Statut.A_VENIR, "p": None}
    etapes, par_jour = {}, {}
    for pk, date, reprise in voisins:
        if reprise is None:
            return None
        par_jour.setdefault(date, []).append(pk)
        if pk in affiches:
            etapes[pk] = Etape(
                evenement=affiches[pk],
                statut_avant=avant["s"],
                statut_apres=reprise["s"],
                phase_avant=phases_par_id.get(avant["p"]),
                phase_apres=phases_par_id.get(reprise["p"]),
                appliquee=date <= aujourd_hui,
            )
        avant = reprise
    return etapes, par_jour


def _lignes(dossier: Dossier, user, histoire, a_afficher) -> list[Ligne]:
    """Rows for `a_afficher`: steps and same-day order from the stored checkpoints, or
    computed with the whole active history (`histoire`, a callable) when one is missing."""
    phases = list(Phase.objects.filter(prestation_id=dossier.prestation_id))
    phases_par_id = {p.pk: p for p in phases}
    voisinage = _voisinage(dossier, a_afficher, phases_par_id)
    if voisinage is None:
        histoire = histoire()
        etapes = {e.evenement.pk: e for e in etapes_du_dossier(dossier, histoire, phases)}
        par_jour: dict = {}
        for e in histoire:
            par_jour.setdefault(e.date, []).append(e.pk)
    else:
        etapes, par_jour = voisinage
    besoin_financeurs = any(
        c.nature == ChampSupplementaire.Nature.FINANCEUR
        for e in a_afficher
        for c in e.type_evenement.champs.all()
    )
    financeurs = {f.pk: f for f in Financeur.objects.all()} if besoin_financeurs else {}
    lignes = []
    for e in a_afficher:
        e.dossier = dossier  # already loaded; avoids one query per row in the rights checks
        meme_jour = par_jour.get(e.date, [])
        lignes.append(
            Ligne(
                evenement=e,
                etape=None if e.est_supprime else etapes.get(e.pk),
                informations=[
                    (
                        c.libelle,
                        champs_mod.afficher(c, e.valeurs.get(c.code), phases_par_id, financeurs),
                    )
                    for c in e.type_evenement.champs.all()
                    if c.code in e.valeurs
                ],
                peut_modifier=droits.peut_modifier(user, e),
                peut_supprimer=droits.peut_supprimer(user, e),
                position_du_jour=meme_jour.index(e.pk) + 1 if e.pk in meme_jour else 0,
                nb_du_jour=len(meme_jour),
            )
        )
    return lignes


def historique(
    dossier: Dossier, user, *, recents_d_abord: bool, avec_supprimes: bool, page=None
) -> tuple[Page, list[Ligne]]:
    """One page of the dossier's history, full rows for that page only; the replay reads
    the whole (light) history."""
    evenements = _evenements(dossier, avec_supprimes)
    if recents_d_abord:
        evenements = evenements.reverse()
    page = Paginator(evenements.values_list("pk", flat=True), PAR_PAGE).get_page(page)
    complets = {e.pk: e for e in _evenements(dossier, True).filter(pk__in=list(page))}
    a_afficher = [complets[pk] for pk in page]
    prefetch_related_objects(a_afficher, actions_affichees())
    return page, _lignes(dossier, user, lambda: histoire_active(dossier), a_afficher)


def ligne_de(evenement: Evenement, user) -> Ligne:
    dossier = evenement.dossier
    lui = list(_evenements(dossier, avec_supprimes=True).filter(pk=evenement.pk))
    prefetch_related_objects(lui, actions_affichees())
    return _lignes(dossier, user, lambda: histoire_active(dossier), lui)[0]
