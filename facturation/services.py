"""The one way in for invoices, credit notes (avoirs) and payments (règlements).

A draft is made from échéances à facturer; validation numbers it (gapless per series and
year, under a row lock on the counter) and freezes it; from then on only an avoir corrects it.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dossiers.droits import exiger
from facturation import regles
from facturation.argent import ZERO, arrondir, euros
from facturation.models import (
    Affectation,
    Compteur,
    Echeance,
    EtatEcheance,
    EtatFacture,
    Facture,
    LigneFacture,
    Reglement,
)
from facturation.vendeur import manques_vendeur, vendeur

TAUX_TVA_NORMAL = Decimal("20.00")
EXONERATION = "Exonération de TVA, art. 261-4-4° a du CGI"
EMISES = (EtatFacture.VALIDEE, EtatFacture.ENVOYEE)


def exiger_gestion(par) -> None:
    exiger(par is not None and par.has_perm("facturation.facturer"))


def _sauver(objet, par, raison: str) -> None:
    objet._history_user = par
    objet._change_reason = raison[:100]
    objet.save()


def _tva() -> tuple[str, Decimal]:
    return ("E", ZERO) if vendeur()["exoneree_tva"] else ("S", TAUX_TVA_NORMAL)


def _libelle_dossier(echeance: Echeance) -> str:
    dossier = echeance.dossier
    return f"{dossier.beneficiaire} — {dossier.prestation} (dossier n° {dossier.pk})"


def _date_echeance(echeance: Echeance) -> datetime.date | None:
    if echeance.mois:
        return echeance.mois
    return echeance.evenement.date if echeance.evenement_id else None


# --- invoices ---


@transaction.atomic
def facturer(*, echeances, par) -> list[Facture]:
    """Draft invoices from échéances à facturer: one per financeur, lines per échéance."""
    exiger_gestion(par)
    ids = [e.pk for e in echeances]
    if not ids:
        raise ValidationError("Choisissez au moins une échéance à facturer.")
    verrouillees = list(
        Echeance.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related(
            "financement__convention__financeur",
            "dossier__beneficiaire",
            "dossier__prestation",
            "evenement",
        )
        .order_by("dossier_id", "ordre", "pk")
    )
    pas_dues = [e for e in verrouillees if e.etat != EtatEcheance.A_FACTURER]
    if pas_dues:
        raise ValidationError(
            "Ces échéances ne sont plus à facturer : "
            + ", ".join(f"« {e.libelle} » ({e.get_etat_display()})" for e in pas_dues)
            + "."
        )
    par_financeur = defaultdict(list)
    for echeance in verrouillees:
        par_financeur[echeance.financement.convention.financeur].append(echeance)
    categorie, taux = _tva()
    factures = []
    for financeur, lot in par_financeur.items():
        dates = [d for d in map(_date_echeance, lot) if d]
        facture = Facture(
            nature=Facture.Nature.FACTURE,
            financeur=financeur,
            cree_par=par,
            periode_debut=min(dates) if dates else None,
            periode_fin=max(dates) if dates else None,
        )
        _sauver(facture, par, "Brouillon créé depuis les échéances")
        for ordre, echeance in enumerate(lot, start=1):
            LigneFacture.objects.create(
                facture=facture,
                echeance=echeance,
                ordre=ordre,
                libelle=echeance.libelle,
                dossier_libelle=_libelle_dossier(echeance),
                quantite=Decimal("1"),
                prix_unitaire=echeance.montant,
                montant_ht=echeance.montant,
                taux_tva=taux,
                categorie_tva=categorie,
            )
            echeance.facturer()
            _sauver(echeance, par, f"Facturée (brouillon n° {facture.pk})")
        _totaliser(facture)
        _sauver(facture, par, "Totaux calculés")
        factures.append(facture)
    return factures


def ventilation_tva(lignes) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(catégorie, taux, base HT, TVA) per VAT category and rate: the invoice's VAT breakdown."""
    bases: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for ligne in lignes:
        bases[(ligne.categorie_tva, Decimal(ligne.taux_tva))] += Decimal(ligne.montant_ht)
    return [
        (categorie, taux, arrondir(base), regles.tva(base, taux))
        for (categorie, taux), base in sorted(bases.items())
    ]


