"""The one way in for writing séances, presences and signatures: views, admin, commands and
the demo all call these. Keyword-only, atomic, validating before they save."""

import datetime
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from dossiers.droits import exiger
from dossiers.models import Dossier, Statut
from evenements.models import Effet, TypeEvenement
from evenements.services import enregistrer_evenement
from seances import droits
from seances.emargement import image_verifiee
from seances.models import (
    EtatSeance,
    JetonEmargement,
    MotifAnnulation,
    Participation,
    Presence,
    Seance,
    TypeSeance,
)

SEL_JETON = "seances.emargement"


@dataclass
class SaisiePresence:
    presence: str
    retard_minutes: int = 0
    depart_anticipe_minutes: int = 0
    motif: str = ""
    justificatif: object = None


@dataclass
class Resultat:
    """What a service did, and what it proposes to the user next (never done silently)."""

    seance: Seance
    avertissements: list[str] = field(default_factory=list)
    entrees_proposees: list[Dossier] = field(default_factory=list)


# --- planning ---


def _valider_horaires(date, heure_debut, heure_fin) -> dict:
    erreurs: dict[str, list[str]] = {}
    if not isinstance(date, datetime.date):
        erreurs["date"] = ["Indiquez la date de la séance."]
    if heure_debut is None:
        erreurs["heure_debut"] = ["Indiquez l'heure de début."]
    if heure_fin is None:
        erreurs["heure_fin"] = ["Indiquez l'heure de fin."]
    elif heure_debut is not None and heure_fin <= heure_debut:
        erreurs["heure_fin"] = ["L'heure de fin doit être après l'heure de début."]
    return erreurs


@transaction.atomic
def creer_seance(
    *,
    type_seance: TypeSeance,
    date: datetime.date,
    heure_debut: datetime.time,
    heure_fin: datetime.time,
    animateur,
    dossiers: list[Dossier],
    par,
    lieu: str = "",
    a_distance: bool = False,
    commentaire: str = "",
) -> Resultat:
    """Plan a séance for one dossier or several (a collective séance)."""
    erreurs = _valider_horaires(date, heure_debut, heure_fin)
    if not dossiers:
        erreurs["dossiers"] = ["Choisissez au moins un bénéficiaire."]
    for dossier in dossiers:
        exiger(droits.peut_creer(par, dossier))
        if dossier.prestation_id != type_seance.prestation_id:
            erreurs.setdefault("dossiers", []).append(
                f"Le dossier de {dossier.beneficiaire} ne relève pas de la prestation "
                f"« {type_seance.prestation} »."
            )
    if not type_seance.actif:
        erreurs["type_seance"] = ["Ce type de séance n'est plus proposé."]
    if len(dossiers) > 1 and not type_seance.collective:
        erreurs["dossiers"] = [
            f"« {type_seance} » est une séance individuelle : un seul bénéficiaire."
        ]
    if not a_distance and not lieu.strip() and type_seance.nature == "face_a_face":
        erreurs["lieu"] = ["Indiquez le lieu, ou cochez « à distance »."]
    if erreurs:
        raise ValidationError(erreurs)
    seance = Seance(
        type_seance=type_seance,
        date=date,
        heure_debut=heure_debut,
        heure_fin=heure_fin,
        animateur=animateur,
        lieu=lieu.strip(),
        a_distance=a_distance,
        commentaire=commentaire.strip(),
        cree_par=par,
    )
    _sauver(seance, par, "Création")
    bulk_create_with_history(
        [Participation(seance=seance, dossier=d) for d in dossiers],
        Participation,
        default_user=par,
        default_change_reason="Inscription à la séance",
    )
    from seances.selectors import avertissements_de

    return Resultat(seance, avertissements=avertissements_de(seance))


