"""Bulk recording: one event type, one date, one comment, for many dossiers at once.

The only way in for "Entrée" of a whole cohort (a collective séance, a selection in the
dossier list). Each dossier goes through `enregistrer_evenement`, in its own transaction:
one refusal never blocks the others, and each recorded event plans its actions as usual
(outbox rows, handed over after its own commit). The outcome is a `Bilan`: what was
recorded, what was refused and why, in French.

Which types: any active type that asks nothing per dossier, i.e. no mandatory motif and no
mandatory extra field (Entrée, Sortie positive, Rupture and custom types without required
fields; not Abandon, Changement de phase or Validation d'étape). A mandatory comment is
typed once for the batch.

Call it outside a transaction (a view, a command): inside one, the per-dossier
transactions become savepoints and every action waits for the outer commit.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Subquery

from dossiers.dates import bornes_evenement, hors_bornes
from dossiers.droits import dossiers_visibles
from dossiers.models import Dossier, Statut
from evenements.models import ChampSupplementaire, Effet, Evenement, TypeEvenement
from evenements.services import enregistrer_evenement

MAXIMUM_PAR_LOT = 1000
INTROUVABLE = "Dossier introuvable ou hors de vos équipes."
SANS_DROIT = "Vous n'avez pas les droits pour enregistrer un événement sur ce dossier."


@dataclass(frozen=True)
class Ligne:
    """One dossier of a batch. `dossier` is None when the user may not see it: nothing of
    it is shown but the number they sent."""

    dossier_id: int
    dossier: Dossier | None
    raison: str = ""  # why it is (or will be) refused; "" when it is (or may be) recorded
    evenement: Evenement | None = None


@dataclass
class Bilan:
    type_evenement: TypeEvenement
    date: datetime.date
    enregistres: list[Ligne] = field(default_factory=list)
    refuses: list[Ligne] = field(default_factory=list)

    @property
    def resume(self) -> str:
        return resume(self.type_evenement, len(self.enregistres), len(self.refuses))


def resume(type_evenement: TypeEvenement, enregistres: int, refuses: int) -> str:
    """ "12 entrées enregistrées, 3 refusées", "Aucune entrée enregistrée, 1 refusée"."""

    def s(n: int) -> str:
        return "s" if n >= 2 else ""

    if type_evenement.effet == Effet.ENTREE:
        faits = (
            f"{enregistres} entrée{s(enregistres)} enregistrée{s(enregistres)}"
            if enregistres
            else "Aucune entrée enregistrée"
        )
        return faits + (f", {refuses} refusée{s(refuses)}" if refuses else "")
    faits = (
        f"{enregistres} événement{s(enregistres)} « {type_evenement} » enregistré{s(enregistres)}"
        if enregistres
        else f"Aucun événement « {type_evenement} » enregistré"
    )
    return faits + (f", {refuses} refusé{s(refuses)}" if refuses else "")


def types_possibles():
    """Active types that need nothing per dossier: no mandatory motif or extra field."""
    champ_obligatoire = ChampSupplementaire.objects.filter(
        type_evenement=OuterRef("pk"), actif=True, obligatoire=True
    )
    return (
        TypeEvenement.objects.filter(actif=True)
        .exclude(motif=TypeEvenement.Exigence.OBLIGATOIRE)
        .exclude(Exists(champ_obligatoire))
        .order_by("ordre", "libelle")
    )


def types_entree():
    """What the screens offer: the bulk action is "Entrée" (a cohort starting together)."""
    return types_possibles().filter(effet=Effet.ENTREE)


def _milliers(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")  # 1 000, with a narrow no-break space


def identifiants(valeurs: Iterable) -> list[int]:
    """Distinct dossier ids in the order given; the cap is checked here, before any work."""
    try:
        ids = list(dict.fromkeys(int(v) for v in valeurs))
    except (TypeError, ValueError):
        raise ValidationError(
            {"dossiers": ["La sélection de dossiers est illisible : recommencez depuis la liste."]}
        ) from None
    if any(pk < 1 or pk > 2**31 - 1 for pk in ids):
        raise ValidationError(
            {"dossiers": ["La sélection de dossiers est illisible : recommencez depuis la liste."]}
        )
    if not ids:
        raise ValidationError({"dossiers": ["Sélectionnez au moins un dossier."]})
    if len(ids) > MAXIMUM_PAR_LOT:
        raise ValidationError(
            {
                "dossiers": [
                    f"Au plus {_milliers(MAXIMUM_PAR_LOT)} dossiers à la fois : vous en avez "
                    f"sélectionné {_milliers(len(ids))}. Affinez la sélection (filtres) et "
                    "recommencez."
                ]
            }
        )
    return ids


def _visibles(ids: list[int], par) -> dict[int, Dossier]:
    """The dossiers of `ids` the user sees, by name, each with the date of an entry already
    recorded but not yet applied (a future date): one query."""
    entrees = Evenement.objects.filter(
        dossier=OuterRef("pk"), type_evenement__effet=Effet.ENTREE, supprime_le__isnull=True
    ).order_by("date")
    dossiers = (
        dossiers_visibles(par)
        .filter(pk__in=ids)
        .annotate(entree_enregistree_le=Subquery(entrees.values("date")[:1]))
        .select_related("beneficiaire", "prestation")
        .order_by("beneficiaire__nom", "beneficiaire__prenom", "pk")
    )
    return {d.pk: d for d in dossiers}


def _lignes(ids: list[int], par) -> list[Ligne]:
    """Unknown ones first (no name to sort them by), then the visible ones by name."""
    visibles = _visibles(ids, par)
    inconnus = [Ligne(pk, None, INTROUVABLE) for pk in ids if pk not in visibles]
    return inconnus + [Ligne(pk, d) for pk, d in visibles.items()]


def raison_previsible(dossier: Dossier, type_evenement: TypeEvenement, date) -> str:
    """A refusal that the dossier's current state already tells, without replaying: an
    entry on a dossier already entered, any event after a closed dossier's exit.

    Only certain refusals: everything else is decided by `enregistrer_evenement`.
    """
    statut = Statut(dossier.statut)
    depuis = f" depuis le {dossier.date_sortie:%d/%m/%Y}" if dossier.date_sortie else ""
    cloture = f"Dossier clôturé (« {statut.label} »{depuis})."
    if type_evenement.effet == Effet.ENTREE and statut != Statut.A_VENIR:
        if not dossier.est_ouvert:
            return cloture
        le = f" le {dossier.date_entree:%d/%m/%Y}" if dossier.date_entree else ""
        return f"Entrée déjà enregistrée{le} (dossier « {statut.label} »)."
    planifiee = getattr(dossier, "entree_enregistree_le", None)
    if type_evenement.effet == Effet.ENTREE and planifiee is not None:
        return f"Entrée déjà enregistrée pour le {planifiee:%d/%m/%Y} (à venir)."
    if (
        not dossier.est_ouvert
        and isinstance(date, datetime.date)
        and dossier.date_sortie is not None
        and date >= dossier.date_sortie
        and dossier.statut not in type_evenement.statuts_autorises
    ):
        return cloture
    return ""


def apercu(*, dossiers: Iterable, type_evenement: TypeEvenement, date, par) -> list[Ligne]:
    """What the confirmation page lists: each dossier, with the refusal already certain."""
    lignes = _lignes(identifiants(dossiers), par)
    for position, ligne in enumerate(lignes):
        if ligne.dossier is not None:
            raison = raison_previsible(ligne.dossier, type_evenement, date)
            lignes[position] = Ligne(ligne.dossier_id, ligne.dossier, raison)
    return lignes


def _verifier_lot(par, type_evenement: TypeEvenement, date, commentaire: str) -> None:
    """What holds for the whole batch is refused once, next to its field."""
    if not par.has_perm("evenements.add_evenement"):
        raise PermissionDenied(SANS_DROIT)
    erreurs = {}
    if not types_possibles().filter(pk=type_evenement.pk).exists():
        erreurs["type_evenement"] = [
            f"« {type_evenement} » ne s'enregistre pas en masse : il demande un motif ou "
            "un champ propre à chaque dossier. Saisissez-le dossier par dossier."
        ]
    if not isinstance(date, datetime.date):
        erreurs["date"] = ["Indiquez la date de l'événement."]
    elif message := hors_bornes(date, bornes_evenement()):
        erreurs["date"] = [message]
    if type_evenement.commentaire_obligatoire and not commentaire.strip():
        erreurs["commentaire"] = [f"Le commentaire est obligatoire pour « {type_evenement} »."]
    if erreurs:
        raise ValidationError(erreurs)


def enregistrer_en_masse(
    *,
    dossiers: Iterable,
    type_evenement: TypeEvenement,
    date: datetime.date,
    commentaire: str = "",
    par,
) -> Bilan:
    """Record the same event on each dossier of `dossiers` (ids), one transaction each.

    Refused as a whole (ValidationError keyed by field, nothing recorded): no dossier, more
    than MAXIMUM_PAR_LOT, a type that needs per-dossier input, a date outside the window,
    a missing mandatory comment. Refused per dossier (in the Bilan): a dossier the user may
    not see ("introuvable", never named), a closed one, one already entered, and whatever
    `enregistrer_evenement` refuses, with its message.
    """
    ids = identifiants(dossiers)
    _verifier_lot(par, type_evenement, date, commentaire)
    bilan = Bilan(type_evenement, date)
    for ligne in _lignes(ids, par):
        if ligne.dossier is None:
            bilan.refuses.append(ligne)
            continue
        if raison := raison_previsible(ligne.dossier, type_evenement, date):
            bilan.refuses.append(Ligne(ligne.dossier_id, ligne.dossier, raison))
            continue
        try:
            # Atomic on its own: this dossier's event, replay and outbox rows commit together.
            evenement = enregistrer_evenement(
                dossier=ligne.dossier,
                type_evenement=type_evenement,
                auteur=par,
                date=date,
                commentaire=commentaire,
            )
        except ValidationError as exc:
            bilan.refuses.append(Ligne(ligne.dossier_id, ligne.dossier, " ".join(exc.messages)))
        except PermissionDenied:
            bilan.refuses.append(Ligne(ligne.dossier_id, ligne.dossier, SANS_DROIT))
        else:
            bilan.enregistres.append(Ligne(ligne.dossier_id, ligne.dossier, evenement=evenement))
    return bilan
