"""EN 16931 checks of an invoice's XML: the factur-x schema, and the business rules (BR-…)
that a schema cannot express — totals that add up, one VAT breakdown per category, category E
with its exemption reason, a credit note referencing its invoice.

Only the rules that our invoices can break are written here, each named by its code.
"""

from collections import defaultdict
from decimal import Decimal

import facturx
from lxml import etree

from facturation.argent import CENT, ZERO, arrondir
from facturation.cii import NS, PROFIL, TYPE_AVOIR


class FactureNonConforme(Exception):
    def __init__(self, erreurs: list[str]):
        super().__init__("; ".join(erreurs))
        self.erreurs = erreurs


def _d(element, chemin: str) -> Decimal | None:
    texte = element.findtext(chemin, namespaces=NS)
    return Decimal(texte) if texte not in (None, "") else None


def _t(element, chemin: str) -> str:
    return (element.findtext(chemin, namespaces=NS) or "").strip()


def regles_metier(xml: bytes) -> list[str]:
    racine = etree.fromstring(xml)
    erreurs: list[str] = []

    def exiger(condition: bool, code: str, message: str) -> None:
        if not condition:
            erreurs.append(f"{code} : {message}")

    accord = racine.find(".//ram:ApplicableHeaderTradeAgreement", NS)
    reglement = racine.find(".//ram:ApplicableHeaderTradeSettlement", NS)
    totaux = reglement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    vendeur = accord.find("ram:SellerTradeParty", NS)
    acheteur = accord.find("ram:BuyerTradeParty", NS)

    exiger(
        _t(racine, ".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == PROFIL,
        "BR-01",
        "identifiant de spécification EN 16931 absent",
    )
    exiger(bool(_t(racine, "rsm:ExchangedDocument/ram:ID")), "BR-02", "numéro de facture absent")
    exiger(
        bool(_t(racine, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")),
        "BR-03",
        "date d'émission absente",
    )
    type_code = _t(racine, "rsm:ExchangedDocument/ram:TypeCode")
    exiger(type_code in ("380", "381"), "BR-04", f"type de document inattendu ({type_code})")
    exiger(_t(reglement, "ram:InvoiceCurrencyCode") == "EUR", "BR-05", "devise absente")
    exiger(bool(_t(vendeur, "ram:Name")), "BR-06", "nom du vendeur absent")
    exiger(bool(_t(acheteur, "ram:Name")), "BR-07", "nom de l'acheteur absent")
    exiger(vendeur.find("ram:PostalTradeAddress", NS) is not None, "BR-08", "adresse du vendeur")
    exiger(bool(_t(vendeur, "ram:PostalTradeAddress/ram:CountryID")), "BR-09", "pays du vendeur")
    exiger(acheteur.find("ram:PostalTradeAddress", NS) is not None, "BR-10", "adresse acheteur")
    exiger(bool(_t(acheteur, "ram:PostalTradeAddress/ram:CountryID")), "BR-11", "pays acheteur")
    for code, chemin in (
        ("BR-12", "ram:LineTotalAmount"),
        ("BR-13", "ram:TaxBasisTotalAmount"),
        ("BR-14", "ram:GrandTotalAmount"),
        ("BR-15", "ram:DuePayableAmount"),
    ):
        exiger(_d(totaux, chemin) is not None, code, f"{chemin.split(':')[1]} absent")
    lignes = racine.findall(".//ram:IncludedSupplyChainTradeLineItem", NS)
    exiger(bool(lignes), "BR-16", "au moins une ligne")
    if erreurs:
        return erreurs

    bases: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    somme_lignes = ZERO
    for ligne in lignes:
        montant = _d(
            ligne, ".//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
        )
        categorie = _t(
            ligne, ".//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"
        )
        taux = _d(
            ligne,
            ".//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent",
        )
        exiger(montant is not None, "BR-24", "montant net de ligne absent")
        exiger(bool(categorie), "BR-CO-04", "catégorie de TVA de ligne absente")
        if categorie == "E":
            exiger(taux == ZERO, "BR-E-05", "taux d'une ligne exonérée non nul")
        if categorie == "S":
            exiger(taux is not None and taux > 0, "BR-S-05", "taux d'une ligne S nul")
        somme_lignes += montant or ZERO
        bases[(categorie, taux or ZERO)] += montant or ZERO

    total_lignes = _d(totaux, "ram:LineTotalAmount")
    base_totale = _d(totaux, "ram:TaxBasisTotalAmount")
    tva_totale = _d(totaux, "ram:TaxTotalAmount") or ZERO
    ttc = _d(totaux, "ram:GrandTotalAmount")
    acompte = _d(totaux, "ram:TotalPrepaidAmount") or ZERO
    du = _d(totaux, "ram:DuePayableAmount")
    exiger(
        total_lignes == arrondir(somme_lignes),
        "BR-CO-10",
        f"somme des lignes {arrondir(somme_lignes)} ≠ total des lignes {total_lignes}",
    )
    exiger(base_totale == total_lignes, "BR-CO-13", "base HT ≠ total des lignes (sans remise)")
    exiger(
        ttc == base_totale + tva_totale,
        "BR-CO-15",
        f"TTC {ttc} ≠ HT {base_totale} + TVA {tva_totale}",
    )
    exiger(du == ttc - acompte, "BR-CO-16", f"net à payer {du} ≠ TTC {ttc} − acomptes {acompte}")

    ventilations = reglement.findall("ram:ApplicableTradeTax", NS)
    exiger(bool(ventilations), "BR-CO-18", "aucune ventilation de TVA")
    vues = set()
    somme_tva = ZERO
    for ventilation in ventilations:
        categorie = _t(ventilation, "ram:CategoryCode")
        taux = _d(ventilation, "ram:RateApplicablePercent") or ZERO
        base = _d(ventilation, "ram:BasisAmount")
        montant = _d(ventilation, "ram:CalculatedAmount")
        cle = (categorie, taux)
        exiger(cle not in vues, "BR-CO-18", f"ventilation en double pour {categorie} {taux} %")
        vues.add(cle)
        exiger(
            base == arrondir(bases.get(cle, ZERO)),
            f"BR-{categorie}-08",
            f"base {base} ≠ somme des lignes {categorie} ({arrondir(bases.get(cle, ZERO))})",
        )
        exiger(
            montant == arrondir((base or ZERO) * taux / CENT),
            "BR-CO-17",
            f"TVA {montant} ≠ base × taux pour {categorie}",
        )
        somme_tva += montant or ZERO
        if categorie == "E":
            exiger(montant == ZERO, "BR-E-09", "TVA non nulle en catégorie E")
            exiger(
                bool(
                    _t(ventilation, "ram:ExemptionReason")
                    or _t(ventilation, "ram:ExemptionReasonCode")
                ),
                "BR-E-10",
                "motif d'exonération absent en catégorie E",
            )
    exiger(set(bases) == vues, "BR-CO-18", "une catégorie de ligne n'a pas sa ventilation de TVA")
    exiger(tva_totale == arrondir(somme_tva), "BR-CO-14", "total TVA ≠ somme des ventilations")
    tva_vendeur = vendeur.findall("ram:SpecifiedTaxRegistration/ram:ID", NS)
    if any(c in ("S", "E") for c, _ in vues):
        exiger(bool(tva_vendeur), "BR-S-02/BR-E-02", "identifiant de TVA du vendeur absent")
    for identifiant in tva_vendeur:
        exiger((identifiant.text or "")[:2].isalpha(), "BR-CO-09", "préfixe pays du n° de TVA")
    moyen = reglement.find("ram:SpecifiedTradeSettlementPaymentMeans", NS)
    if moyen is not None and _t(moyen, "ram:TypeCode") == "58":
        exiger(bool(_t(moyen, ".//ram:IBANID")), "BR-61", "IBAN absent pour un virement SEPA")
    if du and du > 0 and type_code != TYPE_AVOIR:
        exiger(
            reglement.find("ram:SpecifiedTradePaymentTerms", NS) is not None,
            "BR-CO-25",
            "échéance ou conditions de paiement absentes",
        )
    periode = reglement.find("ram:BillingSpecifiedPeriod", NS)
    if periode is not None:
        debut = _t(periode, "ram:StartDateTime/udt:DateTimeString")
        fin = _t(periode, "ram:EndDateTime/udt:DateTimeString")
        exiger(not (debut and fin) or fin >= debut, "BR-29", "fin de période avant son début")
    if type_code == TYPE_AVOIR:
        exiger(
            bool(_t(reglement, "ram:InvoiceReferencedDocument/ram:IssuerAssignedID")),
            "BR-55",
            "un avoir doit référencer la facture qu'il corrige",
        )
    return erreurs


def verifier(xml: bytes) -> list[str]:
    """Every error: the factur-x schema (XSD, profile EN 16931) then the business rules."""
    erreurs = []
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as exc:  # the library raises a bare Exception with the XSD message
        erreurs.append(f"Schéma Factur-X EN 16931 : {exc}")
    return erreurs + regles_metier(xml)


def exiger_conforme(xml: bytes) -> None:
    erreurs = verifier(xml)
    if erreurs:
        raise FactureNonConforme(erreurs)
