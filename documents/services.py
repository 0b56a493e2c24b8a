"""Documents: one way in (views, admin, the action kind, commands) for every write.

A generated document is rendered from a snapshot of plain values, stored with its
SHA-256, never overwritten: a regeneration is a new version pointing to the one it
replaces. Certificats and attestations get a number in their series, per year, with no
gap: the counter row is locked, the number taken, the PDF rendered and the row saved in
one transaction, so a failed rendering gives the number back.
"""

import hashlib
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from config import pieces
from documents import rendu
from documents.contexte import contexte_dossier, contexte_seance
from documents.models import Categorie, Compteur, Document, ModeleDocument, Organisation
from dossiers.droits import exiger, peut_voir_dossier
from dossiers.models import Dossier

PDF = "application/pdf"


class ErreurRendu(Exception):
    """The template could not be rendered: the action fails with this message."""


def modeles_pour(dossier: Dossier):
    """Active dossier templates offered for this dossier's prestation."""
    return (
        ModeleDocument.objects.filter(actif=True, categorie=Categorie.DOSSIER)
        .filter(Q(toutes_prestations=True) | Q(prestations=dossier.prestation_id))
        .distinct()
        .order_by("titre")
    )


def _exiger(par, dossier: Dossier | None, permission: str) -> None:
    if par is None:  # the pipeline acts for the event's author, already checked
        return
    exiger(par.has_perm(permission))
    if dossier is not None:
        exiger(peut_voir_dossier(par, dossier))


def donnees(modele: ModeleDocument, dossier: Dossier, evenement=None) -> dict:
    """The snapshot a document is made from."""
    return {
        **contexte_dossier(dossier, evenement),
        "organisation": Organisation.courante().en_contexte(),
        "titre": modele.titre,
    }


def html(modele: ModeleDocument, valeurs: dict) -> str:
    try:
        return rendu.rendre_html_depuis_source(modele.corps, valeurs)
    except Exception as exc:
        raise ErreurRendu(f"Le modèle « {modele} » n'a pas pu être rendu : {exc}") from exc


def pdf(modele: ModeleDocument, valeurs: dict) -> bytes:
    page = html(modele, valeurs)
    try:
        return rendu.rendre_pdf(
            page,
            pdfa="pdf/a-3b" if modele.archivage else None,
            medias=valeurs.get("medias", ()),
        )
    except Exception as exc:
        raise ErreurRendu(f"Le PDF « {modele} » n'a pas pu être produit : {exc}") from exc


def apercu(*, modele: ModeleDocument, dossier: Dossier, par) -> str:
    """HTML of what would be generated now (no number taken, nothing saved)."""
    _exiger(par, dossier, "documents.view_document")
    _verifier_modele(modele, dossier)
    return html(modele, {**donnees(modele, dossier), "numero": "(aperçu)" if modele.serie else ""})


def _verifier_modele(modele: ModeleDocument, dossier: Dossier) -> None:
    if not modele.actif:
        raise ValidationError({"modele": "Ce modèle de document est désactivé."})
    if modele.categorie != Categorie.DOSSIER:
        raise ValidationError({"modele": "Ce modèle ne se génère pas depuis un dossier."})
    if not modele.pour_prestation(dossier.prestation_id):
        raise ValidationError({"modele": "Ce modèle n'est pas proposé pour cette prestation."})


def _prendre_numero(serie: str, annee: int) -> tuple[int, str]:
    """Next number of the series (caller's transaction holds the counter's row lock)."""
    try:
        with transaction.atomic():
            Compteur.objects.get_or_create(serie=serie, annee=annee)
    except IntegrityError:  # created meanwhile by another transaction
        pass
    compteur = Compteur.objects.select_for_update().get(serie=serie, annee=annee)
    compteur.dernier += 1
    compteur.save(update_fields=["dernier"])
    return compteur.dernier, f"{serie}-{annee}-{compteur.dernier:05d}"


def _enregistrer(document: Document, contenu: bytes, nom: str) -> Document:
    document.sha256 = hashlib.sha256(contenu).hexdigest()
    document.taille = len(contenu)
    document.nom_fichier = nom
    document.fichier.save(nom, ContentFile(contenu), save=False)
    try:
        document.save()
    except Exception:
        document.fichier.storage.delete(document.fichier.name)  # no orphan file
        raise
    return document


def _nom_pdf(modele: ModeleDocument, dossier: Dossier, numero: str, version: int) -> str:
    base = f"{modele.code}-{dossier.beneficiaire.nom}-{numero or dossier.pk}"
    suffixe = f"-v{version}" if version > 1 else ""
    propre = "".join(c if c.isalnum() or c in "-_" else "-" for c in base)
    return f"{propre}{suffixe}.pdf"