@transaction.atomic
def modifier_seance(
    *,
    seance: Seance,
    par,
    date: datetime.date,
    heure_debut: datetime.time,
    heure_fin: datetime.time,
    animateur,
    lieu: str = "",
    a_distance: bool = False,
    commentaire: str = "",
) -> Resultat:
    """Move or re-plan a séance not yet held; the history keeps each version."""
    seance = _verrouiller(seance)
    exiger(droits.peut_valider(par, seance))
    if seance.etat != EtatSeance.PREVUE:
        raise ValidationError(
            f"Cette séance est « {seance.get_etat_display()} » : elle ne se modifie plus "
            "(une séance validée se corrige avec une raison)."
        )
    erreurs = _valider_horaires(date, heure_debut, heure_fin)
    if not a_distance and not lieu.strip() and seance.type_seance.nature == "face_a_face":
        erreurs["lieu"] = ["Indiquez le lieu, ou cochez « à distance »."]
    if erreurs:
        raise ValidationError(erreurs)
    seance.date, seance.heure_debut, seance.heure_fin = date, heure_debut, heure_fin
    seance.animateur, seance.lieu, seance.a_distance = animateur, lieu.strip(), a_distance
    seance.commentaire = commentaire.strip()
    _sauver(seance, par, "Modification")
    from seances.selectors import avertissements_de

    return Resultat(seance, avertissements=avertissements_de(seance))


def _sauver(seance: Seance, par, raison: str, update_fields=None) -> None:
    seance._history_user = par
    seance._change_reason = raison
    seance.save(update_fields=update_fields)


def _verrouiller(seance: Seance) -> Seance:
    return (
        Seance.objects.select_for_update(of=("self",))
        .select_related("type_seance", "animateur")
        .get(pk=seance.pk)
    )


# --- validation and presences ---


def _valider_presences(seance: Seance, participations, presences: dict) -> dict:
    """`presences`: participation pk → SaisiePresence. Errors keyed "presence-<pk>"."""
    erreurs: dict[str, list[str]] = {}
    for participation in participations:
        saisie = presences.get(participation.pk)
        cle = f"presence-{participation.pk}"
        qui = participation.dossier.beneficiaire
        if saisie is None or saisie.presence not in Presence.values:
            erreurs[cle] = [f"Indiquez la présence de {qui}."]
            continue
        if saisie.retard_minutes < 0 or saisie.depart_anticipe_minutes < 0:
            erreurs[cle] = ["Les minutes de retard ou de départ anticipé sont positives."]
        elif saisie.retard_minutes + saisie.depart_anticipe_minutes >= seance.duree_minutes and (
            saisie.presence == Presence.PRESENT
        ):
            erreurs[cle] = [
                f"Retard et départ anticipé de {qui} dépassent la durée de la séance "
                f"({seance.duree_minutes} min) : indiquez plutôt une absence."
            ]
        elif saisie.presence != Presence.PRESENT and (
            saisie.retard_minutes or saisie.depart_anticipe_minutes
        ):
            erreurs[cle] = [f"{qui} est absent : pas de retard ni de départ anticipé."]
    return erreurs


def _appliquer(participation: Participation, saisie: SaisiePresence, par, raison: str) -> None:
    participation.presence = saisie.presence
    participation.retard_minutes = saisie.retard_minutes
    participation.depart_anticipe_minutes = saisie.depart_anticipe_minutes
    participation.motif = saisie.motif.strip()
    if saisie.justificatif:
        participation.justificatif = saisie.justificatif
    participation._history_user = par
    participation._change_reason = raison
    participation.save()


def _entrees_a_proposer(participations) -> list[Dossier]:
    """ "À venir" dossiers whose first validated séance this is: propose their Entrée."""
    proposes = []
    for participation in participations:
        dossier = participation.dossier
        if dossier.statut != Statut.A_VENIR or dossier.date_entree:
            continue
        autres = Participation.objects.filter(
            dossier=dossier, seance__etat=EtatSeance.REALISEE
        ).exclude(seance=participation.seance_id)
        if participation.presence == Presence.PRESENT and not autres.exists():
            proposes.append(dossier)
    return proposes


@transaction.atomic
def valider_seance(*, seance: Seance, par, presences: dict) -> Resultat:
    """Validate a séance with every participant's presence, in one go."""
    seance = _verrouiller(seance)
    participations = list(
        seance.participations.select_related("dossier__beneficiaire").order_by("pk")
    )
    seance._prefetched_objects_cache = {"participations": participations}
    exiger(droits.peut_valider(par, seance))
    if seance.etat == EtatSeance.ANNULEE:
        raise ValidationError("Cette séance est annulée : on ne peut pas y saisir de présences.")
    if seance.etat == EtatSeance.REALISEE:
        raise ValidationError("Cette séance est déjà validée : corrigez-la avec une raison.")
    if seance.date > timezone.localdate():
        raise ValidationError(
            {"date": [f"La séance du {seance.date:%d/%m/%Y} n'a pas encore eu lieu."]}
        )
    erreurs = _valider_presences(seance, participations, presences)
    if erreurs:
        raise ValidationError(erreurs)
    for participation in participations:
        _appliquer(participation, presences[participation.pk], par, "Validation de la séance")
    seance.valider(par)
    _sauver(seance, par, "Validation")
    return Resultat(seance, entrees_proposees=_entrees_a_proposer(participations))


