from django.core.paginator import Paginator
from django.shortcuts import render

from dossiers.views import dossier_visible_ou_404


def envois(request, dossier_pk):
    """The dossier's delivery log: every message, to whom, by which channel, in which state."""
    dossier = dossier_visible_ou_404(request, dossier_pk)
    envois = dossier.envois.select_related("action__evenement__type_evenement", "envoye_par")
    page = Paginator(envois, 50).get_page(request.GET.get("page"))
    return render(
        request, "notifications/envois.html", {"dossier": dossier, "onglet": "envois", "page": page}
    )
