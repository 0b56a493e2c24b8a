"""The one way in for writing events: views, admin, commands and shell all call these."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from config.lots import ecritures_groupees, mettre_a_jour
from dossiers.dates import bornes_evenement, hors_bornes
from dossiers.droits import exiger, peut_voir_dossier
from dossiers.models import Dossier
from dossiers.services import autre_dossier_ouvert
from evenements import configuration, droits, pipeline
from evenements.champs import valider_valeurs
from evenements.models import RAISON_LONGUEUR_MAX, Evenement, Motif, TypeEvenement
from evenements.preparees import Preparee, lire_ensemble
from evenements.rejeu import HistoireIllegale, RepriseImpossible, rejouer
from evenements.selectors import avec_types, histoire_active


def types_disponibles(dossier: Dossier):
    """Active types offered for the dossier's prestation (the replay checks the status)."""
    offerts_a_la_prestation = TypeEvenement.prestations.through.objects.filter(
        prestation_id=dossier.prestation_id
    ).values("typeevenement_id")
    return (
        TypeEvenement.objects.filter(actif=True)
        .filter(Q(toutes_prestations=True) | Q(pk__in=offerts_a_la_prestation))
        .prefetch_related("champs")
        .order_by("ordre", "libelle")
    )


def types_proposes(dossier: Dossier) -> list:
    """Types offered in the form: available for the prestation and allowed in the current status."""
    return [t for t in types_disponibles(dossier) if dossier.statut in t.statuts_autorises]


def un_type_propose(dossier: Dossier) -> bool:
    """Whether types_proposes() is not empty (one light query: no fields fetched)."""
    statuts = (
        types_disponibles(dossier)
        .prefetch_related(None)
        .values_list("statuts_autorises", flat=True)
    )
    return any(dossier.statut in autorises for autorises in statuts)


# Compiled once per process (evenements.preparees): the reads of every recording.
_DOSSIER_VERROUILLE = Preparee(
    lambda pk: configuration.avec_jeton(
        Dossier.objects.select_for_update(of=("self",)).select_related("prestation")
    ).filter(pk=pk)
)
_DERNIER_ET_VERDICTS: dict[tuple, Preparee] = {}


def _lecture_du_dernier(conditions: dict) -> tuple[tuple, Preparee]:
    cles = tuple(conditions)
    preparee = _DERNIER_ET_VERDICTS.get(cles)
    if preparee is None:
        dernier = (
            Evenement.objects.actifs()
            .filter(dossier_id=OuterRef("pk"))
            .order_by("-date", "-rang", "-pk")
        )
        colonnes = [Subquery(dernier.values(nom)[:1]) for nom in ("date", "rang", "reprise")]
        colonnes += [conditions[cle]() for cle in cles]
        preparee = _DERNIER_ET_VERDICTS[cles] = Preparee(
            lambda pk: Dossier.objects.filter(pk=pk).order_by().values_list(*colonnes)
        )
    return cles, preparee


def _dernier_et_verdicts_lus(cles: tuple, lignes: list) -> tuple[tuple | None, dict]:
    date, rang, reprise, *valeurs = lignes[0]
    return (None if date is None else (date, rang, reprise)), dict(zip(cles, valeurs, strict=True))


def _dernier_et_verdicts(dossier: Dossier, conditions: dict) -> tuple[tuple | None, dict]:
    """((date, rang, reprise) of the last active event or None, {key: verdict} of the
    pipeline's `conditions`): one read, made once the dossier is locked."""
    cles, preparee = _lecture_du_dernier(conditions)
    return _dernier_et_verdicts_lus(cles, preparee.lignes(dossier.pk))


def _verrouiller(dossier: Dossier) -> Dossier:
    """Row lock on the dossier (only: `of`), so that events on one dossier are recorded
    one after the other; the same statement reads the configuration token."""
    trouves = _DOSSIER_VERROUILLE.objets(dossier.pk)
    if not trouves:
        raise Dossier.DoesNotExist(f"Dossier {dossier.pk} introuvable.")
    return trouves[0]


