from django.core.exceptions import ValidationError


def ajouter_erreurs(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to its field when the form has it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for champ, erreurs in exc.error_dict.items():
        form.add_error(champ if champ in form.fields else None, erreurs)