def _produire(document: Document, modele: ModeleDocument, valeurs: dict, remplace, nom) -> Document:
    """Number (or version), render and store, in one transaction (see the module doc)."""
    with transaction.atomic():
        if remplace is not None:
            remplace = Document.objects.select_for_update().get(pk=remplace.pk)
            if Document.objects.filter(remplace=remplace).exists():
                raise ValidationError(
                    "Ce document a déjà été remplacé par une version plus récente."
                )
            document.remplace = remplace
            document.version = remplace.version + 1
            for champ in ("serie", "annee", "rang", "numero"):
                setattr(document, champ, getattr(remplace, champ))
            document.evenement = document.evenement or remplace.evenement
        elif modele.serie:
            annee = timezone.localdate().year
            rang, numero = _prendre_numero(modele.serie, annee)
            document.serie, document.annee, document.rang, document.numero = (
                modele.serie,
                annee,
                rang,
                numero,
            )
        valeurs["numero"] = document.numero
        document.donnees = valeurs
        contenu = pdf(modele, valeurs)
        return _enregistrer(document, contenu, nom(document))


def generer_document(
    *,
    modele: ModeleDocument,
    dossier: Dossier,
    par=None,
    evenement=None,
    action=None,
    remplace: Document | None = None,
    raison: str = "",
) -> Document:
    """Render and store a document (or a new version of `remplace`)."""
    _exiger(par, dossier, "documents.add_document")
    _verifier_modele(modele, dossier)
    valeurs = donnees(modele, dossier, evenement)
    document = Document(
        dossier=dossier,
        origine=Document.Origine.GENERE,
        titre=modele.titre,
        modele=modele,
        modele_version=modele.version,
        type_mime=PDF,
        cree_par=par or (evenement.auteur if evenement is not None else None),
        evenement=evenement,
        action=action,
        raison=raison,
    )
    return _produire(
        document,
        modele,
        valeurs,
        remplace,
        lambda d: _nom_pdf(modele, dossier, d.numero, d.version),
    )


def generer_feuille_seance(*, seance, par) -> Document:
    """The feuille d'émargement of a séance; each edition is a new version of the last."""
    from seances.droits import peut_voir

    exiger(par.has_perm("documents.add_document") and peut_voir(par, seance))
    modele = (
        ModeleDocument.objects.filter(
            categorie=Categorie.SEANCE, actif=True, code="emargement-seance"
        ).first()
        or ModeleDocument.objects.filter(categorie=Categorie.SEANCE, actif=True).first()
    )
    if modele is None:
        raise ValidationError("Aucun modèle de feuille d'émargement de séance n'est actif.")
    valeurs = {
        **contexte_seance(seance),
        "organisation": Organisation.courante().en_contexte(),
        "titre": modele.titre,
    }
    precedent = (
        Document.objects.filter(seance=seance, modele__categorie=Categorie.SEANCE)
        .exclude(remplace_par__isnull=False)
        .order_by("-pk")
        .first()
    )
    document = Document(
        seance=seance,
        origine=Document.Origine.GENERE,
        titre=f"{modele.titre} du {seance.date:%d/%m/%Y}",
        modele=modele,
        modele_version=modele.version,
        type_mime=PDF,
        cree_par=par,
        raison="Nouvelle édition" if precedent else "",
    )
    return _produire(
        document,
        modele,
        valeurs,
        precedent,
        lambda d: f"emargement-seance-{seance.pk}{f'-v{d.version}' if d.version > 1 else ''}.pdf",
    )


def regenerer_document(*, document: Document, par, raison: str, evenement=None, action=None):
    """A new version from today's data; the old one stays readable, marked replaced."""
    if not raison.strip():
        raise ValidationError({"raison": "Indiquez la raison de la nouvelle version."})
    if document.origine != Document.Origine.GENERE or document.modele is None:
        raise ValidationError("Seul un document généré peut être régénéré.")
    if document.annule_le:
        raise ValidationError("Ce document est annulé.")
    _exiger(par, document.dossier, "documents.change_document")
    return generer_document(
        modele=document.modele,
        dossier=document.dossier,
        par=par,
        evenement=evenement or document.evenement,
        action=action,
        remplace=document,
        raison=raison.strip(),
    )