def _verrouiller_et_lire(dossier: Dossier, type_evenement: TypeEvenement):
    """_verrouiller, and the read of _dernier_et_verdicts sent in the same round trip,
    placed after the lock (it sees what the lock waited for). The read's verdicts depend on
    the type's actions in the configuration the lock's statement names: guessed from the
    process's current snapshot. Returns (dossier, {condition keys: (last, verdicts)}), empty
    when there was nothing to guess from."""
    courante = configuration.courante()
    if courante is None:
        return _verrouiller(dossier), {}
    cles, lecture = _lecture_du_dernier(pipeline.conditions(courante.actions(type_evenement.pk)))
    verrou, lignes = lire_ensemble([(_DOSSIER_VERROUILLE, dossier.pk), (lecture, dossier.pk)])
    if not verrou:
        raise Dossier.DoesNotExist(f"Dossier {dossier.pk} introuvable.")
    return _DOSSIER_VERROUILLE.instancier(verrou)[0], {cles: _dernier_et_verdicts_lus(cles, lignes)}


def _configuration(dossier: Dossier) -> configuration.Configuration:
    """The configuration snapshot for the token read with the dossier's lock."""
    return configuration.pour(getattr(dossier, "jeton_configuration", None))


Position = tuple[datetime.date, int]
# `dernier` when the dossier has no active event: the replay starts from nothing.
RIEN_AVANT = (None, None)
ETAT_DERIVE = [
    "statut",
    "financeur_id",
    "phase_courante_id",
    "date_entree",
    "date_sortie",
    "etat_calcule_le",
]


def _histoire_depuis(
    dossier: Dossier,
    depuis: Position | None,
    aujourd_hui: datetime.date,
    dernier: tuple | None = None,
) -> tuple[dict | None, list[Evenement]]:
    """(checkpoint to start from, events to replay): from `depuis` on when the event just
    before it carries a checkpoint and is dated today or before, else the whole history.

    `dernier` is (date, reprise) of the last event when it is known to come just before
    `depuis` (an event appended at the end): nothing else to read; RIEN_AVANT when there
    is no active event at all.
    """
    if dernier is RIEN_AVANT:
        return None, []
    if depuis is not None:
        date, rang = depuis
        if dernier is not None:
            precedent = dernier  # nothing to read
        else:
            avant = Q(date__lt=date) | Q(date=date, rang__lt=rang)
            precedent = (
                dossier.evenements.actifs()
                .filter(avant)
                .order_by("-date", "-rang", "-pk")
                .values_list("date", "reprise")
                .first()
            )
        if precedent is not None and precedent[1] is not None and precedent[0] <= aujourd_hui:
            if dernier is not None:
                return precedent[1], []
            suite = dossier.evenements.actifs().filter(
                Q(date__gt=date) | Q(date=date, rang__gte=rang)
            )
            return precedent[1], avec_types(suite.chronologiques())
    return None, histoire_active(dossier)


def _inserer(histoire: list[Evenement], nouveau: Evenement) -> list[Evenement]:
    """An event not saved yet takes its place: last of its day (its rang is the next one)."""
    position = len(histoire)
    while position and histoire[position - 1].date > nouveau.date:
        position -= 1
    return [*histoire[:position], nouveau, *histoire[position:]]


def _noter_reprises(histoire: list[Evenement]) -> None:
    """Store the checkpoints that changed; an unsaved event gets its own on INSERT."""
    changes = []
    for evenement in histoire:
        if evenement.reprise != evenement.reprise_calculee:
            evenement.reprise = evenement.reprise_calculee
            if evenement.pk is not None:
                changes.append(evenement)
    Evenement.objects.bulk_update(changes, ["reprise"], batch_size=500)


