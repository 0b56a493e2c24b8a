"""The "notification" action kind: how a configured notification is described and sent."""

from django.utils import timezone

from dossiers.models import Dossier
from evenements.models import ActionDeclenchee
from evenements.natures import ActionIgnoree
from notifications import envois, rendu
from notifications.models import Envoi, ModeleNotification

Dest = ModeleNotification.Destinataire
Canal = ModeleNotification.Canal


def _modele(configuration) -> ModeleNotification:
    if isinstance(configuration, ModeleNotification):
        return configuration
    return configuration.modelenotification  # cached when select_related, else one query


def destinataires(modele: ModeleNotification, dossier: Dossier) -> list[tuple[str, str]]:
    """(label, address) pairs; ActionIgnoree says why there is nobody to write to."""
    sms = modele.canal == Canal.SMS
    libelle_canal = "SMS" if sms else "e-mail"
    match modele.destinataire:
        case Dest.FINANCEUR:
            financeur = dossier.financeur
            if financeur is None:
                raise ActionIgnoree("Le dossier n'a pas de financeur.")
            adresses = (
                [str(financeur.telephone)]
                if sms and financeur.telephone
                else ([] if sms else financeur.emails)
            )
            paires = [(str(financeur), a) for a in adresses]
        case Dest.BENEFICIAIRE:
            beneficiaire = dossier.beneficiaire
            if sms and not beneficiaire.consentement_sms:
                raise ActionIgnoree("Le bénéficiaire a refusé les SMS.")
            if not sms and not beneficiaire.consentement_email:
                raise ActionIgnoree("Le bénéficiaire a refusé les e-mails.")
            adresse = (
                str(beneficiaire.mobile)
                if sms and beneficiaire.mobile
                else ("" if sms else beneficiaire.email)
            )
            paires = [(str(beneficiaire), adresse)] if adresse else []
        case Dest.REFERENT:
            referent = dossier.referent
            paires = [(referent.get_full_name() or referent.username, referent.email)]
        case Dest.EQUIPE:
            paires = [
                (m.get_full_name() or m.username, m.email)
                for m in dossier.equipe.membres.filter(is_active=True).order_by("pk")
            ]
        case _:
            paires = [("Adresse fixe", modele.adresse_fixe)]
    paires = [
        (libelle, adresse)
        for libelle, adresse in paires
        if adresse and not (sms and "@" in adresse)
    ]
    if not paires:
        raise ActionIgnoree(
            f"Aucune adresse {libelle_canal} pour : {modele.get_destinataire_display()}."
        )
    return paires


class NatureNotification:
    code = "notification"
    libelle = "Notification"
    parametres = "modelenotification"

    def decrire(self, configuration, dossier: Dossier | None = None) -> str:
        modele = _modele(configuration)
        verbe = "envoyer un SMS" if modele.canal == Canal.SMS else "envoyer un e-mail"
        qui = {
            Dest.FINANCEUR: "au financeur",
            Dest.BENEFICIAIRE: "au bénéficiaire",
            Dest.REFERENT: "au référent",
            Dest.EQUIPE: "à l'équipe",
            Dest.ADRESSE_FIXE: f"à {modele.adresse_fixe}",
        }[modele.destinataire]
        if dossier is not None and modele.destinataire == Dest.FINANCEUR and dossier.financeur:
            qui += f" {dossier.financeur}"
        if dossier is not None and modele.destinataire == Dest.BENEFICIAIRE:
            qui += f" {dossier.beneficiaire.prenom} {dossier.beneficiaire.nom}"
        suffixe = " (le jour de l'événement)" if modele.liee_a_la_date else ""
        return f"{verbe} {qui}{suffixe}"

    def compensation(self, action: ActionDeclenchee) -> str:
        return "Envoyer un message de correction aux destinataires"

    def _messages(self, action: ActionDeclenchee, modele: ModeleNotification):
        evenement = action.evenement
        donnees = rendu.contexte(evenement)
        sujet = rendu.rendre(modele.sujet, donnees).replace("\n", " ")
        corps = rendu.rendre(modele.corps, donnees)
        if action.corrige_id is None:
            dossier = evenement.dossier
            return [
                (libelle, adresse, sujet, corps)
                for libelle, adresse in destinataires(modele, dossier)
            ]
        # A correction goes to those who received the original.
        if evenement.est_supprime:
            texte = (
                f"Le message précédent concernant « {evenement.type_evenement} » du "
                f"{evenement.date:%d/%m/%Y} est annulé : l'événement a été supprimé "
                f"({evenement.raison_suppression})."
            )
        else:
            texte = f"Le message précédent est corrigé. Version à jour :\n\n{corps}"
        return [
            (e.destinataire, e.adresse, f"Correction : {e.sujet}".strip(), texte)
            for e in action.corrige.envois.filter(etat=Envoi.Etat.ENVOYE).order_by("pk")
        ]

    def executer(self, action: ActionDeclenchee) -> str:
        modele = _modele(action.configuration)
        action.evenement = (
            type(action.evenement)
            .objects.select_related(
                "type_evenement",
                "motif",
                "dossier__beneficiaire",
                "dossier__prestation",
                "dossier__financeur",
                "dossier__referent",
                "dossier__phase_courante",
                "dossier__equipe",
            )
            .get(pk=action.evenement_id)
        )
        envoyes = []
        for libelle, adresse, sujet, corps in self._messages(action, modele):
            envoi, _ = Envoi.objects.get_or_create(
                cle=f"{action.cle}:{adresse}",
                defaults={
                    "dossier_id": action.evenement.dossier_id,
                    "action": action,
                    "canal": modele.canal,
                    "destinataire": libelle,
                    "adresse": adresse,
                    "sujet": sujet,
                    "corps": corps,
                },
            )
            if envoi.etat != Envoi.Etat.ENVOYE:  # never twice to the same address
                self._envoyer(envoi, modele.canal)
            envoyes.append(envoi)
        quand = timezone.localtime(max(e.envoye_le for e in envoyes))
        nature = "SMS envoyé" if modele.canal == Canal.SMS else "E-mail envoyé"
        adresses = ", ".join(e.adresse for e in envoyes)
        return f"{nature} à {adresses} le {quand:%d/%m/%Y à %H:%M}"

    def _envoyer(self, envoi: Envoi, nom_canal: str) -> None:
        envois.envoyer(envoi)
