"""The one way in for conventions and échéanciers: link a dossier, generate its échéances,
release or block them on events, and work out corrections.

Amounts are computed here from the rules (facturation.regles) and the hours
(facturation.heures); nobody types an échéance amount.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from dossiers.models import Dossier
from evenements.models import Effet, Evenement
from facturation import heures, regles
from facturation.argent import CENT, ZERO, arrondir, euros, taux_fr
from facturation.models import (
    Convention,
    Echeance,
    EtatEcheance,
    FinancementDossier,
    ModaliteEcheance,
)

Declencheur = ModaliteEcheance.Declencheur
DEJA_DEBLOQUEES = (EtatEcheance.A_FACTURER, EtatEcheance.FACTUREE, EtatEcheance.REGLEE)
FACTUREES = (EtatEcheance.FACTUREE, EtatEcheance.REGLEE)
EFFETS_INTERRUPTION = (Effet.ABANDON, Effet.RUPTURE)


# --- conventions ---


@dataclass(frozen=True)
class Regle:
    """What the échéancier check needs of a rule (also built from unsaved admin forms)."""

    libelle: str
    declencheur: str
    part_pourcentage: Decimal | None
    montant_fixe: Decimal | None


def verifier_modalites(tarification: str, prix: Decimal, modalites: list[Regle]) -> None:
    """Refuse an échéancier that does not add up, with the figure the user must fix."""
    if not modalites:
        raise ValidationError("Ajoutez au moins une modalité d'échéance.")
    if tarification == Convention.Tarification.TAUX_HORAIRE:
        if not any(m.declencheur == Declencheur.MENSUEL for m in modalites):
            raise ValidationError(
                "Une convention au taux horaire doit avoir une modalité mensuelle "
                "(heures réalisées)."
            )
        return
    if any(m.declencheur == Declencheur.MENSUEL for m in modalites):
        raise ValidationError(
            "Une modalité mensuelle n'est possible qu'avec une tarification au taux horaire."
        )
    total = ZERO
    for m in modalites:
        if m.montant_fixe is not None:
            total += (m.montant_fixe * CENT / prix) if prix else ZERO
        else:
            total += m.part_pourcentage or ZERO
    total = total.quantize(Decimal("0.01"))
    if total != CENT:
        quoi = "du forfait" if tarification == Convention.Tarification.FORFAIT else "du prix"
        raise ValidationError(
            f"Les modalités totalisent {taux_fr(total)} {quoi} ({euros(prix)}) : "
            "elles doivent totaliser 100 %."
        )


def verifier_convention(convention: Convention) -> None:
    verifier_modalites(
        convention.tarification,
        convention.prix,
        [
            Regle(m.libelle, m.declencheur, m.part_pourcentage, m.montant_fixe)
            for m in convention.modalites.all()
        ],
    )


def conventions_possibles(dossier: Dossier):
    return Convention.objects.filter(active=True, prestations=dossier.prestation).select_related(
        "financeur"
    )


def _verifier_lien(dossier: Dossier, convention: Convention, part: Decimal) -> None:
    erreurs: dict[str, list[str]] = {}
    if not convention.prestations.filter(pk=dossier.prestation_id).exists():
        erreurs.setdefault("convention", []).append(
            f"La convention {convention.numero} ne couvre pas la prestation "
            f"« {dossier.prestation} »."
        )
    if dossier.financeur_id and convention.financeur_id != dossier.financeur_id and part >= CENT:
        erreurs.setdefault("convention", []).append(
            f"La convention {convention.numero} est celle de {convention.financeur}, pas du "
            f"financeur du dossier ({dossier.financeur}). Pour un cofinancement, indiquez "
            "une part inférieure à 100 %."
        )
    dates = [d for d in (dossier.date_entree, dossier.date_sortie) if d] or [timezone.localdate()]
    hors = [d for d in dates if not convention.couvre(d)]
    if hors:
        erreurs.setdefault("convention", []).append(
            f"Le dossier ({', '.join(f'{d:%d/%m/%Y}' for d in hors)}) sort de la période de la "
            f"convention {convention.numero} (du {convention.date_debut:%d/%m/%Y} au "
            f"{convention.date_fin:%d/%m/%Y})."
        )
    if not convention.active:
        erreurs.setdefault("convention", []).append("Cette convention n'est plus active.")
    if not (Decimal("0") < part <= CENT):
        erreurs.setdefault("part", []).append("La part doit être comprise entre 0 et 100 %.")
    deja = dossier.financements.filter(actif=True)
    if deja.filter(convention=convention).exists():
        erreurs.setdefault("convention", []).append(
            "Ce dossier est déjà rattaché à cette convention."
        )
    total = (deja.aggregate(s=Sum("part"))["s"] or ZERO) + part
    if total > CENT:
        erreurs.setdefault("part", []).append(
            f"Les parts des financeurs totaliseraient {taux_fr(total)} : 100 % au plus."
        )
    if erreurs:
        raise ValidationError(erreurs)


@transaction.atomic
def lier_convention(
    *, dossier: Dossier, convention: Convention, par, part: Decimal = CENT
) -> FinancementDossier:
    """Link a dossier to a convention (for a share) and generate its échéancier."""
    dossier = Dossier.objects.select_for_update().select_related("prestation").get(pk=dossier.pk)
    part = Decimal(part)
    _verifier_lien(dossier, convention, part)
    financement = FinancementDossier(dossier=dossier, convention=convention, part=part)
    financement._history_user = par
    financement._change_reason = "Rattachement à la convention"
    financement.save()
    generer_echeances(financement, par=par)
    return financement


def montant_prevu(modalite: ModaliteEcheance, financement: FinancementDossier) -> Decimal:
    convention = financement.convention
    brut = regles.montant_modalite(
        prix=convention.prix,
        part_pourcentage=modalite.part_pourcentage,
        montant_fixe=modalite.montant_fixe,
    )
    return regles.quote_part(brut, financement.part)


def _libelle(modalite: ModaliteEcheance, financement: FinancementDossier) -> str:
    libelle = f"{modalite.libelle} ({modalite.quotite})"
    if financement.part < CENT:
        libelle += f" — part {taux_fr(financement.part)}"
    return libelle


def _sauver(echeance: Echeance, raison: str, par=None) -> None:
    echeance._history_user = par
    echeance._change_reason = raison[:100]
    echeance.save()


def generer_echeances(financement: FinancementDossier, *, par=None, action=None) -> list:
    """The échéancier of one financing: one 'prévue' échéance per rule (idempotent).

    Monthly rules produce their échéances month by month (generer_mensuelles).
    """
    existantes = set(financement.echeances.values_list("modalite_id", flat=True))
    convention = financement.convention
    modalites = [
        m
        for m in convention.modalites.all()
        if m.declencheur != Declencheur.MENSUEL and m.pk not in existantes
    ]
    montants = [montant_prevu(m, financement) for m in modalites]
    if not existantes and not convention.est_horaire:
        # The échéancier of a forfait adds up to the financeur's share of it, to the cent.
        montants = regles.ajuster_au_total(
            montants, regles.quote_part(convention.prix, financement.part)
        )
    creees = []
    for modalite, montant in zip(modalites, montants, strict=True):
        echeance = Echeance(
            dossier_id=financement.dossier_id,
            financement=financement,
            modalite=modalite,
            ordre=modalite.ordre,
            libelle=_libelle(modalite, financement),
            montant=montant,
            action=action,
        )
        _sauver(echeance, "Génération de l'échéancier", par)
        creees.append(echeance)
    return creees


# --- what an event does to the échéancier ---


def _phase_pk(evenement: Evenement) -> int | None:
    champ = evenement.type_evenement.champ_phase
    if champ is None:
        return None
    valeur = (evenement.valeurs or {}).get(champ.code)
    return int(valeur) if valeur not in (None, "") else None


def _correspond(modalite: ModaliteEcheance, type_evenement, phase_pk) -> bool:
    if modalite.declencheur == Declencheur.FIN_PARCOURS:
        return type_evenement.effet == Effet.SORTIE_POSITIVE
    if modalite.declencheur != Declencheur.EVENEMENT:
        return False
    if modalite.type_evenement_id != type_evenement.pk:
        return False
    return modalite.phase_id is None or phase_pk is None or modalite.phase_id == phase_pk


def echeances_debloquables(dossier: Dossier, type_evenement, phase_pk=None) -> list[Echeance]:
    """Per financing, the first 'prévue' échéance of each matching rule kind.

    Two "Validation d'étape" rules are released by two validations, one after the other;
    a "fin de parcours" rule is released by the positive exit.
    """
    prevues = (
        Echeance.objects.filter(
            dossier=dossier,
            etat=EtatEcheance.PREVUE,
            financement__actif=True,
            modalite__isnull=False,
        )
        .select_related("modalite", "financement__convention__financeur")
        .order_by("financement_id", "ordre", "pk")
    )
    choisies, vues = [], set()
    for echeance in prevues:
        modalite = echeance.modalite
        if not _correspond(modalite, type_evenement, phase_pk):
            continue
        cle = (echeance.financement_id, modalite.declencheur, modalite.type_evenement_id)
        if modalite.declencheur == Declencheur.EVENEMENT and cle in vues:
            continue
        vues.add(cle)
        choisies.append(echeance)
    return choisies


def debloquer_pour(evenement: Evenement, action=None) -> list[Echeance]:
    echeances = echeances_debloquables(
        evenement.dossier, evenement.type_evenement, _phase_pk(evenement)
    )
    raison = f"{evenement.type_evenement} du {evenement.date:%d/%m/%Y}"
    for echeance in echeances:
        echeance.debloquer(evenement=evenement, raison=raison)
        echeance.action = action
        _sauver(echeance, f"Débloquée : {raison}")
    if evenement.type_evenement.effet == Effet.SORTIE_POSITIVE:
        echeances += generer_mensuelles_dossier(evenement.dossier, jusqu_au=evenement.date)
    return echeances


def deja_debloque(financement: FinancementDossier) -> Decimal:
    total = financement.echeances.filter(etat__in=DEJA_DEBLOQUEES).aggregate(s=Sum("montant"))
    return arrondir(total["s"] or ZERO)


@dataclass
class Realise:
    financement: FinancementDossier
    heures_realisees: Decimal
    heures_prevues: Decimal | None
    du: Decimal
    deja: Decimal
    solde: Decimal


def calculer_realise(financement: FinancementDossier, au: datetime.date) -> Realise:
    """What an interrupted parcours is still owed, per the convention's rule."""
    convention = financement.convention
    dossier = financement.dossier
    faites = heures.heures_realisees(dossier, au=au)
    prevues = heures.heures_prevues(dossier, convention)
    deja = deja_debloque(financement)
    if convention.est_horaire:
        du = deja + regles.quote_part(
            regles.montant_horaire(
                heures=heures_non_facturees(financement, faites), taux_horaire=convention.prix
            ),
            financement.part,
        )
    else:
        du = regles.quote_part(
            regles.du_apres_interruption(
                regle=convention.regle_interruption,
                prix=convention.prix,
                heures_realisees=faites,
                heures_prevues=prevues,
            ),
            financement.part,
        )
    if convention.regle_interruption == Convention.Interruption.RIEN:
        du = deja
    return Realise(financement, faites, prevues, du, deja, regles.solde_realise(du, deja))


