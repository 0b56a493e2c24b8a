"""How a remote signing link leaves the building.

`seances` sits below `notifications` in the layering, so it cannot call its channels; the
notifications app registers its sender here from its AppConfig.ready(), as apps register
action kinds with evenements.natures.
"""

from collections.abc import Callable

# expedier(canal="email"|"sms", cle=..., adresse=..., sujet=..., corps=...) -> provider id;
# raises TransitoireEnvoi (retry later) or any other exception (failed for good).
_expediteur: dict[str, Callable] = {}


class TransitoireEnvoi(Exception):
    """Worth retrying later."""


def enregistrer_expediteur(expedier: Callable, transitoires: tuple = ()) -> None:
    _expediteur["expedier"] = expedier
    _expediteur["transitoires"] = transitoires


def expedier(**message) -> str:
    if "expedier" not in _expediteur:
        raise RuntimeError("Aucun canal d'envoi n'est enregistré (application notifications).")
    try:
        return _expediteur["expedier"](**message)
    except _expediteur["transitoires"] as exc:
        raise TransitoireEnvoi(str(exc)) from exc
