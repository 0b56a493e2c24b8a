"""Control characters never enter through a form.

A carriage return in a name once broke every e-mail header built from it; a NUL byte is
refused by PostgreSQL. Every text field of every form (the app's through `SaisieNettoyee`,
the admin's through `nettoyer_admin`) normalises its input before validation:
single-line fields turn control characters and line separators into spaces; multi-line
fields (a Textarea) keep tabs and line breaks (CR LF and CR become LF) and drop the rest.
Passwords are left as typed.
"""

import re

from django import forms

_CONTROLES_LIGNE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SAUTS = re.compile(r"\r\n?|[\x85\u2028\u2029]")
_CONTROLES_TEXTE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def nettoyer(texte: str, *, multiligne: bool = False) -> str:
    if multiligne:
        return _CONTROLES_TEXTE.sub("", _SAUTS.sub("\n", texte))
    return _CONTROLES_LIGNE.sub(" ", texte.replace("\x00", ""))


def est_protege(champ: forms.Field) -> bool:
    return getattr(champ, "saisie_nettoyee", False)


def proteger(champ: forms.Field) -> None:
    """Make a text form field normalise what it receives (idempotent)."""
    if not a_proteger(champ) or est_protege(champ):
        return
    multiligne = isinstance(champ.widget, forms.Textarea)
    to_python = champ.to_python

    def to_python_nettoye(valeur):
        if isinstance(valeur, str):
            valeur = nettoyer(valeur, multiligne=multiligne)
        return to_python(valeur)

    champ.to_python = to_python_nettoye
    champ.saisie_nettoyee = True


def a_proteger(champ: forms.Field) -> bool:
    """Whether `proteger` applies to this field (for the test that walks every form)."""
    return (
        isinstance(champ, forms.CharField)
        and not isinstance(champ, forms.JSONField)
        and not isinstance(champ.widget, forms.PasswordInput)
    )


class SaisieNettoyee:
    """Form mixin. Fields added in __init__ (per event type) are covered too: the
    protection is applied when the form is cleaned."""

    def full_clean(self):
        for champ in self.fields.values():
            proteger(champ)
        super().full_clean()
        self._oublier_choix_illisibles()

    def _oublier_choix_illisibles(self) -> None:
        """The admin's autocomplete widget looks the submitted ids up again to display them:
        an id that is not a number was a 500. A refused choice is shown empty, its error
        beside it."""
        from django.contrib.admin.widgets import AutocompleteMixin

        def autocomplete(nom) -> bool:
            widget = self.fields[nom].widget
            widget = getattr(widget, "widget", widget)  # inside RelatedFieldWidgetWrapper
            return isinstance(widget, AutocompleteMixin)

        refuses = [nom for nom in (self._errors or {}) if nom in self.fields and autocomplete(nom)]
        if refuses:
            self.data = self.data.copy()
            for nom in refuses:
                self.data.pop(self.add_prefix(nom), None)


def avec_saisie_nettoyee(classe):
    if classe is None or issubclass(classe, SaisieNettoyee):
        return classe
    return type(classe.__name__, (SaisieNettoyee, classe), {"__module__": classe.__module__})


def nettoyer_admin() -> None:
    """Give every registered ModelAdmin and inline form the mixin (run once all admin
    modules are imported), so no admin form can forget it."""
    from django.contrib.admin.sites import all_sites

    for site in all_sites:
        for modele_admin in site._registry.values():
            for attribut in ("form", "add_form"):
                if hasattr(modele_admin, attribut):
                    setattr(
                        modele_admin,
                        attribut,
                        avec_saisie_nettoyee(getattr(modele_admin, attribut)),
                    )
            for inline in modele_admin.inlines:
                inline.form = avec_saisie_nettoyee(inline.form)
            if modele_admin.list_editable:
                _nettoyer_liste_modifiable(modele_admin)


def _nettoyer_liste_modifiable(modele_admin) -> None:
    """The changelist's editable rows use a form of their own, built per request."""
    fabrique = modele_admin.get_changelist_form
    if getattr(fabrique, "saisie_nettoyee", False):
        return

    def get_changelist_form(request, **kwargs):
        return avec_saisie_nettoyee(fabrique(request, **kwargs))

    get_changelist_form.saisie_nettoyee = True
    modele_admin.get_changelist_form = get_changelist_form