def heures_non_facturees(financement: FinancementDossier, faites: Decimal) -> Decimal:
    comptees = financement.echeances.filter(
        etat__in=DEJA_DEBLOQUEES, heures__isnull=False
    ).aggregate(s=Sum("heures"))["s"]
    return max(faites - (comptees or ZERO), ZERO)


def bloquer_pour(evenement: Evenement, action=None) -> list[Echeance]:
    """Abandon or rupture: block what is not due; add the 'réalisé' échéance if owed."""
    dossier = evenement.dossier
    raison = f"{evenement.type_evenement} du {evenement.date:%d/%m/%Y}"
    bloquees = []
    for echeance in Echeance.objects.filter(dossier=dossier, etat=EtatEcheance.PREVUE):
        echeance.bloquer(evenement=evenement, raison=raison)
        echeance.action = action
        _sauver(echeance, f"Bloquée : {raison}")
        bloquees.append(echeance)
    for financement in dossier.financements.filter(actif=True).select_related(
        "convention", "dossier__prestation"
    ):
        realise = calculer_realise(financement, evenement.date)
        if realise.solde <= 0:
            continue
        echeance = Echeance(
            dossier=dossier,
            financement=financement,
            ordre=999,
            libelle=_libelle_realise(realise),
            montant=realise.solde,
            heures=realise.heures_realisees if financement.convention.est_horaire else None,
            realise=True,
            evenement=evenement,
            action=action,
            raison=raison,
            etat=EtatEcheance.A_FACTURER,  # created already due
        )
        _sauver(echeance, f"Réalisé : {raison}")
        bloquees.append(echeance)
    return bloquees


