"""Reads that carry a rule: a dossier's séances and indicators, in a constant number of
queries."""

import datetime

from django.db.models import Prefetch, Q
from django.utils import timezone

from dossiers.droits import peut_voir_dossier
from dossiers.models import Dossier, Statut
from evenements.indicateurs import sejours_par_phase
from evenements.models import Effet
from evenements.selectors import etapes_du_dossier, histoire_active
from seances import indicateurs
from seances.models import (
    Emargement,
    EtatSeance,
    IndicateursFinaux,
    JetonEmargement,
    Objectif,
    Participation,
    Presence,
    Seance,
)


def a_faire_entrer(seance: Seance, user) -> list[Dossier]:
    """The participants present at a collective séance already validated (réalisée) whose
    dossier is still "À venir" (no entry yet) and that the user sees: the séance page offers
    their Entrée in one action. Reads the prefetched participations: no query."""
    if not seance.est_realisee or not seance.type_seance.collective:
        return []
    if not user.has_perm("evenements.add_evenement"):
        return []
    return [
        p.dossier
        for p in seance.participations.all()
        if p.dossier.statut == Statut.A_VENIR
        and p.dossier.date_entree is None
        and p.presence == Presence.PRESENT
        and peut_voir_dossier(user, p.dossier)
    ]


def participations_du_dossier(dossier: Dossier):
    return (
        Participation.objects.filter(dossier=dossier)
        .select_related(
            "seance__type_seance__phase", "seance__animateur", "seance__motif_annulation"
        )
        .order_by("seance__date", "seance__heure_debut", "seance_id")
    )


def seances_avec_participants():
    """Séances with their participants and signatures: a fixed number of queries."""
    return Seance.objects.select_related(
        "type_seance", "animateur", "motif_annulation"
    ).prefetch_related(
        Prefetch(
            "participations",
            queryset=Participation.objects.select_related("dossier__beneficiaire").order_by(
                "dossier__beneficiaire__nom", "pk"
            ),
        ),
        Prefetch("emargements", queryset=Emargement.objects.order_by("pk")),
        Prefetch(
            "participations__jetons",
            queryset=JetonEmargement.objects.order_by("-cree_le", "-pk"),
        ),
    )


def intervalles_de_phase(dossier: Dossier, etapes) -> list[indicateurs.Intervalle]:
    return [
        indicateurs.Intervalle(s.phase.pk, s.phase.libelle, s.debut, s.fin)
        for s in sejours_par_phase(etapes, dossier)
    ]