def recalculer_dossier(
    dossier: Dossier,
    *,
    en_cours: Evenement | None = None,
    aujourd_hui: datetime.date | None = None,
    par=None,
    depuis: Position | None = None,
    dernier: tuple | None = None,
    phases: list | None = None,
) -> Dossier:
    """Replay the locked dossier's history and store its derived state.

    `depuis` is the first (date, rang) the write affects: the replay restarts from the
    checkpoint of the event before it (None: the whole history). `en_cours` is the event
    being written (maybe not saved yet): a refusal that names it is reported on its date.
    `par` is who acts: a refusal names another dossier only if they may see it.
    `dernier`: see _histoire_depuis. `phases`: the prestation's, when the caller has them.
    """
    aujourd_hui = aujourd_hui or timezone.localdate()
    avant = [getattr(dossier, champ) for champ in ETAT_DERIVE]
    etait_ouvert = dossier.est_ouvert
    depart, histoire = _histoire_depuis(dossier, depuis, aujourd_hui, dernier)
    if en_cours is not None and en_cours.pk is None:
        histoire = _inserer(histoire, en_cours)
    try:
        try:
            rejouer(dossier, histoire, aujourd_hui, phases=phases, depart=depart)
        except RepriseImpossible:
            histoire = histoire_active(dossier)
            if en_cours is not None and en_cours.pk is None:
                histoire = _inserer(histoire, en_cours)
            rejouer(dossier, histoire, aujourd_hui, phases=phases)
    except HistoireIllegale as exc:
        if en_cours is not None and (
            exc.evenement is en_cours or (en_cours.pk and exc.evenement.pk == en_cours.pk)
        ):
            raise ValidationError({"date": exc.messages}) from exc
        raise ValidationError(exc.messages) from exc
    _noter_reprises(histoire)
    # Already open: the unique constraint guarantees no other open dossier.
    if dossier.est_ouvert and not etait_ouvert:
        autre = autre_dossier_ouvert(dossier.beneficiaire_id, dossier.prestation_id, sauf=dossier)
        if autre is not None:
            lequel = (
                f"le dossier n° {autre.pk}"
                if par is None or peut_voir_dossier(par, autre)
                else "un dossier d'une autre équipe"
            )
            raise ValidationError(
                f"Le dossier serait de nouveau ouvert alors que {lequel} "
                "du même bénéficiaire pour la même prestation est déjà ouvert."
            )
    if [getattr(dossier, champ) for champ in ETAT_DERIVE] == avant:
        return dossier
    # Derived state is not a person's edit: the events carry its history (no revision).
    mettre_a_jour([dossier], ETAT_DERIVE)
    return dossier


def _valider_saisie(
    *,
    dossier: Dossier,
    type_evenement: TypeEvenement,
    date: datetime.date,
    commentaire: str,
    motif: Motif | None,
    valeurs: dict[str, Any],
    motif_actuel: Motif | None = None,
    valeurs_actuelles: dict[str, Any] | None = None,
    date_actuelle: datetime.date | None = None,
    config: configuration.Configuration | None = None,
) -> dict[str, Any]:
    """Check an entry; an event's unchanged date is not re-checked against the window."""
    erreurs: dict[str, list[str]] = {}
    config = config or _configuration(dossier)
    config.attacher_champs(type_evenement)  # read by the checks and the replay
    if type_evenement.pk not in config.types_offerts(dossier.prestation_id):
        erreurs["type_evenement"] = [
            f"Le type « {type_evenement} » n'est pas proposé pour la prestation "
            f"« {dossier.prestation} »."
        ]
    if not isinstance(date, datetime.date):
        erreurs["date"] = ["Indiquez la date de l'événement."]
    elif date != date_actuelle and (message := hors_bornes(date, bornes_evenement())):
        erreurs["date"] = [message]
    if type_evenement.commentaire_obligatoire and not commentaire.strip():
        erreurs["commentaire"] = [f"Le commentaire est obligatoire pour « {type_evenement} »."]
    exigence = type_evenement.motif
    if exigence == TypeEvenement.Exigence.NON_DEMANDE and motif is not None:
        erreurs["motif"] = [f"Le type « {type_evenement} » ne demande pas de motif."]
    elif exigence == TypeEvenement.Exigence.OBLIGATOIRE and motif is None:
        erreurs["motif"] = [
            f"{type_evenement.libelle_motif} obligatoire pour « {type_evenement} » : "
            "choisissez-le dans la liste."
        ]
    elif motif is not None and (
        motif.liste != type_evenement.liste_motifs or (not motif.actif and motif != motif_actuel)
    ):
        erreurs["motif"] = ["Ce motif n'est pas proposé pour ce type d'événement."]
    try:
        valeurs = valider_valeurs(
            type_evenement.champs_saisis(valeurs_actuelles),
            valeurs or {},
            dossier.prestation,
            valeurs_actuelles,
        )
    except ValidationError as exc:
        for champ, messages in exc.message_dict.items():
            erreurs.setdefault(champ, []).extend(messages)
    if erreurs:
        raise ValidationError(erreurs)
    return valeurs


def _rang_suivant(dossier: Dossier, date: datetime.date) -> int:
    dernier = dossier.evenements.actifs().filter(date=date).aggregate(m=Max("rang"))["m"]
    return (dernier or 0) + 1


def _enregistrer_revision(evenement: Evenement, par, raison: str) -> None:
    """Save with its revision; every write after the first bumps the version counter."""
    if evenement.pk is not None:
        evenement.version += 1
    evenement._history_user = par
    evenement._change_reason = raison
    evenement.save()