def valider_en_masse(*, seances: list[Seance], par) -> tuple[list[Resultat], list[str]]:
    """Validate past séances with everyone present (each séance on its own)."""
    faits, refus = [], []
    for seance in seances:
        presences = {p.pk: SaisiePresence(Presence.PRESENT) for p in seance.participations.all()}
        try:
            faits.append(valider_seance(seance=seance, par=par, presences=presences))
        except ValidationError as exc:
            refus.append(f"{seance} : {' '.join(exc.messages)}")
    return faits, refus


@transaction.atomic
def corriger_seance(*, seance: Seance, par, raison: str, presences: dict) -> Resultat:
    """Correct a validated séance's presences; the reason goes into the history."""
    seance = _verrouiller(seance)
    participations = list(
        seance.participations.select_related("dossier__beneficiaire").order_by("pk")
    )
    seance._prefetched_objects_cache = {"participations": participations}
    exiger(
        droits.peut_corriger(par, seance),
        "Seuls l'animateur de la séance ou un responsable peuvent la corriger.",
    )
    if seance.etat != EtatSeance.REALISEE:
        raise ValidationError("Seule une séance validée se corrige ; modifiez-la directement.")
    if not raison.strip():
        raise ValidationError({"raison": ["Indiquez la raison de la correction."]})
    erreurs = _valider_presences(seance, participations, presences)
    if erreurs:
        raise ValidationError(erreurs)
    texte = f"Correction : {raison.strip()}"
    for participation in participations:
        saisie = presences[participation.pk]
        if (
            participation.presence,
            participation.retard_minutes,
            participation.depart_anticipe_minutes,
            participation.motif,
        ) != (saisie.presence, saisie.retard_minutes, saisie.depart_anticipe_minutes, saisie.motif):
            _appliquer(participation, saisie, par, texte)
    _sauver(seance, par, texte)
    return Resultat(seance)


@transaction.atomic
def annuler_seance(*, seance: Seance, par, motif: MotifAnnulation | None, commentaire: str = ""):
    seance = _verrouiller(seance)
    exiger(droits.peut_valider(par, seance))
    if seance.etat != EtatSeance.PREVUE:
        raise ValidationError(
            f"Cette séance est « {seance.get_etat_display()} » : elle ne peut plus être annulée."
        )
    if motif is None or not motif.actif:
        raise ValidationError({"motif": ["Choisissez le motif de l'annulation."]})
    seance.annuler(par, motif)
    if commentaire.strip():
        seance.commentaire = "\n".join(filter(None, [seance.commentaire, commentaire.strip()]))
    _sauver(seance, par, f"Annulation : {motif}")
    return Resultat(seance)


@transaction.atomic
def retirer_des_seances_non_realisees(*, dossier: Dossier, seances: list[Seance], par) -> int:
    """After an exit: the user chose to drop the dossier's future séances. An individual
    séance is cancelled ("séances non réalisées"); from a collective one, the dossier leaves
    (its participation's removal stays in the history)."""
    exiger(droits.peut_creer(par, dossier))
    motif = MotifAnnulation.objects.get(code="fin-de-parcours")
    total = 0
    for seance in seances:
        seance = _verrouiller(seance)
        if seance.etat != EtatSeance.PREVUE:
            continue
        participations = list(seance.participations.all())
        mienne = next((p for p in participations if p.dossier_id == dossier.pk), None)
        if mienne is None:
            continue
        if len(participations) == 1:
            seance.annuler(par, motif)
            _sauver(seance, par, "Séance non réalisée : fin du parcours")
        else:
            mienne._history_user = par
            mienne._change_reason = "Séance non réalisée : fin du parcours"
            mienne.delete()
        total += 1
    return total


