"""Reads that carry a rule: the history of a dossier as a user may see it."""

import copy
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone

from config import jointures
from config.francais import ordinal
from dossiers.models import Dossier, Financeur, Phase, Statut
from evenements import champs as champs_mod
from evenements import droits
from evenements.models import ActionDeclenchee, ChampSupplementaire, Evenement, TypeEvenement
from evenements.natures import chemins_parametres
from evenements.rejeu import Etape, HistoireIllegale, rejouer


def _evenements(dossier: Dossier, avec_supprimes: bool):
    """The events as the tab shows them (their types' fields: see _partager_les_types)."""
    evenements = dossier.evenements.all() if avec_supprimes else dossier.evenements.actifs()
    return (
        evenements.chronologiques()
        .select_related("type_evenement", "auteur", "motif", "modifie_par", "supprime_par")
        .defer("reprise")  # read for the shown days by _voisinage, not decoded twice
    )


def _partager_les_types(evenements: list[Evenement]) -> None:
    """One instance per type across the rows, its fields fetched once (one query)."""
    types: dict[int, TypeEvenement] = {}
    for evenement in evenements:
        evenement.type_evenement = types.setdefault(
            evenement.type_evenement_id, evenement.type_evenement
        )
    prefetch_related_objects(
        list(types.values()),
        Prefetch("champs", queryset=ChampSupplementaire.objects.order_by("ordre", "pk")),
    )