@transaction.atomic
def enregistrer_evenement(
    *,
    dossier: Dossier,
    type_evenement: TypeEvenement,
    auteur,
    date: datetime.date | None = None,
    commentaire: str = "",
    motif: Motif | None = None,
    valeurs: dict[str, Any] | None = None,
) -> Evenement:
    """Record an event: validate, store it, replay the dossier, plan its actions."""
    dossier, lus = _verrouiller_et_lire(dossier, type_evenement)
    exiger(droits.peut_saisir(auteur, dossier))
    config = _configuration(dossier)
    date = date or timezone.localdate()
    valeurs = _valider_saisie(
        dossier=dossier,
        type_evenement=type_evenement,
        date=date,
        commentaire=commentaire,
        motif=motif,
        valeurs=valeurs or {},
        config=config,
    )
    # One read gives the last event (appended after it, its checkpoint is all the replay
    # needs) and whether the dossier concerns the type's actions (billing: a convention).
    actions = config.actions(type_evenement.pk)
    conditions = pipeline.conditions(actions)
    if tuple(conditions) in lus:  # read with the lock (the usual case)
        dernier, verdicts = lus[tuple(conditions)]
    else:  # the configuration changed meanwhile, and with it the questions
        dernier, verdicts = _dernier_et_verdicts(dossier, conditions)
    a_la_fin = dernier is None or dernier[0] <= date
    if a_la_fin:
        rang = dernier[1] + 1 if dernier is not None and dernier[0] == date else 1
    else:
        rang = _rang_suivant(dossier, date)
    evenement = Evenement(
        dossier=dossier,
        type_evenement=type_evenement,
        date=date,
        rang=rang,
        commentaire=commentaire.strip(),
        motif=motif,
        valeurs=valeurs,
        auteur=auteur,
    )
    # Replayed before the INSERT, so that the row is written once with its checkpoint.
    if dernier is None:
        dernier = RIEN_AVANT
    elif a_la_fin:
        dernier = (dernier[0], dernier[2])
    else:
        dernier = None
    # The dossier's derived state is written with the event's INSERT (one round trip).
    with ecritures_groupees():
        recalculer_dossier(
            dossier,
            en_cours=evenement,
            par=auteur,
            depuis=(date, rang),
            dernier=dernier,
            phases=config.phases(dossier.prestation_id),
        )
        _enregistrer_revision(evenement, auteur, "Création")
    pipeline.planifier(evenement, configurations=actions, verdicts=verdicts)
    return evenement


def _verrouiller_evenement(evenement: Evenement) -> tuple[Evenement, Dossier]:
    dossier = _verrouiller(evenement.dossier)
    evenement = Evenement.objects.select_related("type_evenement", "dossier").get(pk=evenement.pk)
    evenement.dossier = dossier
    return evenement, dossier


def _verifier_version(evenement: Evenement, version: int | None) -> None:
    """Optimistic check: refuse to overwrite a change made since the form was opened.

    `version` is the counter the form was built from; None skips the check (a caller that
    has just read the event, e.g. the shell). The web form always sends it.
    """
    if version is not None and version != evenement.version:
        raise ValidationError(
            "Cet événement a été modifié par quelqu'un d'autre pendant votre "
            "saisie : votre modification n'est pas enregistrée. Rechargez la page pour voir "
            "sa version actuelle, puis refaites votre modification."
        )


def _verifier_raison(raison: str, message_si_vide: str) -> str:
    raison = raison.strip()
    if not raison:
        raise ValidationError({"raison": [message_si_vide]})
    if len(raison) > RAISON_LONGUEUR_MAX:
        raise ValidationError(
            {"raison": [f"La raison ne peut pas dépasser {RAISON_LONGUEUR_MAX} caractères."]}
        )
    return raison


