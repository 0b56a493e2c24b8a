"""System check: WeasyPrint needs Pango from the system; say which package to install."""

from django.core.checks import Warning, register


@register()
def pango_present(app_configs, **kwargs):
    from documents import rendu

    try:
        rendu._weasyprint()
    except rendu.PangoAbsent as exc:
        return [
            Warning(
                str(exc),
                hint="Sans Pango, Parcours fonctionne mais ne produit aucun PDF "
                "(attestations, certificats, factures).",
                id="documents.W001",
            )
        ]
    return []