def annuler_document(*, document: Document, par, raison: str) -> Document:
    """Void a document (kept and readable, marked annulé)."""
    if not raison.strip():
        raise ValidationError({"raison": "Indiquez la raison de l'annulation."})
    _exiger(par, document.dossier, "documents.delete_document")
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if document.annule_le is None:
            document.annule_le = timezone.now()
            document.raison_annulation = raison.strip()[:300]
            document.save(update_fields=["annule_le", "raison_annulation"])
    return document


def deposer_piece(*, dossier: Dossier, fichier, type_piece: str, titre: str, par) -> Document:
    """An uploaded pièce: size, type by content and extension checked before anything is kept."""
    _exiger(par, dossier, "documents.add_document")
    if type_piece not in Document.TypePiece.values:
        raise ValidationError({"type_piece": "Choisissez le type de pièce."})
    if fichier.size > pieces.taille_max():
        mo = pieces.taille_max() // (1024 * 1024)
        raise ValidationError({"fichier": f"Le fichier dépasse la taille maximale de {mo} Mo."})
    contenu = fichier.read()
    type_mime = pieces.verifier(fichier.name, contenu)
    nom = fichier.name.rsplit("/", 1)[-1][:200]
    document = Document(
        dossier=dossier,
        origine=Document.Origine.DEPOSE,
        titre=(titre or "").strip()[:200] or Document.TypePiece(type_piece).label,
        type_piece=type_piece,
        type_mime=type_mime,
        cree_par=par,
    )
    with transaction.atomic():
        return _enregistrer(document, contenu, nom)


def piece_jointe(document: Document) -> dict:
    """How the notifications channel attaches this document (read from storage at send)."""
    return {
        "nom": document.nom_fichier,
        "fichier": document.fichier.name,
        "type": document.type_mime,
    }


def message(document: Document, destinataire: str) -> tuple[str, str]:
    """Subject and body of the e-mail carrying a document."""
    dossier = document.dossier
    beneficiaire = dossier.beneficiaire
    referent = dossier.referent.get_full_name() or dossier.referent.username
    organisation = Organisation.courante().raison_sociale
    sujet = f"{document.titre} — {beneficiaire.prenom} {beneficiaire.nom}"
    if destinataire == "beneficiaire":
        corps = (
            f"Bonjour {beneficiaire.prenom},\n\nVeuillez trouver ci-joint votre document "
            f"« {document.titre} » (prestation « {dossier.prestation} »)."
        )
    else:
        corps = (
            f"Bonjour,\n\nVeuillez trouver ci-joint le document « {document.titre} » de "
            f"{beneficiaire.prenom} {beneficiaire.nom} (prestation « {dossier.prestation} »)."
        )
    if document.version > 1:
        corps += f"\n\nCette version {document.version} remplace la précédente ({document.raison})."
    corps += (
        f"\n\nEmpreinte SHA-256 : {document.sha256}\n\nCordialement,\n{referent}\n{organisation}"
    )
    return sujet, corps


def adresses(dossier: Dossier, destinataire: str) -> list[tuple[str, str]]:
    """(label, e-mail) of bénéficiaire / financeur / référent, as notifications sees them."""
    from evenements.natures import ActionIgnoree
    from notifications.actions import destinataires
    from notifications.models import ModeleNotification

    try:
        return destinataires(
            ModeleNotification(destinataire=destinataire, canal=ModeleNotification.Canal.EMAIL),
            dossier,
        )
    except ActionIgnoree as exc:
        raise ValidationError({"destinataire": str(exc)}) from exc


DESTINATAIRES = [
    ("beneficiaire", "Bénéficiaire"),
    ("financeur", "Financeur"),
    ("referent", "Référent"),
]


def envoyer_document(*, document: Document, destinataire: str, par) -> list:
    """E-mail the document as an attachment, through the notifications delivery log."""
    from notifications.envois import programmer_email

    _exiger(par, document.dossier, "documents.add_document")
    if destinataire not in dict(DESTINATAIRES):
        raise ValidationError({"destinataire": "Choisissez un destinataire."})
    if document.annule_le:
        raise ValidationError("Un document annulé ne s'envoie pas.")
    sujet, corps = message(document, destinataire)
    jeton = uuid.uuid4().hex[:12]
    return [
        programmer_email(
            cle=f"document-{document.pk}:{adresse}:{jeton}",
            dossier=document.dossier,
            destinataire=libelle,
            adresse=adresse,
            sujet=sujet,
            corps=corps,
            pieces_jointes=[piece_jointe(document)],
            par=par,
        )
        for libelle, adresse in adresses(document.dossier, destinataire)
    ]