def _libelle_realise(realise: Realise) -> str:
    convention = realise.financement.convention
    if convention.est_horaire:
        return f"Heures réalisées non facturées ({realise.heures_realisees.normalize():f} h)"
    regle = convention.get_regle_interruption_display().split(" (")[0]
    prevues = f"{realise.heures_prevues.normalize():f}" if realise.heures_prevues else "?"
    return (
        f"Réalisé à l'interruption : {realise.heures_realisees.normalize():f} h / {prevues} h "
        f"— {regle}"
    )


# --- hourly conventions: one échéance per month of hours ---


def _mois(date: datetime.date) -> datetime.date:
    return date.replace(day=1)


def _fin_du_mois(mois: datetime.date) -> datetime.date:
    suivant = (mois.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return suivant - datetime.timedelta(days=1)


def generer_mensuelles_dossier(dossier: Dossier, jusqu_au: datetime.date) -> list[Echeance]:
    """Monthly échéances of hours réalisées, for every month ended by `jusqu_au` (idempotent)."""
    creees = []
    financements = dossier.financements.filter(
        actif=True, convention__tarification=Convention.Tarification.TAUX_HORAIRE
    ).select_related("convention")
    for financement in financements:
        modalite = financement.convention.modalites.filter(declencheur=Declencheur.MENSUEL).first()
        if modalite is None or dossier.date_entree is None:
            continue
        faits = set(financement.echeances.exclude(mois=None).values_list("mois", flat=True))
        mois = _mois(dossier.date_entree)
        fin = min(jusqu_au, dossier.date_sortie or jusqu_au)
        while mois <= fin:
            dernier_jour = min(_fin_du_mois(mois), fin)
            complet = dernier_jour == _fin_du_mois(mois) or dossier.date_sortie == dernier_jour
            if mois not in faits and complet:
                faites = heures.heures_realisees(dossier, du=mois, au=dernier_jour)
                if faites > 0:
                    creees.append(_mensuelle(financement, modalite, mois, faites))
            mois = _fin_du_mois(mois) + datetime.timedelta(days=1)
    return creees


def _mensuelle(financement, modalite, mois, faites) -> Echeance:
    convention = financement.convention
    echeance = Echeance(
        dossier_id=financement.dossier_id,
        financement=financement,
        modalite=modalite,
        ordre=modalite.ordre,
        mois=mois,
        heures=faites,
        libelle=f"{modalite.libelle} — {mois:%m/%Y} : {faites.normalize():f} h × "
        f"{euros(convention.prix)}",
        montant=regles.quote_part(
            regles.montant_horaire(heures=faites, taux_horaire=convention.prix), financement.part
        ),
        raison=f"Heures réalisées en {mois:%m/%Y}",
        etat=EtatEcheance.A_FACTURER,  # the month has ended: due
    )
    _sauver(echeance, echeance.raison)
    return echeance


def generer_mensuelles(aujourd_hui: datetime.date | None = None) -> int:
    """Monthly job: the hourly échéances of the months that have ended."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    fin_mois_precedent = _mois(aujourd_hui) - datetime.timedelta(days=1)
    total = 0
    dossiers = Dossier.objects.filter(
        financements__actif=True,
        financements__convention__tarification=Convention.Tarification.TAUX_HORAIRE,
        date_entree__isnull=False,
    ).distinct()
    for dossier in dossiers:
        with transaction.atomic():
            dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
            total += len(generer_mensuelles_dossier(dossier, fin_mois_precedent))
    return total


@transaction.atomic
def annuler_echeance(*, echeance: Echeance, par, raison: str) -> Echeance:
    """A gestionnaire cancels an échéance not invoiced (e.g. the financeur refused it)."""
    from dossiers.droits import exiger

    exiger(par is not None and par.has_perm("facturation.facturer"))
    if not raison.strip():
        raise ValidationError({"raison": ["Indiquez la raison de l'annulation."]})
    echeance = Echeance.objects.select_for_update().get(pk=echeance.pk)
    if echeance.etat not in (EtatEcheance.PREVUE, EtatEcheance.A_FACTURER, EtatEcheance.BLOQUEE):
        raise ValidationError(
            f"L'échéance est « {echeance.get_etat_display()} » : seule une échéance non "
            "facturée peut être annulée (sinon, émettez un avoir)."
        )
    echeance.annuler(raison=raison.strip())
    _sauver(echeance, f"Annulée : {raison.strip()}", par)
    return echeance
