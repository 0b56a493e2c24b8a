"""Registry of action kinds. `evenements` knows *that* an action runs; the owning app,
by registering a Nature, knows *how*: adding a kind is one handler in its app."""

from dataclasses import dataclass
from typing import Protocol


class ActionIgnoree(Exception):
    """Nothing to do, for a reason the user should see (no address, no consent…)."""


class ErreurTransitoire(Exception):
    """Worth retrying later (SMTP down, provider 5xx)."""


class IssueIncertaine(Exception):
    """The outcome of an attempt is unknown (the server may have the message): never retried
    blindly. The action waits "à vérifier" until a person chooses to send again or to close.
    The message is the facts a person needs (when, which server, which Message-ID)."""


class Nature(Protocol):
    code: str
    libelle: str
    # The subclass of ActionConfiguree holding its parameters (for select_related).
    parametres: str

    def decrire(self, configuration, dossier=None) -> str:
        """What the action does, in French, e.g. for the form's preview."""

    def executer(self, action) -> str:
        """Do it, idempotently; return the result shown to users.

        Raises ActionIgnoree, ErreurTransitoire (retried), IssueIncertaine (a person decides;
        do it again only once `action.reprise_autorisee_le` is later than the doubtful
        attempt) or any other exception (failure)."""

    def compensation(self, action) -> str:
        """The compensation proposed when its event is corrected."""

    def compenser(self, action, correction) -> str:
        """Carry out the compensation (the correction action) once a user confirms."""

    # Optional: `lot(actions)`, a context manager around a batch of this kind's actions
    # (pipeline.executer_lot): load their data in bulk, write what must be on record before
    # any risk for all of them at once, keep one connection to a server; `executer` is then
    # called for each, in order, inside it.
    # Optional: `concerne(dossier) -> bool`. False: nothing to do for this dossier (billing
    # without a convention), so no outbox row is written and the preview does not list it.
    # A function of the dossier only: kinds sharing one implementation ask it once per event.
    # Optional with it: `concerne_sql() -> Expression`, the same test as a boolean expression
    # on the dossier (OuterRef("pk")): a recording then asks it within a read it makes anyway.


@dataclass
class _Registre:
    natures: dict


_registre = _Registre(natures={})


def enregistrer(nature: Nature) -> None:
    _registre.natures[nature.code] = nature


def nature(code: str) -> Nature:
    return _registre.natures[code]


def natures() -> dict:
    return dict(_registre.natures)


def concerne(configuration, dossier) -> bool:
    fonction = getattr(nature(configuration.nature), "concerne", None)
    return fonction is None or fonction(dossier)


def chemins_parametres(prefixe: str | None = "configuration") -> list[str]:
    """select_related paths that load every kind's parameters with the configuration."""
    debut = f"{prefixe}__" if prefixe else ""
    return [f"{debut}{n.parametres}" for n in _registre.natures.values()]
