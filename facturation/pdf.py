"""The invoice PDF: rendered by the documents renderer (PDF/A-3), its EN 16931 XML checked
then embedded by the factur-x library. Built once from the frozen invoice, then kept."""

import hashlib
import logging

import facturx
from django.core.files.base import ContentFile

from documents import rendu
from documents.models import MENTION_DECLARATION
from facturation import cii, controles
from facturation.models import Facture
from facturation.services import ventilation_tva

# The library logs every step at INFO; its warnings and errors still show.
logging.getLogger("factur-x").setLevel(logging.WARNING)


def _organisation(vendeur: dict) -> dict:
    """The seller as frozen on the invoice, in the shape documents/pdf/base.html expects."""
    lignes = [x.strip() for x in (vendeur.get("adresse") or "").splitlines() if x.strip()]
    ville = f"{vendeur.get('code_postal', '')} {vendeur.get('ville', '')}".strip()
    return {
        **vendeur,
        "adresse_lignes": lignes + ([ville] if ville else []),
        "mention_declaration": MENTION_DECLARATION
        if vendeur.get("numero_declaration_activite")
        else "",
    }


def html(facture: Facture) -> str:
    lignes = list(facture.lignes.all())
    return rendu.rendre_html(
        "facturation/pdf/facture.html",
        {
            "facture": facture,
            "lignes": lignes,
            "ventilation": ventilation_tva(lignes),
            "vendeur": facture.vendeur,
            "acheteur": facture.acheteur,
            "organisation": _organisation(facture.vendeur),
            "mentions": [m for m in cii.mentions_legales(facture) if m[0] != "REG"],
            "exoneree": any(ligne.categorie_tva == "E" for ligne in lignes),
            "exoneration": cii.EXONERATION,
        },
    )


def generer(facture: Facture) -> bytes:
    """PDF/A-3 with factur-x.xml embedded; refuses an XML that breaks EN 16931."""
    xml = cii.construire(facture)
    controles.exiger_conforme(xml)
    pdf = rendu.rendre_pdf(html(facture), pdfa="pdf/a-3b")
    return facturx.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata={
            "author": facture.vendeur.get("raison_sociale", ""),
            "keywords": "Factur-X, facture",
            "title": str(facture),
            "subject": f"{facture} — {facture.acheteur.get('raison_sociale', '')}",
        },
        lang="fr-FR",
    )


def pdf_de(facture: Facture) -> bytes:
    """The stored PDF of a validated invoice, built on first request (immutable afterwards)."""
    if facture.numero is None:
        raise ValueError("Un brouillon n'a pas de PDF.")
    if facture.pdf:
        with facture.pdf.open("rb") as fichier:
            return fichier.read()
    contenu = generer(facture)
    facture.pdf.save(f"{facture.numero}.pdf", ContentFile(contenu), save=False)
    facture.pdf_sha256 = hashlib.sha256(contenu).hexdigest()
    Facture.objects.filter(pk=facture.pk).update(
        pdf=facture.pdf.name, pdf_sha256=facture.pdf_sha256
    )
    return contenu
