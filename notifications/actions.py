"""The "notification" action kind: how a configured notification is described and sent."""

import contextlib
import logging

from django.db import transaction
from django.utils import timezone

from dossiers.models import Dossier
from evenements.models import ActionDeclenchee, Evenement
from evenements.natures import ActionIgnoree, IssueIncertaine
from notifications import canaux, envois, rendu
from notifications.canaux import AdresseReservee, message_id
from notifications.models import Envoi, ModeleNotification

journal = logging.getLogger(__name__)
Dest = ModeleNotification.Destinataire
Canal = ModeleNotification.Canal
# What a message's context reads, one query each for a whole batch (a single query joining
# them all costs PostgreSQL more to plan than these to run).
_CHEMINS_DOSSIER = (
    "dossier__beneficiaire",
    "dossier__prestation",
    "dossier__financeur",
    "dossier__referent",
    "dossier__phase_courante",
    "dossier__equipe",
)
# What a prepared message is for: already sent, of unknown outcome (a person decides), to send.
_FAIT, _INCERTAIN, _A_ENVOYER = "fait", "incertain", "a_envoyer"
_CHAMPS_TENTATIVE = [
    "tentatives",
    "etat",
    "commence_le",
    "remise_le",
    "serveur",
    "message_id",
    "erreur",
]


def _modele(configuration) -> ModeleNotification:
    if isinstance(configuration, ModeleNotification):
        return configuration
    return configuration.modelenotification  # cached when select_related, else one query


def _tronquer(texte: str, champ: str) -> str:
    """Fit a rendered text to its Envoi column (PostgreSQL refuses longer values)."""
    longueur = Envoi._meta.get_field(champ).max_length
    return texte if len(texte) <= longueur else texte[: longueur - 1] + "…"


def destinataires(modele: ModeleNotification, dossier: Dossier) -> list[tuple[str, str]]:
    """(label, address) pairs; ActionIgnoree says why there is nobody to write to."""
    if modele.canal == Canal.ALERTE:
        return _destinataires_alerte(modele, dossier)
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


def _destinataires_alerte(modele: ModeleNotification, dossier: Dossier) -> list[tuple[str, str]]:
    """In-app alerts go to users: the address is the login."""
    match modele.destinataire:
        case Dest.REFERENT:
            membres = [dossier.referent] if dossier.referent.is_active else []
        case Dest.EQUIPE:
            membres = list(dossier.equipe.membres.filter(is_active=True).order_by("pk"))
        case _:
            raise ActionIgnoree("Une alerte ne s'adresse qu'au référent ou à l'équipe.")
    if not membres:
        raise ActionIgnoree(f"Personne à alerter : {modele.get_destinataire_display()}.")
    return [(m.get_full_name() or m.username, m.username) for m in membres]