def _totaliser(facture: Facture) -> None:
    lignes = list(facture.lignes.all())
    ventilation = ventilation_tva(lignes)
    facture.total_ht = arrondir(sum((Decimal(ligne.montant_ht) for ligne in lignes), ZERO))
    facture.total_tva = arrondir(sum((v[3] for v in ventilation), ZERO))
    facture.total_ttc = facture.total_ht + facture.total_tva


def allouer_numero(nature: str, annee: int) -> str:
    """Next number of the series, in the caller's transaction: a rollback returns it."""
    serie = Facture.SERIES[nature]
    Compteur.objects.bulk_create([Compteur(serie=serie, annee=annee)], ignore_conflicts=True)
    compteur = Compteur.objects.select_for_update().get(serie=serie, annee=annee)
    compteur.dernier += 1
    compteur.save(update_fields=["dernier"])
    return f"{serie}-{annee}-{compteur.dernier:05d}"


def _acheteur(financeur) -> dict:
    return {
        "raison_sociale": financeur.raison_sociale,
        "siren": financeur.siren,
        "numero_tva": financeur.numero_tva,
        "adresse": financeur.adresse,
        "code_postal": financeur.code_postal,
        "ville": financeur.ville,
        "code_service": financeur.code_service,
        "email": (financeur.emails or [""])[0],
    }


def _verifier_parties(facture: Facture, donnees_vendeur: dict) -> None:
    manques = manques_vendeur(donnees_vendeur)
    if manques:
        raise ValidationError(
            "Complétez les informations de l'organisme avant de valider : "
            + ", ".join(manques)
            + "."
        )
    financeur = facture.financeur
    manques = [
        libelle
        for champ, libelle in (
            ("siren", "le SIREN"),
            ("adresse", "l'adresse"),
            ("code_postal", "le code postal"),
            ("ville", "la ville"),
        )
        if not getattr(financeur, champ)
    ]
    if manques:
        raise ValidationError(
            f"Complétez la fiche du financeur {financeur} avant de valider : "
            + ", ".join(manques)
            + "."
        )


@transaction.atomic
def valider_facture(*, facture: Facture, par, aujourd_hui: datetime.date | None = None) -> Facture:
    """Number and freeze a draft; an avoir also takes its échéances off the invoiced ones."""
    exiger_gestion(par)
    facture = Facture.objects.select_for_update().select_related("financeur").get(pk=facture.pk)
    if facture.etat != EtatFacture.BROUILLON:
        raise ValidationError(
            f"{facture} est déjà {facture.get_etat_display().lower()} : rien n'a été changé."
        )
    lignes = list(facture.lignes.select_related("echeance"))
    if not lignes:
        raise ValidationError("Une facture sans ligne ne peut pas être validée.")
    _totaliser(facture)
    if facture.total_ttc <= 0:
        raise ValidationError("Le total doit être positif.")
    donnees_vendeur = vendeur()
    _verifier_parties(facture, donnees_vendeur)
    if facture.est_avoir:
        _verifier_avoir(facture.facture_origine, facture.total_ttc, sauf=facture)
    aujourd_hui = aujourd_hui or timezone.localdate()
    facture.numero = allouer_numero(facture.nature, aujourd_hui.year)
    facture.date_emission = aujourd_hui
    facture.date_echeance = aujourd_hui + datetime.timedelta(
        days=donnees_vendeur["conditions_paiement_jours"]
    )
    facture.vendeur = donnees_vendeur
    facture.acheteur = _acheteur(facture.financeur)
    facture.validee_le = timezone.now()
    facture.validee_par = par
    facture.valider()
    _sauver(facture, par, f"Validée : {facture.numero}")
    if facture.est_avoir:
        for ligne in lignes:
            echeance = ligne.echeance
            if echeance is not None and echeance.etat in (
                EtatEcheance.FACTUREE,
                EtatEcheance.REGLEE,
            ):
                echeance.crediter(raison=f"Avoir {facture.numero}")
                _sauver(echeance, par, f"Créditée par l'avoir {facture.numero}")
    return facture