def actions_affichees() -> Prefetch:
    """Each event's actions with their kind's parameters: a constant number of queries."""
    return Prefetch(
        "actions",
        queryset=ActionDeclenchee.objects.select_related(*chemins_parametres()).order_by("pk"),
        to_attr="actions_affichees",  # a list: no queryset built per row
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
    actions: list[ActionDeclenchee] = field(default_factory=list)
    # What the tab prints, computed once per row in Python (see _affichage).
    date: str = ""
    ordre_du_jour: str = ""  # "2ᵉ du jour" when the day has several events
    badges: list[tuple[str, str]] = field(default_factory=list)  # (CSS classes, text)
    auteur: str = ""
    commentaire: str = ""  # HTML (escaped, line breaks kept)
    details: list[str] = field(default_factory=list)  # motif, previous phase, fields
    suppression: str = ""
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def premier_du_jour(self) -> bool:
        return self.position_du_jour == 1

    @property
    def dernier_du_jour(self) -> bool:
        return self.position_du_jour == self.nb_du_jour


def _nom(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


class _Urls:
    """The per-event URLs of the tab, reversed once per page rather than once per row."""

    REPERE = 987654321

    def __init__(self):
        self.modeles = {
            nom: reverse(f"evenements:{nom}", args=[self.REPERE])
            for nom in ("detail", "modifier", "supprimer", "deplacer")
        }

    def de(self, pk: int) -> dict[str, str]:
        repere, cle = str(self.REPERE), str(pk)
        return {nom: modele.replace(repere, cle) for nom, modele in self.modeles.items()}


def _affichage(ligne: Ligne, aujourd_hui, urls: _Urls) -> None:
    """Fill the row's printed texts: the template does no per-row lookups or filters."""
    e = ligne.evenement
    type_evenement = e.type_evenement
    ligne.date = e.date.strftime("%d/%m/%Y")
    if ligne.nb_du_jour > 1:
        ligne.ordre_du_jour = f"{ordinal(ligne.position_du_jour)} du jour"
    if e.date < timezone.localdate(e.cree_le):
        ligne.badges.append(("badge info", "saisi a posteriori"))
    if e.date > aujourd_hui:
        ligne.badges.append(("badge info", "planifié"))
    if e.modifie_le is not None:
        ligne.badges.append(("badge", "modifié"))
    if e.est_supprime:
        ligne.badges.append(("badge abandonne", "supprimé"))
        ligne.suppression = (
            f"Supprimé le {timezone.localtime(e.supprime_le):%d/%m/%Y %H:%M} par "
            f"{_nom(e.supprime_par)} : {e.raison_suppression}"
        )
    ligne.auteur = _nom(e.auteur)
    ligne.commentaire = linebreaksbr(e.commentaire, autoescape=True) or "—"
    if e.motif_id is not None:
        ligne.details.append(f"{type_evenement.libelle_motif} : {e.motif}")
    etape = ligne.etape
    if etape and etape.phase_avant != etape.phase_apres and type_evenement.champ_phase:
        ligne.details.append(f"Phase précédente : {etape.phase_avant or '—'}")
    ligne.details.extend(f"{libelle} : {valeur}" for libelle, valeur in ligne.informations)
    ligne.urls = urls.de(e.pk)


PAR_PAGE = 100


def histoire_active(dossier: Dossier) -> list[Evenement]:
    """The active events in (date, rang) order, light: what the replay needs.

    Types are loaded once and shared, not joined and prefetched on every row.
    """
    return avec_types(dossier.evenements.actifs().chronologiques())


def histoire_de_la_page(request, dossier: Dossier) -> tuple[list[Evenement], list[Etape]]:
    """The dossier's active history and its replay, once per request: several sections of
    the Résumé show them. For display only (a write reads its own under the dossier's lock)."""
    memo = request.__dict__.setdefault("_histoires_affichees", {})
    if dossier.pk not in memo:
        histoire = histoire_active(dossier)
        memo[dossier.pk] = (histoire, etapes_du_dossier(dossier, histoire))
    return memo[dossier.pk]


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
    # (reprise,) of the event before the shown days; None: there is none.
    precedent = (
        actifs.filter(date__lt=premier)
        .order_by("-date", "-rang", "-pk")
        .values_list("reprise")
        .first()
    )
    if precedent is not None:
        if precedent[0] is None:
            return None
        precedent = precedent[0]
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
    droits_de = droits.droits_sur_les_evenements(user, dossier)
    aujourd_hui = timezone.localdate()
    urls = _Urls()
    lignes = []
    for e in a_afficher:
        e.dossier = dossier  # already loaded; avoids one query per row in the rights checks
        meme_jour = par_jour.get(e.date, [])
        peut_modifier, peut_supprimer = droits_de(e)
        ligne = Ligne(
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
            peut_modifier=peut_modifier,
            peut_supprimer=peut_supprimer,
            position_du_jour=meme_jour.index(e.pk) + 1 if e.pk in meme_jour else 0,
            nb_du_jour=len(meme_jour),
            actions=getattr(e, "actions_affichees", []),
        )
        _affichage(ligne, aujourd_hui, urls)
        lignes.append(ligne)
    return lignes


def historique(
    dossier: Dossier, user, *, recents_d_abord: bool, avec_supprimes: bool, page=None
) -> tuple[Page, list[Ligne]]:
    """One page of the dossier's history: full rows for that page only, steps from the
    checkpoints of the shown days."""
    evenements = _evenements(dossier, avec_supprimes)
    if recents_d_abord:
        evenements = evenements.reverse()
    page = Paginator(evenements.values_list("pk", flat=True), PAR_PAGE).get_page(page)
    # The page's ids first (from the index), then their rows: two short queries whose plans
    # do not depend on the planner's statistics (a subquery or a join with LIMIT can sort or
    # loop over the whole history when they are missing, e.g. after a bulk import).
    page.object_list = list(page.object_list)
    with jointures.dans_l_ordre_ecrit():  # rows by their keys, then what they point to
        a_afficher = list(evenements.filter(pk__in=page.object_list))
        _partager_les_types(a_afficher)
        prefetch_related_objects(a_afficher, actions_affichees())
    return page, _lignes(dossier, user, lambda: histoire_active(dossier), a_afficher)


def ligne_de(evenement: Evenement, user) -> Ligne:
    dossier = evenement.dossier
    lui = list(_evenements(dossier, avec_supprimes=True).filter(pk=evenement.pk))
    _partager_les_types(lui)
    prefetch_related_objects(lui, actions_affichees())
    return _lignes(dossier, user, lambda: histoire_active(dossier), lui)[0]
