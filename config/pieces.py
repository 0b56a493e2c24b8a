"""Uploaded pièces: what we accept is decided by the content (magic bytes), not the name."""

import io
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

# type → (MIME type, extensions accepted for it, label)
TYPES = {
    "pdf": ("application/pdf", {".pdf"}, "PDF"),
    "png": ("image/png", {".png"}, "PNG"),
    "jpeg": ("image/jpeg", {".jpg", ".jpeg"}, "JPEG"),
    "odt": ("application/vnd.oasis.opendocument.text", {".odt"}, "ODT"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        {".docx"},
        "DOCX",
    ),
}
AUTORISES = ", ".join(libelle for _, _, libelle in TYPES.values())


def taille_max() -> int:
    return getattr(settings, "DOCUMENTS_TAILLE_MAX_MO", 10) * 1024 * 1024


def _zip(contenu: bytes) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(contenu))
        noms = set(archive.namelist())
        if "mimetype" in noms and archive.read("mimetype").strip() == TYPES["odt"][0].encode():
            return "odt"
        if "[Content_Types].xml" in noms and "word/document.xml" in noms:
            return "docx"
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
        return None
    return None


def reconnaitre(contenu: bytes) -> str | None:
    """The type the bytes actually are, or None."""
    if contenu.startswith(b"%PDF-"):
        return "pdf"
    if contenu.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if contenu.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if contenu.startswith(b"PK\x03\x04"):
        return _zip(contenu)
    return None


def verifier(nom: str, contenu: bytes) -> str:
    """The MIME type of an acceptable upload; ValidationError with a French message otherwise."""
    if not contenu:
        raise ValidationError({"fichier": "Le fichier est vide."})
    if len(contenu) > taille_max():
        mo = taille_max() // (1024 * 1024)
        raise ValidationError({"fichier": f"Le fichier dépasse la taille maximale de {mo} Mo."})
    extension = Path(nom).suffix.lower()
    attendu = next((code for code, (_, exts, _) in TYPES.items() if extension in exts), None)
    if attendu is None:
        raise ValidationError(
            {
                "fichier": f"Type de fichier refusé ({extension or 'sans extension'}). "
                f"Types acceptés : {AUTORISES}."
            }
        )
    reel = reconnaitre(contenu)
    if reel != attendu:
        raise ValidationError(
            {
                "fichier": f"Le contenu du fichier ne correspond pas à son extension "
                f"{extension} : ce n'est pas un {TYPES[attendu][2]} valide."
            }
        )
    return TYPES[reel][0]