@transaction.atomic
def marquer_envoyee(*, facture: Facture, par) -> Facture:
    exiger_gestion(par)
    facture = Facture.objects.select_for_update().get(pk=facture.pk)
    if facture.etat != EtatFacture.VALIDEE:
        raise ValidationError(f"{facture} doit être validée (et pas encore envoyée).")
    facture.envoyer()
    facture.envoyee_le = timezone.now()
    _sauver(facture, par, "Envoyée")
    return facture


@transaction.atomic
def abandonner_brouillon(*, facture: Facture, par, raison: str = "") -> Facture:
    """A draft is never deleted: it is abandoned and its échéances are à facturer again."""
    exiger_gestion(par)
    facture = Facture.objects.select_for_update().get(pk=facture.pk)
    if facture.etat != EtatFacture.BROUILLON:
        raise ValidationError(
            f"{facture} est validée : elle ne peut plus être abandonnée ; émettez un avoir."
        )
    for ligne in facture.lignes.select_related("echeance"):
        if (
            ligne.echeance
            and ligne.echeance.etat == EtatEcheance.FACTUREE
            and not (facture.est_avoir)
        ):
            ligne.echeance.retirer_du_brouillon()
            _sauver(ligne.echeance, par, "Brouillon de facture abandonné")
    facture.abandonner()
    facture.motif = raison or facture.motif
    _sauver(facture, par, f"Brouillon abandonné {raison}".strip())
    return facture


def modifier_brouillon(*, facture: Facture, par, **champs) -> Facture:
    """Only a draft changes; a validated invoice is corrected by an avoir."""
    exiger_gestion(par)
    with transaction.atomic():
        facture = Facture.objects.select_for_update().get(pk=facture.pk)
        if facture.etat != EtatFacture.BROUILLON:
            raise ValidationError(
                f"{facture} est validée : elle ne peut plus être modifiée. "
                "Pour la corriger, émettez un avoir."
            )
        for nom, valeur in champs.items():
            if nom not in ("periode_debut", "periode_fin", "motif"):
                raise ValidationError(f"Le champ « {nom} » ne se modifie pas.")
            setattr(facture, nom, valeur)
        _sauver(facture, par, "Brouillon modifié")
    return facture


# --- avoirs ---


def credit_disponible(facture: Facture, sauf: Facture | None = None) -> Decimal:
    """What may still be credited: the invoice total less the avoirs already issued."""
    avoirs = facture.avoirs.exclude(etat=EtatFacture.ABANDONNEE)
    if sauf is not None:
        avoirs = avoirs.exclude(pk=sauf.pk)
    return arrondir(facture.total_ttc - sum((a.total_ttc for a in avoirs), ZERO))


def _verifier_avoir(origine: Facture | None, montant: Decimal, sauf=None) -> None:
    if origine is None or origine.est_avoir or origine.etat not in EMISES:
        raise ValidationError("Un avoir se rapporte à une facture validée.")
    disponible = credit_disponible(origine, sauf=sauf)
    if montant > disponible:
        raise ValidationError(
            f"L'avoir ({euros(montant)}) dépasse ce qui reste à créditer sur "
            f"{origine.numero} ({euros(disponible)})."
        )


