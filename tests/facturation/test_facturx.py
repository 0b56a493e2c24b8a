"""The EN 16931 XML of every invoice and avoir: factur-x schema and business rules."""

import datetime
from decimal import Decimal as D

import pytest
from lxml import etree

from facturation import cii, controles, echeancier, services
from facturation.models import Echeance, EtatEcheance


@pytest.fixture
def facture(dossier, convention, gestionnaire, saisir):
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree")
    saisir(dossier, "validation-etape", valeurs={"etape": "Projet"})
    echeances = Echeance.objects.filter(dossier=dossier, etat=EtatEcheance.A_FACTURER)
    (brouillon,) = services.facturer(echeances=echeances, par=gestionnaire)
    return services.valider_facture(
        facture=brouillon, par=gestionnaire, aujourd_hui=datetime.date(2026, 11, 2)
    )


def texte(xml, chemin):
    return etree.fromstring(xml).findtext(chemin, namespaces=cii.NS)


def test_facture_exoneree_conforme(facture):
    xml = cii.construire(facture)
    assert controles.verifier(xml) == []
    assert texte(xml, ".//ram:DuePayableAmount") == "1960.00"
    assert texte(xml, "rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert (
        texte(xml, ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode")
        == "E"
    )
    assert "261-4-4° a du CGI" in texte(xml, ".//ram:ExemptionReason")
    notes = " ".join(
        etree.fromstring(xml).xpath("//ram:IncludedNote/ram:Content/text()", namespaces=cii.NS)
    )
    assert "ne vaut pas agrément de l'État" in notes
    assert "40 €" in notes


def test_facture_avec_tva_conforme(dossier, convention, gestionnaire, saisir, organisation):
    organisation["exoneree_tva"] = False
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree")
    (brouillon,) = services.facturer(
        echeances=Echeance.objects.filter(etat="a_facturer"), par=gestionnaire
    )
    facture = services.valider_facture(facture=brouillon, par=gestionnaire)
    xml = cii.construire(facture)
    assert controles.verifier(xml) == []
    assert texte(xml, ".//ram:TaxTotalAmount") == "168.00"
    assert texte(xml, ".//ram:GrandTotalAmount") == "1008.00"


def test_avoir_type_381_reference_sa_facture(facture, gestionnaire):
    avoir = services.proposer_avoir(
        facture=facture,
        echeances=[facture.lignes.last().echeance],
        par=gestionnaire,
        motif="Erreur",
    )
    avoir = services.valider_facture(facture=avoir, par=gestionnaire)
    xml = cii.construire(avoir)
    assert controles.verifier(xml) == []
    assert texte(xml, "rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert texte(xml, ".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == "FAC-2026-00001"
    assert cii.total_du(xml) == D("1120.00")


def test_les_regles_metier_detectent_un_total_faux(facture):
    xml = cii.construire(facture).replace(
        b"<ram:GrandTotalAmount>1960.00", b"<ram:GrandTotalAmount>1961.00"
    )
    erreurs = controles.regles_metier(xml)
    assert any(e.startswith("BR-CO-15") for e in erreurs)


def test_categorie_e_sans_motif_detectee(facture):
    racine = etree.fromstring(cii.construire(facture))
    for motif in racine.xpath("//ram:ExemptionReason", namespaces=cii.NS):
        motif.getparent().remove(motif)
    erreurs = controles.regles_metier(etree.tostring(racine))
    assert erreurs == ["BR-E-10 : motif d'exonération absent en catégorie E"]


def test_avoir_sans_reference_detecte(facture):
    xml = cii.construire(facture).replace(
        b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>381</ram:TypeCode>"
    )
    assert "BR-55 : un avoir doit référencer la facture qu'il corrige" in controles.regles_metier(
        xml
    )


def lire_pdf(contenu):
    import io

    from pypdf import PdfReader

    lecteur = PdfReader(io.BytesIO(contenu))
    texte = " ".join(" ".join(page.extract_text() for page in lecteur.pages).split())
    return lecteur, texte


def test_pdf_factur_x_embarque_le_xml_et_montre_les_montants(facture):
    from facturation.pdf import pdf_de

    contenu = pdf_de(facture)
    lecteur, texte = lire_pdf(contenu)
    assert list(lecteur.attachments) == ["factur-x.xml"]
    xml = lecteur.attachments["factur-x.xml"][0]
    assert controles.verifier(xml) == []
    assert cii.total_du(xml) == D("1960.00")
    assert "FACTURE N° FAC-2026-00001" in texte.upper()
    assert "1 960,00 €" in texte
    assert "art. 261-4-4° a du CGI" in texte
    assert "ne vaut pas agrément de l'État" in texte
    assert "SIREN 130005481" in texte
    assert "40 €" in texte
    assert b"pdfaid:part" in lecteur.xmp_metadata.stream.get_data()  # PDF/A identification
    facture.refresh_from_db()
    assert facture.pdf_sha256 and pdf_de(facture) == contenu  # kept, not rebuilt


def test_pdf_d_un_avoir(facture, gestionnaire):
    from facturation.pdf import pdf_de

    avoir = services.valider_facture(
        facture=services.proposer_avoir(facture=facture, par=gestionnaire, motif="Erreur"),
        par=gestionnaire,
    )
    lecteur, texte = lire_pdf(pdf_de(avoir))
    xml = lecteur.attachments["factur-x.xml"][0]
    assert controles.verifier(xml) == []
    assert texte.count("AV-2026-00001") >= 1
    assert "Avoir sur la facture n° FAC-2026-00001" in texte