class NatureNotification:
    code = "notification"
    libelle = "Notification"
    parametres = "modelenotification"

    def decrire(self, configuration, dossier: Dossier | None = None) -> str:
        modele = _modele(configuration)
        verbe = {
            Canal.SMS: "envoyer un SMS",
            Canal.ALERTE: "envoyer une alerte dans Parcours",
        }.get(modele.canal, "envoyer un e-mail")
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
        # A header is one line whatever the data holds (CR, LF, U+2028…), and fits its column.
        sujet = _tronquer(" ".join(rendu.rendre(modele.sujet, donnees).split()), "sujet")
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
            (e.destinataire, e.adresse, _tronquer(f"Correction : {e.sujet}", "sujet"), texte)
            for e in action.corrige.envois.filter(etat=Envoi.Etat.ENVOYE).order_by("pk")
        ]

    @contextlib.contextmanager
    def lot(self, actions: list[ActionDeclenchee]):
        """A batch (evenements.pipeline.executer_lot): prepared in bulk, then sent through
        one channel session (one SMTP connection for all its e-mails)."""
        self._preparer(actions)
        with canaux.session():
            yield

    def _preparer(self, actions: list[ActionDeclenchee]) -> None:
        """Load the events (a fixed number of queries), render every message, and commit
        every attempt "en cours" at once (one transaction), before any server is contacted.
        Each action keeps its plan in `action._envois`: [(envoi, what to do)], or the
        exception to raise when it runs."""
        evenements = (
            Evenement.objects.select_related("type_evenement", "motif", "dossier")
            .prefetch_related(*_CHEMINS_DOSSIER)
            .in_bulk({action.evenement_id for action in actions})
        )
        messages = {}
        for action in actions:
            action.evenement = evenements[action.evenement_id]
            try:
                messages[action.pk] = self._messages(action, _modele(action.configuration))
            except Exception as exc:  # raised when this action runs: the others go on
                action._envois = exc
        cles = [
            f"{action.cle}:{adresse}"
            for action in actions
            if action.pk in messages
            for _libelle, adresse, _sujet, _corps in messages[action.pk]
        ]
        existants = {envoi.cle: envoi for envoi in Envoi.objects.filter(cle__in=cles)}
        plans = {}
        for action in actions:
            if action.pk in messages:
                plans[action.pk] = self._planifier(action, messages[action.pk], existants)
        try:
            self._enregistrer([envoi for plan in plans.values() for envoi, _ in plan])
        except Exception:  # e.g. a key taken meanwhile: each action on its own
            journal.warning("Préparation groupée impossible, action par action", exc_info=True)
            for action in actions:
                plan = plans.get(action.pk)
                if plan is None:
                    continue
                try:
                    self._enregistrer([envoi for envoi, _ in plan])
                except Exception as exc:
                    plans.pop(action.pk)
                    action._envois = exc
        for action in actions:
            if action.pk in plans:
                action._envois = plans[action.pk]

    def _planifier(self, action, messages, existants: dict) -> list[tuple[Envoi, str]]:
        modele = _modele(action.configuration)
        serveur = getattr(canaux.canal(modele.canal), "serveur", "")
        plan = []
        for libelle, adresse, sujet, corps in messages:
            cle = f"{action.cle}:{adresse}"
            envoi = existants.get(cle) or Envoi(
                cle=cle,
                dossier_id=action.evenement.dossier_id,
                action=action,
                canal=modele.canal,
                destinataire=_tronquer(libelle, "destinataire"),
                adresse=adresse,
                sujet=sujet,
                corps=corps,
                message_id=message_id(cle),
            )
            if envoi.etat == Envoi.Etat.ENVOYE:  # never twice to the same address
                plan.append((envoi, _FAIT))
            elif self._issue_inconnue(action, envoi):  # never again without a person's say
                plan.append((envoi, _INCERTAIN))
            else:
                envois.commencer(envoi, serveur)
                plan.append((envoi, _A_ENVOYER))
        return plan

    @staticmethod
    def _enregistrer(a_ecrire: list[Envoi]) -> None:
        """One transaction, an ordinary (synchronous) commit: on disk before the server."""
        nouveaux = [envoi for envoi in a_ecrire if envoi.pk is None]
        modifies = [envoi for envoi in a_ecrire if envoi.pk is not None]
        with transaction.atomic():
            Envoi.objects.bulk_create(nouveaux)
            if modifies:
                Envoi.objects.bulk_update(modifies, _CHAMPS_TENTATIVE)

    def executer(self, action: ActionDeclenchee) -> str:
        plan = getattr(action, "_envois", None)
        if plan is None:  # on its own, not in a batch
            self._preparer([action])
            plan = action._envois
        if isinstance(plan, Exception):
            raise plan
        modele = _modele(action.configuration)
        envoyes, incertains, reservees = [], [], []
        for envoi, quoi in plan:
            if quoi == _FAIT:
                envoyes.append(envoi)
            elif quoi == _INCERTAIN:
                incertains.append(envoi)
            else:
                try:
                    self._envoyer(envoi, modele.canal)
                except AdresseReservee:
                    reservees.append(envoi)
                except IssueIncertaine:
                    incertains.append(envoi)
                else:
                    envoyes.append(envoi)
        if incertains:
            raise IssueIncertaine(self._faits(incertains))
        if reservees and not envoyes:
            raise ActionIgnoree(
                "Adresse réservée à la démonstration : rien n'est envoyé hors de la machine."
            )
        quand = timezone.localtime(max(e.envoye_le for e in envoyes))
        nature = {Canal.SMS: "SMS envoyé", Canal.ALERTE: "Alerte remise"}.get(
            modele.canal, "E-mail envoyé"
        )
        adresses = ", ".join(e.adresse for e in envoyes)
        return f"{nature} à {adresses} le {quand:%d/%m/%Y à %H:%M}"

    @staticmethod
    def _issue_inconnue(action: ActionDeclenchee, envoi: Envoi) -> bool:
        """An attempt that reached the hand-over step and never came back, unless a person
        authorised a resend after it (the record is marked "issue inconnue", saved with the
        batch's records)."""
        if envoi.etat not in (Envoi.Etat.EN_COURS, Envoi.Etat.INCERTAIN) or not envoi.remise_le:
            return False
        reprise = action.reprise_autorisee_le
        if reprise is not None and reprise > envoi.remise_le:
            return False
        if envoi.etat != Envoi.Etat.INCERTAIN:
            envoi.etat = Envoi.Etat.INCERTAIN
            envoi.erreur = "Tentative interrompue pendant la remise au serveur."
        return True

    @staticmethod
    def _faits(incertains: list[Envoi]) -> str:
        return "\n".join(
            f"Envoi à {e.adresse} commencé le "
            f"{timezone.localtime(e.remise_le):%d/%m/%Y à %H:%M:%S} via {e.serveur or '?'}, "
            f"Message-ID {e.message_id} : issue inconnue ({e.erreur})"
            for e in incertains
        )

    def _envoyer(self, envoi: Envoi, nom_canal: str) -> None:
        envois.envoyer(envoi, deja_en_cours=True)
