"""The restricted URL fetcher of every document (see documents.rendu)."""

import logging
import mimetypes
import posixpath
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from weasyprint.urls import URLFetcher, URLFetcherResponse

from documents.rendu import MEDIAS_AUTORISES, ORIGINE, RessourceRefusee

journal = logging.getLogger("documents.rendu")


class RecuperateurRestreint(URLFetcher):
    """WeasyPrint URL fetcher that serves our own static files and allowed media only."""

    def __init__(self, medias: Iterable[str] = (), pieces: dict | None = None):
        super().__init__(timeout=5, allowed_protocols=())
        self.medias = {m.lstrip("/") for m in medias}
        self.pieces = pieces or {}
        self.refusees: list[str] = []

    def _refuser(self, url: str, raison: str):
        self.refusees.append(url)
        journal.warning("Ressource refusée dans un document (%s) : %s", raison, url[:300])
        raise RessourceRefusee(f"Ressource refusée ({raison}) : {url[:300]}")

    def _chemin(self, url: str, prefixe: str) -> str:
        brut = unquote(url[len(prefixe) :].split("?")[0].split("#")[0])
        chemin = posixpath.normpath(brut)
        if "\x00" in brut or chemin.startswith(("..", "/")) or chemin in ("", "."):
            self._refuser(url, "chemin hors des racines autorisées")
        return chemin

    def fetch(self, url, headers=None):
        if url.startswith("data:"):  # inline, nothing is read or requested
            return super().fetch(url, headers)
        if url in self.pieces:
            contenu, type_mime = self.pieces[url]
            return URLFetcherResponse(url, contenu, {"Content-Type": type_mime})
        parties = urlsplit(url)
        if f"{parties.scheme}://{parties.netloc}" != ORIGINE:
            return self._refuser(url, "adresse extérieure")
        if parties.path.startswith("/static/"):
            chemin = self._chemin(parties.path, "/static/")
            fichier = finders.find(chemin)
            if not fichier:
                return self._refuser(url, "fichier statique introuvable")
            with open(fichier, "rb") as flux:
                contenu = flux.read()
        elif parties.path.startswith("/media/"):
            chemin = self._chemin(parties.path, "/media/")
            if chemin not in self.medias and not chemin.startswith(tuple(MEDIAS_AUTORISES)):
                return self._refuser(url, "média non autorisé pour ce document")
            try:
                with default_storage.open(chemin, "rb") as flux:
                    contenu = flux.read()
            except OSError:
                return self._refuser(url, "média introuvable")
        else:
            return self._refuser(url, "hors de /static/ et /media/")
        type_mime = mimetypes.guess_type(chemin)[0] or "application/octet-stream"
        return URLFetcherResponse(url, contenu, {"Content-Type": type_mime})
