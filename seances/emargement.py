"""Signature images: decoded, size-limited and checked with Pillow before anything is kept."""

import base64
import binascii
import io

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

LARGEUR_MAX, HAUTEUR_MAX = 2000, 1200
PREFIXE = "data:image/png;base64,"


def depuis_data_url(valeur: str) -> bytes:
    """The canvas sends a PNG data URL; anything else is refused in French."""
    valeur = (valeur or "").strip()
    if not valeur:
        raise ValidationError({"signature": ["Signez dans le cadre avant de valider."]})
    if not valeur.startswith(PREFIXE):
        raise ValidationError({"signature": ["La signature doit être une image PNG."]})
    # base64 inflates by 4/3: refuse before decoding a huge payload.
    if len(valeur) > settings.EMARGEMENT_IMAGE_MAX_OCTETS * 4 // 3 + len(PREFIXE) + 4:
        raise ValidationError({"signature": [_trop_lourde()]})
    try:
        return base64.b64decode(valeur[len(PREFIXE) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError({"signature": ["La signature reçue est illisible."]}) from exc


def _trop_lourde() -> str:
    return (
        f"La signature est trop lourde (maximum {settings.EMARGEMENT_IMAGE_MAX_OCTETS // 1000} ko)."
    )


def image_verifiee(contenu: bytes) -> bytes:
    """The PNG bytes, if they are a real, reasonably sized, non-blank PNG image."""
    if len(contenu) > settings.EMARGEMENT_IMAGE_MAX_OCTETS:
        raise ValidationError({"signature": [_trop_lourde()]})
    try:
        with Image.open(io.BytesIO(contenu)) as image:
            image.verify()
        with Image.open(io.BytesIO(contenu)) as image:
            if image.format != "PNG":
                raise ValidationError({"signature": ["La signature doit être une image PNG."]})
            largeur, hauteur = image.size
            if largeur > LARGEUR_MAX or hauteur > HAUTEUR_MAX or largeur < 20 or hauteur < 10:
                raise ValidationError(
                    {"signature": ["Les dimensions de la signature ne sont pas acceptées."]}
                )
            niveaux = image.convert("LA").getextrema()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            {"signature": ["Le fichier reçu n'est pas une image valide."]}
        ) from exc
    (gris_min, gris_max), (alpha_min, alpha_max) = niveaux
    if alpha_max == 0 or (alpha_min == alpha_max and gris_min == gris_max):
        raise ValidationError({"signature": ["La signature est vide : signez dans le cadre."]})
    return contenu