def enregistrer_entree(*, dossier: Dossier, seance: Seance, par):
    """The one click the validation proposes: Entrée en prestation at the séance's date."""
    type_entree = TypeEvenement.objects.filter(effet=Effet.ENTREE, actif=True).first()
    if type_entree is None:
        raise ValidationError("Aucun type d'événement « Entrée » n'est actif.")
    if not dossier.participations.filter(seance=seance).exists():
        raise ValidationError("Ce dossier ne participe pas à cette séance.")
    return enregistrer_evenement(
        dossier=dossier,
        type_evenement=type_entree,
        auteur=par,
        date=seance.date,
        commentaire=f"Première séance réalisée : {seance}.",
    )


# --- émargement ---


def _verifier_creneau(seance: Seance, demi_journee: str) -> None:
    if seance.etat != EtatSeance.REALISEE:
        raise ValidationError(
            "La séance n'est pas validée : l'émargement n'est possible qu'après sa validation."
        )
    if not seance.type_seance.emargement_requis:
        raise ValidationError("Ce type de séance ne demande pas d'émargement.")
    if demi_journee not in seance.demi_journees():
        raise ValidationError("Cette séance ne couvre pas cette demi-journée.")


def _creer_emargement(**champs):
    from seances.models import Emargement

    contenu = champs.pop("contenu")
    emargement = Emargement(empreinte=Emargement.empreinte_de(contenu), **champs)
    nom = f"{champs['seance'].pk}-{champs['demi_journee']}-{secrets.token_hex(6)}.png"
    from django.core.files.base import ContentFile

    emargement.image.save(nom, ContentFile(contenu), save=False)
    try:
        with transaction.atomic():
            emargement.save()
    except IntegrityError as exc:
        emargement.image.delete(save=False)  # refused: keep no orphan file
        raise ValidationError(
            "Ce créneau est déjà signé : une signature ne se remplace pas "
            "(faites une correction motivée)."
        ) from exc
    return emargement


@transaction.atomic
def signer_sur_place(
    *,
    seance: Seance,
    participation: Participation | None,
    demi_journee: str,
    image: bytes,
    par,
    adresse_ip: str | None = None,
    agent: str = "",
):
    """The animateur collects a signature on the tablet (participation None: their own)."""
    seance = _verrouiller(seance)
    exiger(droits.peut_valider(par, seance))
    _verifier_creneau(seance, demi_journee)
    if participation is not None:
        if participation.seance_id != seance.pk:
            raise ValidationError("Ce bénéficiaire ne participe pas à cette séance.")
        if participation.presence != Presence.PRESENT:
            raise ValidationError("Seul un bénéficiaire présent signe la feuille d'émargement.")
        signataire = str(participation.dossier.beneficiaire)
    else:
        if seance.animateur_id != par.pk:
            raise ValidationError("Seul l'animateur signe pour lui-même.")
        signataire = par.get_full_name() or par.username
    return _creer_emargement(
        seance=seance,
        participation=participation,
        signataire=signataire,
        demi_journee=demi_journee,
        mode="tablette",
        contenu=image_verifiee(image),
        adresse_ip=adresse_ip,
        agent_utilisateur=agent[:500],
        recueilli_par=par,
    )


@transaction.atomic
def corriger_emargement(
    *, emargement, par, raison: str, image: bytes, adresse_ip=None, agent: str = ""
):
    """A new, reasoned record pointing to the one it corrects; the original stays intact."""
    seance = _verrouiller(emargement.seance)
    exiger(droits.peut_corriger(par, seance))
    if not raison.strip():
        raise ValidationError({"raison": ["Indiquez la raison de la correction."]})
    if emargement.corrections.exists():
        raise ValidationError("Cette signature a déjà été corrigée.")
    return _creer_emargement(
        seance=seance,
        participation=emargement.participation,
        signataire=emargement.signataire,
        demi_journee=emargement.demi_journee,
        mode="tablette",
        contenu=image_verifiee(image),
        adresse_ip=adresse_ip,
        agent_utilisateur=agent[:500],
        recueilli_par=par,
        corrige=emargement,
        raison_correction=raison.strip(),
    )


