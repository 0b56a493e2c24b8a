"""The "Générer un document" action kind: render the configured template for the event's
dossier and, if configured, e-mail it as an attachment through the notifications log."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from documents import services
from documents.models import Document, GenerationDocument
from evenements.models import ActionDeclenchee
from notifications import envois
from notifications.models import Envoi, ModeleNotification

QUI = {
    "beneficiaire": "au bénéficiaire",
    "financeur": "au financeur",
    "referent": "au référent",
}


def _configuration(configuration) -> GenerationDocument:
    if isinstance(configuration, GenerationDocument):
        return configuration
    return configuration.generationdocument


class NatureDocument:
    code = "document"
    libelle = "Générer un document"
    parametres = "generationdocument"

    def decrire(self, configuration, dossier=None) -> str:
        generation = _configuration(configuration)
        texte = f"générer « {generation.modele} »"
        if generation.envoyer_a:
            texte += f" et l'envoyer par e-mail {QUI[generation.envoyer_a]}"
            if dossier is not None and generation.envoyer_a == "beneficiaire":
                texte += f" {dossier.beneficiaire.prenom} {dossier.beneficiaire.nom}"
        return texte

    def compensation(self, action: ActionDeclenchee) -> str:
        if action.evenement.est_supprime:
            return "Annuler le document généré et prévenir ses destinataires"
        return "Régénérer le document (nouvelle version) et envoyer la version corrigée"

    def compenser(self, action: ActionDeclenchee, correction: ActionDeclenchee) -> str:
        return self.compensation(action)

    def executer(self, action: ActionDeclenchee) -> str:
        generation = _configuration(action.configuration)
        evenement = (
            type(action.evenement)
            .objects.select_related(
                "auteur",
                "type_evenement",
                "motif",
                "dossier__beneficiaire",
                "dossier__prestation",
                "dossier__financeur",
                "dossier__referent",
                "dossier__equipe",
                "dossier__phase_courante",
            )
            .get(pk=action.evenement_id)
        )
        action.evenement = evenement
        if action.corrige_id:
            return self._corriger(action, generation)
        document = Document.objects.filter(action=action, modele=generation.modele).first()
        if document is None:  # idempotent: a retried action reuses what it made
            try:
                document = services.generer_document(
                    modele=generation.modele,
                    dossier=evenement.dossier,
                    evenement=evenement,
                    action=action,
                )
            except ValidationError as exc:
                raise services.ErreurRendu(" ".join(exc.messages)) from exc
        resultat = f"Généré : {self._nom(document)}"
        if generation.envoyer_a:
            resultat += " ; " + self._envoyer(action, document, generation.envoyer_a)
        return resultat

    @staticmethod
    def _nom(document: Document) -> str:
        numero = f" n° {document.numero}" if document.numero else ""
        version = f" (version {document.version})" if document.version > 1 else ""
        return f"{document.titre}{numero}{version}"

    def _envoyer(
        self, action, document: Document, destinataire: str, adresses=None, annulation=False
    ) -> str:
        if adresses is None:
            try:
                adresses = services.adresses(document.dossier, destinataire)
            except ValidationError as exc:
                return "non envoyé : " + " ".join(exc.messages)
        sujet, corps = services.message(document, destinataire)
        pieces = [services.piece_jointe(document)]
        if annulation:
            sujet = f"Annulation : {sujet}"
            corps = (
                f"Bonjour,\n\nLe document « {document.titre} »"
                f"{f' n° {document.numero}' if document.numero else ''} qui vous a été envoyé "
                f"est annulé : {document.raison_annulation}."
            )
            pieces = []
        faits = []
        for libelle, adresse in adresses:
            envoi, _ = Envoi.objects.get_or_create(
                cle=f"{action.cle}:{document.pk}:{adresse}",
                defaults={
                    "dossier_id": document.dossier_id,
                    "action": action,
                    "canal": ModeleNotification.Canal.EMAIL,
                    "destinataire": libelle,
                    "adresse": adresse,
                    "sujet": sujet,
                    "corps": corps,
                    "pieces_jointes": pieces,
                },
            )
            if envoi.etat != Envoi.Etat.ENVOYE:  # never twice to the same address
                envois.envoyer(envoi)
            faits.append(envoi)
        quand = timezone.localtime(max(e.envoye_le for e in faits))
        return f"envoyé à {', '.join(e.adresse for e in faits)} le {quand:%d/%m/%Y à %H:%M}"

    def _corriger(self, action: ActionDeclenchee, generation: GenerationDocument) -> str:
        """Compensation confirmed by a user: void (event deleted) or regenerate (edited)."""
        evenement = action.evenement
        originaux = Document.objects.filter(action=action.corrige).select_related("dossier")
        deja_envoyes = [
            (e.destinataire, e.adresse)
            for e in action.corrige.envois.filter(etat=Envoi.Etat.ENVOYE).order_by("pk")
        ]
        resultats = []
        for original in originaux:
            courant = original
            while hasattr(courant, "remplace_par"):
                courant = courant.remplace_par
            if evenement.est_supprime:
                services.annuler_document(
                    document=courant,
                    par=None,
                    raison=f"Événement supprimé : {evenement.raison_suppression}",
                )
                texte = f"Annulé : {self._nom(courant)}"
                if deja_envoyes:
                    courant.refresh_from_db()
                    texte += " ; avis d'annulation " + self._envoyer(
                        action, courant, "", deja_envoyes, annulation=True
                    )
                resultats.append(texte)
                continue
            nouveau = Document.objects.filter(action=action, remplace=courant).first()
            if nouveau is None:
                nouveau = services.generer_document(
                    modele=courant.modele,
                    dossier=courant.dossier,
                    evenement=evenement,
                    action=action,
                    remplace=courant,
                    raison=f"Correction de l'événement « {evenement} »",
                )
            texte = f"Généré : {self._nom(nouveau)}"
            if deja_envoyes:
                texte += " ; " + self._envoyer(
                    action, nouveau, generation.envoyer_a or "beneficiaire", deja_envoyes
                )
            resultats.append(texte)
        return " ; ".join(resultats) or "Aucun document à corriger."
