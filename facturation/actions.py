"""The billing action kinds of the pipeline: release, block, generate; and their corrections.

Each is a Nature (evenements.natures) registered in FacturationConfig.ready(). `executer`
runs after commit in a worker; a correction row (`corrige` set) carries out the compensation
a user confirmed: undo what the original action did, then apply the edited event again.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef

from dossiers.models import Dossier
from evenements.models import ActionDeclenchee, Effet, Evenement
from evenements.natures import ActionIgnoree
from evenements.preparees import Preparee
from facturation import echeancier
from facturation.argent import euros
from facturation.models import Echeance, EtatEcheance, FinancementDossier

FACTUREES = (EtatEcheance.FACTUREE, EtatEcheance.REGLEE)
# Asked by every recording of a type with billing actions: compiled once per process.
_CONVENTION_ACTIVE = Preparee(
    lambda pk: FinancementDossier.objects.filter(dossier_id=pk, actif=True).values_list("pk")[:1]
)


def _evenement(action: ActionDeclenchee) -> Evenement:
    return Evenement.objects.select_related(
        "type_evenement", "dossier__prestation", "dossier__beneficiaire"
    ).get(pk=action.evenement_id)


def _liste(echeances) -> str:
    return " ; ".join(f"« {e.libelle} » : {euros(e.montant)}" for e in echeances)


def _factures_de(echeance: Echeance):
    from facturation.models import EtatFacture

    return [
        ligne.facture
        for ligne in echeance.lignes.select_related("facture").filter(
            facture__nature="facture", facture__etat__in=[EtatFacture.VALIDEE, EtatFacture.ENVOYEE]
        )
    ]


class _NatureFacturation:
    parametres = ""

    def concerne(self, dossier: Dossier) -> bool:
        """Billing only concerns dossiers linked to a convention: others get no row."""
        return bool(_CONVENTION_ACTIVE.lignes(dossier.pk))

    def concerne_sql(self) -> Exists:
        """The same test, asked by a recording within its read of the last event."""
        return Exists(FinancementDossier.objects.filter(dossier_id=OuterRef("pk"), actif=True))

    def _faire(self, evenement: Evenement, action: ActionDeclenchee) -> list[Echeance]:
        raise NotImplementedError

    def executer(self, action: ActionDeclenchee) -> str:
        with transaction.atomic():
            evenement = _evenement(action)
            Dossier.objects.select_for_update().get(pk=evenement.dossier_id)
            if action.corrige_id is not None:
                return self._compenser(action, evenement)
            if not evenement.dossier.financements.filter(actif=True).exists():
                raise ActionIgnoree("Le dossier n'est rattaché à aucune convention.")
            echeances = self._faire(evenement, action)
        return self._resultat(echeances)

    def _resultat(self, echeances) -> str:
        raise NotImplementedError

    # --- corrections ---

    def compensation(self, action: ActionDeclenchee) -> str:
        """What confirming the correction will do, with amounts (nothing done yet)."""
        etapes = []
        for echeance in action.echeances.select_related("financement").order_by("pk"):
            if echeance.etat == EtatEcheance.A_FACTURER and echeance.realise:
                etapes.append(f"annuler « {echeance.libelle} » ({euros(echeance.montant)})")
            elif echeance.etat == EtatEcheance.A_FACTURER:
                etapes.append(
                    f"rebloquer « {echeance.libelle} » ({euros(echeance.montant)}), "
                    "qui redevient prévue"
                )
            elif echeance.etat == EtatEcheance.BLOQUEE:
                etapes.append(f"débloquer à nouveau « {echeance.libelle} » (prévue)")
            elif echeance.etat in FACTUREES:
                numeros = ", ".join(f.numero for f in _factures_de(echeance))
                etapes.append(
                    f"proposer un avoir de {euros(echeance.montant)} sur {numeros} "
                    f"(« {echeance.libelle} »)"
                )
        if not etapes:
            return "Aucune échéance à corriger"
        evenement = action.evenement
        suite = "" if evenement.est_supprime else " ; puis appliquer l'événement modifié"
        return "Corriger la facturation : " + " ; ".join(etapes) + suite

    def _compenser(self, correction: ActionDeclenchee, evenement: Evenement) -> str:
        from facturation.services import proposer_avoir

        faits = []
        originale = correction.corrige
        for echeance in originale.echeances.select_for_update().order_by("pk"):
            raison = f"Correction de « {evenement.type_evenement} » du {evenement.date:%d/%m/%Y}"
            if echeance.etat == EtatEcheance.A_FACTURER and echeance.realise:
                echeance.annuler(raison=raison)
                faits.append(f"échéance « {echeance.libelle} » annulée")
            elif echeance.etat == EtatEcheance.A_FACTURER:
                echeance.rebloquer(raison=raison)
                faits.append(f"échéance « {echeance.libelle} » de nouveau prévue")
            elif echeance.etat == EtatEcheance.BLOQUEE:
                echeance.reouvrir(raison=raison)
                faits.append(f"échéance « {echeance.libelle} » de nouveau prévue")
            elif echeance.etat in FACTUREES:
                for facture in _factures_de(echeance):
                    avoir = proposer_avoir(
                        facture=facture,
                        echeances=[echeance],
                        motif=raison,
                        verifier_droits=False,
                    )
                    faits.append(
                        f"avoir de {euros(avoir.total_ttc)} proposé sur {facture.numero} "
                        f"(brouillon n° {avoir.pk}, à valider)"
                    )
                continue
            else:
                continue
            echeance.action = correction
            echeancier._sauver(echeance, raison)
        if not evenement.est_supprime:
            refaites = self._faire(evenement, correction)
            if refaites:
                faits.append("événement modifié appliqué : " + self._resultat(refaites))
        return ("Correction : " + " ; ".join(faits)) if faits else "Aucune échéance à corriger."

    def compenser(self, action, correction) -> str:
        return self.executer(correction)


class NatureDeblocage(_NatureFacturation):
    code = "debloquer_echeances"
    libelle = "Débloquer les échéances"
    parametres = "deblocageecheances"

    def decrire(self, configuration, dossier: Dossier | None = None) -> str:
        if dossier is None or dossier.pk is None:
            return "débloquer les échéances prévues pour cet événement"
        echeances = echeancier.echeances_debloquables(dossier, configuration.type_evenement)
        if not echeances:
            return "débloquer les échéances prévues pour cet événement (aucune en attente)"
        if len(echeances) == 1:
            e = echeances[0]
            return f"débloquer l'échéance de {e.modalite.quotite} : {euros(e.montant)}"
        return "débloquer les échéances " + _liste(echeances)

    def _faire(self, evenement, action):
        return echeancier.debloquer_pour(evenement, action=action)

    def _resultat(self, echeances) -> str:
        if not echeances:
            return "Aucune échéance à débloquer pour cet événement."
        return "Échéances débloquées : " + _liste(echeances)


class NatureBlocage(_NatureFacturation):
    code = "bloquer_facturation"
    libelle = "Bloquer la facturation"
    parametres = "blocagefacturation"

    def decrire(self, configuration, dossier: Dossier | None = None) -> str:
        texte = "bloquer la facturation des échéances non dues et calculer le réalisé"
        if dossier is None or dossier.pk is None:
            return texte
        prevues = Echeance.objects.filter(dossier=dossier, etat=EtatEcheance.PREVUE)
        total = sum((e.montant for e in prevues), start=0)
        if prevues:
            texte = (
                f"bloquer {len(prevues)} échéance(s) prévue(s) ({euros(total)}) et facturer "
                "le réalisé selon la convention"
            )
        return texte

    def _faire(self, evenement, action):
        if evenement.type_evenement.effet not in echeancier.EFFETS_INTERRUPTION:
            return []
        return echeancier.bloquer_pour(evenement, action=action)

    def _resultat(self, echeances) -> str:
        bloquees = [e for e in echeances if e.etat == EtatEcheance.BLOQUEE]
        realise = [e for e in echeances if e.realise]
        morceaux = [f"{len(bloquees)} échéance(s) bloquée(s)"]
        morceaux += [f"réalisé à facturer : {euros(e.montant)}" for e in realise]
        if not realise:
            morceaux.append("aucun réalisé à facturer")
        return "Facturation bloquée : " + ", ".join(morceaux) + "."


class NatureGeneration(_NatureFacturation):
    code = "generer_echeances"
    libelle = "Générer les échéances"
    parametres = "generationecheances"

    def decrire(self, configuration, dossier: Dossier | None = None) -> str:
        return "générer les échéances selon la convention du dossier"

    def _faire(self, evenement, action):
        creees = []
        for financement in evenement.dossier.financements.filter(actif=True).select_related(
            "convention"
        ):
            creees += echeancier.generer_echeances(financement, action=action)
        creees += echeancier.generer_mensuelles_dossier(evenement.dossier, evenement.date)
        return creees

    def _resultat(self, echeances) -> str:
        if not echeances:
            return "Échéancier déjà à jour."
        return f"{len(echeances)} échéance(s) générée(s)."

    def compensation(self, action: ActionDeclenchee) -> str:
        return "Aucune : l'échéancier suit la convention du dossier"


def types_par_defaut() -> dict[str, list[str]]:
    """Default billing actions of the built-in event types (code → kinds)."""
    return {
        Effet.ENTREE: ["generer_echeances", "debloquer_echeances"],
        Effet.CHANGEMENT_PHASE: ["debloquer_echeances"],
        Effet.VALIDATION_ETAPE: ["debloquer_echeances"],
        Effet.SORTIE_POSITIVE: ["debloquer_echeances"],
        Effet.ABANDON: ["bloquer_facturation"],
        Effet.RUPTURE: ["bloquer_facturation"],
    }
