"""Session idle timeout, the client address for login throttling, and template flags."""

import time

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.shortcuts import render

from config.admin_site import peut_administrer

CLE_ACTIVITE = "_parcours_activite"
# An active session is saved at most once a minute: each save pushes its expiry back by
# SESSION_COOKIE_AGE, so a session idle for that long expires (server side too).
RAFRAICHISSEMENT_SECONDES = 60


class InactiviteMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated:
            maintenant = int(time.time())
            if maintenant - session.get(CLE_ACTIVITE, 0) >= RAFRAICHISSEMENT_SECONDES:
                session[CLE_ACTIVITE] = maintenant
        return self.get_response(request)


def noter_activite_a_la_connexion(sender, request, user, **kwargs):
    """user_logged_in receiver: the first request after login need not save the session."""
    if request is not None and hasattr(request, "session"):
        request.session[CLE_ACTIVITE] = int(time.time())


def adresse_client(request) -> str | None:
    """REMOTE_ADDR, or the address the Nth trusted proxy saw (PROXIES_DE_CONFIANCE)."""
    nombre = settings.PROXIES_DE_CONFIANCE
    if nombre > 0:
        chaine = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        chaine = [a for a in chaine if a]
        if len(chaine) >= nombre:
            return chaine[-nombre]
    return request.META.get("REMOTE_ADDR")


def contexte(request) -> dict:
    """Template flags: computed only when a template asks."""
    return {"peut_administrer": lambda: peut_administrer(request.user)}


def reponse_verrouillage(request, original_response=None, credentials=None):
    """django-axes lockout page, in French, for the app's and the admin's login."""
    delai = get_cool_off(request)
    contexte_page = {
        "username": get_client_username(request, credentials) or "",
        "minutes": int(delai.total_seconds() // 60) if delai else None,
    }
    return render(request, "registration/verrouille.html", contexte_page, status=429)