def _adresse(participation: Participation, canal: str) -> str:
    beneficiaire = participation.dossier.beneficiaire
    if canal == JetonEmargement.Canal.SMS:
        if not beneficiaire.mobile:
            raise ValidationError({"canal": ["Le bénéficiaire n'a pas de numéro de mobile."]})
        if not beneficiaire.consentement_sms:
            raise ValidationError({"canal": ["Le bénéficiaire a refusé les SMS."]})
        return str(beneficiaire.mobile)
    if not beneficiaire.email:
        raise ValidationError({"canal": ["Le bénéficiaire n'a pas d'adresse e-mail."]})
    if not beneficiaire.consentement_email:
        raise ValidationError({"canal": ["Le bénéficiaire a refusé les e-mails."]})
    return beneficiaire.email


@transaction.atomic
def envoyer_lien(*, participation: Participation, demi_journee: str, canal: str, par):
    """Create a single-use signing link for one half-day and send it after commit."""
    seance = _verrouiller(participation.seance)
    exiger(droits.peut_valider(par, seance))
    _verifier_creneau(seance, demi_journee)
    if participation.presence != Presence.PRESENT:
        raise ValidationError("Seul un bénéficiaire présent signe la feuille d'émargement.")
    if participation.emargements.filter(demi_journee=demi_journee, corrige__isnull=True).exists():
        raise ValidationError("Ce créneau est déjà signé.")
    if canal not in JetonEmargement.Canal.values:
        raise ValidationError({"canal": ["Choisissez l'e-mail ou le SMS."]})
    jeton = JetonEmargement.objects.create(
        participation=participation,
        demi_journee=demi_journee,
        nonce=secrets.token_urlsafe(24),
        expire_le=timezone.now() + datetime.timedelta(hours=settings.EMARGEMENT_LIEN_HEURES),
        cree_par=par,
        canal=canal,
        adresse=_adresse(participation, canal),
    )
    from seances.envoi import transmettre

    transaction.on_commit(lambda: transmettre([jeton.pk]))
    return jeton


def jeton_signe(jeton: JetonEmargement) -> str:
    return signing.dumps({"j": jeton.pk, "n": jeton.nonce}, salt=SEL_JETON, compress=True)


def lire_jeton(valeur: str, *, verrouiller: bool = False) -> JetonEmargement:
    """The link's token, checked: signature, existence, not used, not expired."""
    try:
        donnees = signing.loads(valeur, salt=SEL_JETON)
    except signing.BadSignature as exc:
        raise ValidationError("Ce lien de signature n'est pas valide.") from exc
    jetons = JetonEmargement.objects.select_related(
        "participation__seance__type_seance",
        "participation__seance__animateur",
        "participation__dossier__beneficiaire",
    )
    if verrouiller:
        jetons = jetons.select_for_update(of=("self",))
    jeton = jetons.filter(pk=donnees.get("j"), nonce=donnees.get("n")).first()
    if jeton is None:
        raise ValidationError("Ce lien de signature n'est pas valide.")
    if jeton.utilise_le is not None:
        raise ValidationError("Ce lien a déjà servi : chaque lien ne permet qu'une signature.")
    if jeton.est_expire:
        raise ValidationError(
            f"Ce lien a expiré le {timezone.localtime(jeton.expire_le):%d/%m/%Y à %H:%M}. "
            "Demandez un nouveau lien à votre conseiller."
        )
    return jeton


@transaction.atomic
def signer_par_lien(
    *, valeur: str, demi_journee: str, image: bytes, adresse_ip=None, agent: str = ""
):
    """The bénéficiaire signs through their link: that slot only, once."""
    jeton = lire_jeton(valeur, verrouiller=True)
    if demi_journee != jeton.demi_journee:
        raise ValidationError(
            "Ce lien ne permet de signer que le créneau pour lequel il a été envoyé."
        )
    participation = jeton.participation
    _verifier_creneau(participation.seance, demi_journee)
    if participation.presence != Presence.PRESENT:
        raise ValidationError(
            "Votre présence à cette séance n'est pas enregistrée : contactez votre conseiller."
        )
    emargement = _creer_emargement(
        seance=participation.seance,
        participation=participation,
        signataire=str(participation.dossier.beneficiaire),
        demi_journee=demi_journee,
        mode="distance",
        contenu=image_verifiee(image),
        adresse_ip=adresse_ip,
        agent_utilisateur=agent[:500],
    )
    jeton.utilise_le = timezone.now()
    jeton.save(update_fields=["utilise_le"])
    return emargement
