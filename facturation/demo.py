"""Demo billing: conventions for the demo financeurs, dossiers linked before their events
(so the pipeline releases and blocks their échéances), then invoices, an avoir and payments.
Called by `charger_demo`; everything goes through the services."""

import datetime
from decimal import Decimal

from django.utils import timezone

from documents.models import Organisation
from facturation import echeancier, services
from facturation.models import Convention, Echeance, EtatEcheance, ModaliteEcheance

ACHETEURS = [
    ("130005481", "101 cours Charlemagne", "69002", "Lyon", "SERVICE-FORMATION"),
    ("130005200", "1 avenue du Docteur Gley", "75020", "Paris", ""),
]


def preparer(*, financeurs, prestations, types) -> list[Convention]:
    """The seller's and buyers' billing identity, and one convention per financeur."""
    organisation = Organisation.courante()
    for champ, valeur in {
        "raison_sociale": "Parcours Formation Démo",
        "siret": "12345678900012",
        "numero_tva": "FR32123456789",
        "numero_declaration_activite": "84691234569",
        "adresse": "12 rue de la République",
        "code_postal": "69002",
        "ville": "Lyon",
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
    }.items():
        if (
            not getattr(organisation, champ)
            or champ == "raison_sociale"
            and (organisation.raison_sociale == "Organisme")
        ):
            setattr(organisation, champ, valeur)
    organisation.save()
    for financeur, (siren, adresse, cp, ville, service) in zip(financeurs, ACHETEURS, strict=False):
        if not financeur.siren:
            financeur.siren, financeur.adresse = siren, adresse
            financeur.code_postal, financeur.ville, financeur.code_service = cp, ville, service
            financeur.save()
    debut = timezone.localdate().replace(month=1, day=1) - datetime.timedelta(days=365)
    fin = debut + datetime.timedelta(days=3 * 365)
    conventions = []
    for rang, financeur in enumerate(financeurs):
        forfait = rang == 0
        convention, cree = Convention.objects.get_or_create(
            numero=f"DEMO-{debut.year}-{rang + 1:02d}",
            defaults={
                "financeur": financeur,
                "intitule": "Parcours accompagnés" if forfait else "Parcours CPF",
                "date_debut": debut,
                "date_fin": fin,
                "tarification": "forfait",
                "prix": Decimal("2800") if forfait else Decimal("1800"),
                "regle_interruption": "prorata" if forfait else "cpf",
                "heures_financees": Decimal("120") if forfait else Decimal("60"),
                "montant_previsionnel": Decimal("84000"),
            },
        )
        if cree:
            convention.prestations.set(prestations)
            regles = (
                [
                    ("Entrée", Decimal("30"), "evenement", types["entree"]),
                    ("Validation d'étape", Decimal("40"), "evenement", types["validation-etape"]),
                    ("Fin de parcours", Decimal("30"), "fin_parcours", None),
                ]
                if forfait
                else [
                    ("Entrée", Decimal("50"), "evenement", types["entree"]),
                    ("Fin de parcours", Decimal("50"), "fin_parcours", None),
                ]
            )
            for ordre, (libelle, part, declencheur, type_evenement) in enumerate(regles, 1):
                ModaliteEcheance.objects.create(
                    convention=convention,
                    ordre=ordre,
                    libelle=libelle,
                    part_pourcentage=part,
                    declencheur=declencheur,
                    type_evenement=type_evenement,
                )
            echeancier.verifier_convention(convention)
        conventions.append(convention)
    return conventions


def rattacher(dossier, *, conventions, par) -> None:
    """Link a new dossier to its financeur's convention (before any event)."""
    for convention in conventions:
        if convention.financeur_id == dossier.financeur_id:
            echeancier.lier_convention(dossier=dossier, convention=convention, par=par)
            return


def factures(*, gestionnaire) -> str:
    """Invoices for what the events released: validated, one sent and paid, one partly paid,
    one credited by an avoir, one left as a draft; some échéances stay à facturer."""
    aujourd_hui = timezone.localdate()
    a_facturer = list(
        Echeance.objects.filter(etat=EtatEcheance.A_FACTURER)
        .select_related("financement__convention")
        .order_by("financement__convention_id", "dossier_id", "ordre")
    )
    if not a_facturer:
        return "aucune échéance à facturer"
    refusee = a_facturer.pop()
    echeancier.annuler_echeance(
        echeance=refusee, par=gestionnaire, raison="Refusée par le financeur (démonstration)"
    )
    lots = [a_facturer[i : i + 4] for i in range(0, min(len(a_facturer) - 3, 20), 4)]
    emises = []
    for numero, lot in enumerate(lots):
        for brouillon in services.facturer(echeances=lot, par=gestionnaire):
            if numero == len(lots) - 1:
                continue  # the last one stays a draft
            emises.append(services.valider_facture(facture=brouillon, par=gestionnaire))
    for rang, facture in enumerate(emises):
        if rang % 4 == 0:
            services.marquer_envoyee(facture=facture, par=gestionnaire)
            services.enregistrer_reglement(
                financeur=facture.financeur,
                date=aujourd_hui,
                montant=facture.total_ttc,
                affectations=[(facture, facture.total_ttc)],
                par=gestionnaire,
                reference=f"VIR-{facture.numero}",
            )
        elif rang % 4 == 1:
            services.marquer_envoyee(facture=facture, par=gestionnaire)
            partiel = (facture.total_ttc / 2).quantize(Decimal("0.01"))
            services.enregistrer_reglement(
                financeur=facture.financeur,
                date=aujourd_hui,
                montant=partiel,
                affectations=[(facture, partiel)],
                par=gestionnaire,
                reference=f"VIR-{facture.numero}-1",
            )
        elif rang % 4 == 2:
            ligne = facture.lignes.select_related("echeance").first()
            avoir = services.proposer_avoir(
                facture=facture,
                echeances=[ligne.echeance],
                par=gestionnaire,
                motif="Étape facturée par erreur (démonstration)",
            )
            services.valider_facture(facture=avoir, par=gestionnaire)
    return f"{len(emises)} factures validées, 1 brouillon, des avoirs et des règlements"