@transaction.atomic
def modifier_evenement(
    *,
    evenement: Evenement,
    par,
    raison: str,
    type_evenement: TypeEvenement,
    date: datetime.date,
    commentaire: str = "",
    motif: Motif | None = None,
    valeurs: dict[str, Any] | None = None,
    version: int | None = None,
) -> Evenement:
    evenement, dossier = _verrouiller_evenement(evenement)
    exiger(droits.peut_modifier(par, evenement))
    _verifier_version(evenement, version)
    raison = _verifier_raison(raison, "Indiquez la raison de la modification.")
    valeurs = _valider_saisie(
        dossier=dossier,
        type_evenement=type_evenement,
        date=date,
        commentaire=commentaire,
        motif=motif,
        valeurs=valeurs or {},
        motif_actuel=evenement.motif,
        valeurs_actuelles=evenement.valeurs,
        date_actuelle=evenement.date,
    )
    ancienne_position = (evenement.date, evenement.rang)
    if date != evenement.date:
        evenement.rang = _rang_suivant(dossier, date)
    evenement.type_evenement = type_evenement
    evenement.date = date
    evenement.commentaire = commentaire.strip()
    evenement.motif = motif
    evenement.valeurs = valeurs
    evenement.modifie_le = timezone.now()
    evenement.modifie_par = par
    _enregistrer_revision(evenement, par, raison)
    depuis = min(ancienne_position, (evenement.date, evenement.rang))
    recalculer_dossier(dossier, en_cours=evenement, par=par, depuis=depuis)
    pipeline.corriger(evenement, supprime=False)
    return evenement


@transaction.atomic
def supprimer_evenement(
    *, evenement: Evenement, par, raison: str, version: int | None = None
) -> Evenement:
    """Soft delete: the event stays in the legal record with who, when and why."""
    evenement, dossier = _verrouiller_evenement(evenement)
    exiger(droits.peut_supprimer(par, evenement))
    _verifier_version(evenement, version)
    raison = _verifier_raison(raison, "La raison de la suppression est obligatoire.")
    evenement.supprime_le = timezone.now()
    evenement.supprime_par = par
    evenement.raison_suppression = raison
    _enregistrer_revision(evenement, par, f"Suppression : {raison}")
    recalculer_dossier(dossier, par=par, depuis=(evenement.date, evenement.rang))
    pipeline.corriger(evenement, supprime=True)
    return evenement


@transaction.atomic
def deplacer_evenement(*, evenement: Evenement, par, sens: str) -> Evenement:
    """Swap an event with its neighbour of the same date ("haut" = earlier)."""
    evenement, dossier = _verrouiller_evenement(evenement)
    exiger(droits.peut_modifier(par, evenement))
    memes_jour = dossier.evenements.actifs().filter(date=evenement.date)
    if sens == "haut":
        voisin = memes_jour.filter(rang__lt=evenement.rang).order_by("-rang", "-pk").first()
    else:
        voisin = memes_jour.filter(rang__gt=evenement.rang).order_by("rang", "pk").first()
    if voisin is None:
        raise ValidationError("Cet événement est déjà à cette extrémité de la journée.")
    evenement.rang, voisin.rang = voisin.rang, evenement.rang
    raison = "Ordre dans la journée modifié"
    evenement.modifie_le = timezone.now()
    evenement.modifie_par = par
    _enregistrer_revision(voisin, par, raison)
    _enregistrer_revision(evenement, par, raison)
    depuis = (evenement.date, min(evenement.rang, voisin.rang))
    recalculer_dossier(dossier, en_cours=evenement, par=par, depuis=depuis)
    return evenement


def appliquer_evenements_echus(aujourd_hui: datetime.date | None = None) -> int:
    """Daily job: replay the dossiers whose planned events have fallen due."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    # One filter() call: both conditions must hold for the same event.
    a_rejouer = (
        Dossier.objects.filter(
            Q(etat_calcule_le__isnull=True) | Q(evenements__date__gt=F("etat_calcule_le")),
            evenements__supprime_le__isnull=True,
            evenements__date__lte=aujourd_hui,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    total = 0
    for pk in list(a_rejouer):
        with transaction.atomic():
            recalculer_dossier(
                Dossier.objects.select_for_update().get(pk=pk), aujourd_hui=aujourd_hui
            )
        total += 1
    return total


def completer_reprises() -> int:
    """Replay the dossiers with events lacking a checkpoint (data loaded in bulk, or
    recorded before checkpoints existed): afterwards writes and the tab read from them."""
    a_completer = (
        Dossier.objects.filter(
            evenements__supprime_le__isnull=True, evenements__reprise__isnull=True
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    total = 0
    for pk in list(a_completer):
        with transaction.atomic():
            try:
                recalculer_dossier(Dossier.objects.select_for_update().get(pk=pk))
            except ValidationError:
                continue  # an illegal stored history stays as it is, for a person to fix
        total += 1
    return total