@transaction.atomic
def proposer_avoir(
    *, facture: Facture, echeances=None, par=None, motif: str, verifier_droits: bool = True
) -> Facture:
    """A draft avoir for the whole invoice or for some of its échéances (exact amounts)."""
    if verifier_droits:
        exiger_gestion(par)
    facture = Facture.objects.select_for_update().get(pk=facture.pk)
    lignes = list(facture.lignes.all())
    if echeances is not None:
        ids = {e.pk for e in echeances}
        lignes = [ligne for ligne in lignes if ligne.echeance_id in ids]
    if not lignes:
        raise ValidationError("Aucune ligne de cette facture n'est concernée par l'avoir.")
    montant_ht = sum((Decimal(ligne.montant_ht) for ligne in lignes), ZERO)
    montant = montant_ht + sum((v[3] for v in ventilation_tva(lignes)), ZERO)
    _verifier_avoir(facture, montant)
    avoir = Facture(
        nature=Facture.Nature.AVOIR,
        financeur=facture.financeur,
        facture_origine=facture,
        periode_debut=facture.periode_debut,
        periode_fin=facture.periode_fin,
        motif=motif,
        cree_par=par,
    )
    _sauver(avoir, par, f"Avoir proposé : {motif}")
    for ordre, ligne in enumerate(lignes, start=1):
        LigneFacture.objects.create(
            facture=avoir,
            echeance=ligne.echeance,
            ordre=ordre,
            libelle=f"Annulation : {ligne.libelle}",
            dossier_libelle=ligne.dossier_libelle,
            quantite=ligne.quantite,
            prix_unitaire=ligne.prix_unitaire,
            montant_ht=ligne.montant_ht,
            taux_tva=ligne.taux_tva,
            categorie_tva=ligne.categorie_tva,
        )
    _totaliser(avoir)
    _sauver(avoir, par, "Totaux calculés")
    return avoir


# --- règlements ---


def _mettre_a_jour_echeances(facture: Facture, par) -> None:
    """Échéances follow their invoice's payment status (derived, kept in step here)."""
    payee = facture.reste_du() <= 0 and facture.montant_regle() > 0
    for ligne in facture.lignes.select_related("echeance"):
        echeance = ligne.echeance
        if echeance is None:
            continue
        if payee and echeance.etat == EtatEcheance.FACTUREE:
            echeance.regler()
            _sauver(echeance, par, f"Réglée ({facture.numero})")
        elif not payee and echeance.etat == EtatEcheance.REGLEE:
            echeance.deregler()
            _sauver(echeance, par, f"Plus entièrement réglée ({facture.numero})")


@transaction.atomic
def enregistrer_reglement(
    *,
    financeur,
    date: datetime.date,
    montant: Decimal,
    affectations: list[tuple[Facture, Decimal]],
    par,
    mode: str = Reglement.Mode.VIREMENT,
    reference: str = "",
) -> Reglement:
    """A payment, matched to one or several invoices of the financeur; never over what is due."""
    exiger_gestion(par)
    montant = arrondir(montant or ZERO)
    erreurs: dict[str, list[str]] = defaultdict(list)
    if montant <= 0:
        erreurs["montant"].append("Le montant doit être positif.")
    affectations = [(f, arrondir(m or ZERO)) for f, m in affectations if m]
    if not affectations:
        erreurs["affectations"].append("Indiquez au moins une facture réglée et son montant.")
    total = sum((m for _, m in affectations), ZERO)
    if total > montant:
        erreurs["montant"].append(
            f"Les montants affectés ({euros(total)}) dépassent le règlement ({euros(montant)})."
        )
    verrouillees = {
        f.pk: f
        for f in Facture.objects.select_for_update().filter(pk__in=[f.pk for f, _ in affectations])
    }
    for facture, part in affectations:
        facture = verrouillees[facture.pk]
        if facture.financeur_id != financeur.pk:
            erreurs["affectations"].append(f"{facture} n'est pas une facture de {financeur}.")
        elif facture.est_avoir or facture.etat not in EMISES:
            erreurs["affectations"].append(f"{facture} n'est pas une facture émise.")
        elif part <= 0:
            erreurs["affectations"].append(f"Montant affecté à {facture} : positif.")
        elif part > facture.reste_du():
            erreurs["affectations"].append(
                f"{euros(part)} dépasse le reste dû de {facture.numero} "
                f"({euros(facture.reste_du())})."
            )
    if erreurs:
        raise ValidationError(dict(erreurs))
    reglement = Reglement(
        financeur=financeur,
        date=date,
        montant=montant,
        mode=mode,
        reference=reference.strip(),
        cree_par=par,
    )
    _sauver(reglement, par, "Règlement enregistré")
    for facture, part in affectations:
        facture = verrouillees[facture.pk]
        _sauver(
            Affectation(reglement=reglement, facture=facture, montant=part),
            par,
            f"Affecté à {facture.numero}",
        )
        _mettre_a_jour_echeances(facture, par)
    return reglement
