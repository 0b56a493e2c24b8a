"""The renderer: French formatting, escaping, fonts shipped, the restricted fetcher and
the restricted template engine."""

import datetime
import io
import logging
from decimal import Decimal

import pytest
from pypdf import PdfReader

from documents import rendu
from documents.models import MENTION_DECLARATION, Organisation
from documents.templatetags.documents_fr import date_fr, heures, montant


def texte(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_montants_et_dates_a_la_francaise():
    assert montant(Decimal("1234.56")) == "1\u202f234,56\u00a0€"
    assert montant("1234567.5") == "1\u202f234\u202f567,50\u00a0€"
    assert montant(Decimal("-0.005")) == "-0,01\u00a0€"
    assert date_fr(datetime.date(2026, 3, 1)) == "1er mars 2026"
    assert date_fr("2026-08-15") == "15 août 2026"
    assert heures(Decimal("12.50")) == "12,5\u00a0h"
    assert heures(Decimal("35")) == "35\u00a0h"


@pytest.mark.django_db
def test_identite_de_l_organisation_sur_chaque_document():
    Organisation.objects.create(
        raison_sociale="Horizons Formation",
        siret="12345678900012",
        numero_declaration_activite="84691234569",
        ville="Lyon",
    )
    pdf = rendu.rendre_pdf(rendu.rendre_html_depuis_source("<p>Bonjour</p>", {}))
    contenu = texte(pdf)
    assert "Horizons Formation" in contenu
    assert "12345678900012" in contenu
    assert "84691234569" in contenu
    assert MENTION_DECLARATION in contenu.replace("\n", " ")


@pytest.mark.django_db
def test_le_texte_saisi_est_echappe():
    html = rendu.rendre_html_depuis_source(
        "<p>{{ nom }}</p>", {"nom": '<img src="file:///etc/passwd">Zoé & Cie'}
    )
    assert "&lt;img" in html
    assert '<img src="file' not in html
    assert '<img src="file:///etc/passwd">Zoé & Cie' in texte(rendu.rendre_pdf(html))


@pytest.mark.django_db
def test_polices_livrees_avec_le_projet():
    pdf = rendu.rendre_pdf(rendu.rendre_html_depuis_source("<p>Texte <b>gras</b></p>", {}))
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    polices = {str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values()}
    # The family declared by @font-face from static/polices, not a system font.
    assert all("Parcours-Sans" in p for p in polices), polices


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/espion.png",
        "https://exemple.fr/espion.png",
        "/static/../config/settings.py",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/media/documents/autre-dossier.pdf",
        "/etc/passwd",
        "//exemple.fr/x.png",
    ],
)
def test_le_recuperateur_refuse_et_journalise(url, caplog):
    html = rendu.rendre_html_depuis_source(
        f'<img src="{url}"><link rel="stylesheet" href="{url}"><p>fin</p>', {}
    )
    with caplog.at_level(logging.WARNING, logger="documents.rendu"):
        pdf = rendu.rendre_pdf(html)
    assert "fin" in texte(pdf)
    refus = [r for r in caplog.records if r.name == "documents.rendu"]
    assert refus and all("Ressource refusée" in r.getMessage() for r in refus)


@pytest.mark.django_db
def test_le_recuperateur_sert_les_statiques_du_projet():
    recuperateur = rendu.RecuperateurRestreint()
    reponse = recuperateur.fetch(f"{rendu.ORIGINE}/static/polices/DejaVuSans.ttf")
    assert reponse.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    with pytest.raises(rendu.RessourceRefusee):
        recuperateur.fetch("file:///usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    assert recuperateur.refusees == ["file:///usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "source",
    [
        '{% include "documents/pdf/base.html" %}',
        '{% extends "documents/pdf/base.html" %}',
        "{% load static %}",
        '{% url "dossiers:liste" %}',
        "{% debug %}",
        "{{ nom|safe }}",
        "{% autoescape off %}{{ nom }}{% endautoescape %}",
    ],
)
def test_le_moteur_restreint_refuse_les_balises_dangereuses(source):
    with pytest.raises(rendu.TemplateSyntaxError):
        rendu.verifier_source(source)


def test_l_erreur_de_syntaxe_donne_la_ligne():
    source = "<p>ligne 1</p>\n<p>ligne 2</p>\n{% if %}\n"
    with pytest.raises(rendu.TemplateSyntaxError) as erreur:
        rendu.verifier_source(source)
    assert rendu.ligne_erreur(source, erreur.value) == 3


@pytest.mark.django_db
def test_pdfa_et_pieces_jointes():
    pdf = rendu.rendre_pdf(
        rendu.rendre_html_depuis_source("<p>Facture</p>", {}),
        pdfa="pdf/a-3b",
        pieces_jointes=[("factur-x.xml", b"<rsm/>", "text/xml")],
    )
    lecteur = PdfReader(io.BytesIO(pdf))
    assert lecteur.attachments["factur-x.xml"] == [b"<rsm/>"]
    assert b"pdfaid" in lecteur.trailer["/Root"]["/Metadata"].get_object().get_data()