def indicateurs_du_dossier(
    dossier: Dossier,
    participations=None,
    aujourd_hui: datetime.date | None = None,
    histoire: tuple | None = None,
) -> dict:
    """Totals, per-phase figures and the values frozen at exit, for the Résumé card.
    `histoire`: (active events, their replay) when the caller has them already."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    if participations is None:
        participations = list(participations_du_dossier(dossier))
    lignes = [indicateurs.LigneSeance.de(p) for p in participations]
    if histoire is None:
        evenements = histoire_active(dossier)
        histoire = (evenements, etapes_du_dossier(dossier, evenements))
    evenements, etapes = histoire
    validations = [
        e.date
        for e in evenements
        if e.type_evenement.effet == Effet.VALIDATION_ETAPE and e.date <= aujourd_hui
    ]
    objectifs = list(Objectif.objects.filter(prestation_id=dossier.prestation_id, actif=True))
    par_phase_objectifs: dict[int, int] = {}
    for objectif in objectifs:
        if objectif.phase_id:
            par_phase_objectifs[objectif.phase_id] = (
                par_phase_objectifs.get(objectif.phase_id, 0) + 1
            )
    total = indicateurs.chiffres(
        lignes,
        objectifs_valides=len(validations),
        objectifs_prevus=len(objectifs),
        minutes_contrat=indicateurs.minutes_contrat(dossier.heures_prevues),
    )
    phases = indicateurs.par_phase(
        lignes,
        intervalles_de_phase(dossier, etapes),
        validations=validations,
        objectifs_par_phase=par_phase_objectifs,
    )
    return {"total": total, "phases": phases, "finaux": derniers_finaux(dossier, total)}


def derniers_finaux(dossier: Dossier, total: indicateurs.Chiffres) -> dict | None:
    """The values frozen at the exit, with what changed since (a later correction)."""
    finaux = (
        IndicateursFinaux.objects.filter(
            dossier=dossier, action__evenement__supprime_le__isnull=True
        )
        .select_related("action__evenement__type_evenement")
        .first()
    )
    if finaux is None:
        return None
    actuelles = total.en_dict()
    differences = [
        (cle, valeur, actuelles.get(cle))
        for cle, valeur in finaux.valeurs.items()
        if cle in LIBELLES and actuelles.get(cle) != valeur
    ]
    return {
        "objet": finaux,
        "valeurs": [(LIBELLES[c], finaux.valeurs.get(c)) for c in LIBELLES],
        "differences": [(LIBELLES[c], avant, apres) for c, avant, apres in differences],
    }


LIBELLES = {
    "minutes_prevues": "Minutes prévues (bénéficiaire)",
    "minutes_realisees": "Minutes réalisées (bénéficiaire)",
    "minutes_conseiller_realisees": "Minutes réalisées (conseiller)",
    "taux_presence": "Taux de présence (%)",
    "taux_realisation": "Taux de réalisation (%)",
    "taux_reussite": "Taux de réussite (%)",
}


# --- warnings: overlaps and séances outside the parcours (flagged, never refused) ---


def _chevauche(a, b) -> bool:
    return a.date == b.date and a.heure_debut < b.heure_fin and b.heure_debut < a.heure_fin


def chevauchements(seances: list[Seance]) -> dict[int, list[str]]:
    """séance pk → French warnings about other séances at the same time with the same
    animateur or a shared participant. One query for the whole list."""
    if not seances:
        return {}
    dates = {s.date for s in seances}
    animateurs = {s.animateur_id for s in seances}
    dossiers = {p.dossier_id for s in seances for p in s.participations.all()}
    autres = list(
        Seance.objects.filter(date__in=dates)
        .exclude(etat=EtatSeance.ANNULEE)
        .filter(Q(animateur_id__in=animateurs) | Q(participations__dossier_id__in=dossiers))
        .distinct()
        .select_related("type_seance")
        .prefetch_related("participations")
    )
    resultat: dict[int, list[str]] = {}
    for seance in seances:
        if seance.etat == EtatSeance.ANNULEE:
            continue
        mes_dossiers = {p.dossier_id for p in seance.participations.all()}
        for autre in autres:
            if autre.pk == seance.pk or not _chevauche(seance, autre):
                continue
            horaire = f"{autre.type_seance} de {autre.heure_debut:%H:%M} à {autre.heure_fin:%H:%M}"
            if autre.animateur_id == seance.animateur_id:
                resultat.setdefault(seance.pk, []).append(
                    f"L'animateur a déjà une séance en même temps : {horaire}."
                )
            elif mes_dossiers & {p.dossier_id for p in autre.participations.all()}:
                resultat.setdefault(seance.pk, []).append(
                    f"Un participant a déjà une séance en même temps : {horaire}."
                )
    return resultat


def hors_parcours(seance: Seance, dossier: Dossier) -> str:
    """Why a non-cancelled séance falls outside the dossier's parcours ('' if it does not)."""
    if seance.etat == EtatSeance.ANNULEE:
        return ""
    if dossier.date_entree and seance.date < dossier.date_entree:
        return "avant l'entrée"
    if dossier.date_sortie and seance.date > dossier.date_sortie:
        return "après la sortie"
    return ""


def avertissements_de(seance: Seance) -> list[str]:
    seance = seances_avec_participants().get(pk=seance.pk)
    messages = list(chevauchements([seance]).get(seance.pk, []))
    for participation in seance.participations.all():
        raison = hors_parcours(seance, participation.dossier)
        if raison:
            messages.append(
                f"Séance hors parcours pour {participation.dossier.beneficiaire} ({raison})."
            )
    return messages


def seances_non_realisees(dossier: Dossier, participations) -> list[Seance]:
    """After a Sortie, Abandon or Rupture: the dossier's séances still planned after its exit."""
    if dossier.est_ouvert or dossier.date_sortie is None:
        return []
    return [
        p.seance
        for p in participations
        if p.seance.etat == EtatSeance.PREVUE and p.seance.date >= dossier.date_sortie
    ]
