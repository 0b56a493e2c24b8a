"""The one renderer: Django templates to HTML, HTML to PDF by WeasyPrint.

Every document is laid out from `documents/pdf/base.html` (organisation identity, fonts
shipped in static/polices, French formatting filters). Resources are fetched by
`RecuperateurRestreint`: the document's base URL is a fake origin, `/static/…` is served
from the project's static files, `/media/…` only for the organisation's images and the
media a caller names; anything else (file://, http(s)://, other hosts, `..`) is refused
and logged, so a template cannot make the server read or request anything else.
"""

from collections.abc import Iterable

from django.template import TemplateSyntaxError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from documents.templatetags import documents_fr
from notifications import gabarits

# Base URL of every document: a reserved name (RFC 2606) never resolved; the fetcher maps it.
ORIGINE = "https://parcours.invalid"
# Media any document may show (the organisation's logo and signature).
MEDIAS_AUTORISES: list[str] = ["organisation/"]
GABARIT_BASE = "documents/pdf/base.html"
GABARIT_MODELE = "documents/pdf/modele.html"


class RessourceRefusee(ValueError):
    """A document asked for something outside the allowed roots."""


def _contexte_commun(contexte: dict) -> dict:
    communs = {"date_document": timezone.localdate()}
    if "organisation" not in contexte:
        from documents.models import Organisation

        communs["organisation"] = Organisation.courante().en_contexte()
    return {**communs, **contexte}


def rendre_html(template_name: str, contexte: dict) -> str:
    """A file template (usually extending documents/pdf/base.html) to HTML."""
    return render_to_string(template_name, _contexte_commun(contexte))


# --- the restricted engine for administrator-edited templates ---

# The notifications' restricted engine (whitelisted tags and filters, no include, extends,
# load, url…), with the French filters; debug keeps a syntax error's line for the admin.
moteur_restreint = gabarits.MoteurRestreint(bibliotheques=[documents_fr.register], debug=True)


def verifier_source(source: str) -> None:
    """Raise TemplateSyntaxError (with the line in `template_debug`) for a bad template."""
    moteur_restreint.from_string(source)


def ligne_erreur(source: str, erreur: TemplateSyntaxError) -> int | None:
    """The 1-based line of a syntax error, for a message the administrator can act on."""
    info = getattr(erreur, "template_debug", None)
    if info:
        return info.get("line")
    return None


def rendre_html_depuis_source(source: str, contexte: dict) -> str:
    """An administrator-edited template body, rendered through the restricted engine and
    laid out in the base document (organisation identity, fonts)."""
    contexte = _contexte_commun(contexte)
    corps = gabarits.rendre(source, contexte, autoescape=True, moteur=moteur_restreint)
    titre = contexte.get("titre", "")
    return render_to_string(GABARIT_MODELE, {**contexte, "titre": titre, "corps": mark_safe(corps)})


# --- PDF ---

PANGO_ABSENT = (
    "WeasyPrint ne trouve pas Pango, nécessaire pour produire les PDF. Installez-le : "
    "sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 (Debian/Ubuntu)."
)


class PangoAbsent(RuntimeError):
    pass


def _weasyprint():
    """Imported on first use: without Pango the rest of Parcours still starts, and the
    system check (documents.checks) says which package to install."""
    try:
        from weasyprint import HTML, Attachment
        from weasyprint.text.fonts import FontConfiguration

        from documents.recuperateur import RecuperateurRestreint
    except OSError as exc:
        raise PangoAbsent(f"{PANGO_ABSENT} ({exc})") from exc
    return HTML, Attachment, FontConfiguration, RecuperateurRestreint


def __getattr__(nom: str):
    if nom == "RecuperateurRestreint":
        return _weasyprint()[3]
    raise AttributeError(nom)


def rendre_pdf(
    html: str,
    *,
    pdfa: str | None = None,
    pieces_jointes: Iterable[tuple[str, bytes, str]] = (),
    medias: Iterable[str] = (),
) -> bytes:
    """HTML to PDF. `pdfa` e.g. "pdf/a-3b" for archival documents; `pieces_jointes` are
    (file name, content, MIME type) embedded in the PDF; `medias` are storage names of
    extra media this document may show (e.g. signature images)."""
    HTML, Attachment, FontConfiguration, RecuperateurRestreint = _weasyprint()
    pieces_jointes = list(pieces_jointes)  # read twice below
    pieces = {
        f"{ORIGINE}/pieces-jointes/{rang}": (contenu, type_mime)
        for rang, (_, contenu, type_mime) in enumerate(pieces_jointes)
    }
    recuperateur = RecuperateurRestreint(medias=medias, pieces=pieces)
    jointes = [
        Attachment(
            url=f"{ORIGINE}/pieces-jointes/{rang}",
            url_fetcher=recuperateur,
            name=nom,
            relationship="Data",
        )
        for rang, (nom, _, _) in enumerate(pieces_jointes)
    ]
    polices = FontConfiguration()
    document = HTML(string=html, base_url=f"{ORIGINE}/", url_fetcher=recuperateur)
    return document.write_pdf(
        font_config=polices,
        pdf_variant=pdfa,
        attachments=jointes or None,
        uncompressed_pdf=False,
    )


__all__ = [
    "ORIGINE",
    "RessourceRefusee",
    "TemplateSyntaxError",
    "ligne_erreur",
    "rendre_html",
    "rendre_html_depuis_source",
    "rendre_pdf",
    "verifier_source",
]
