from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dossiers.views import dossier_visible_ou_404
from notifications import services
from seances.models import JetonEmargement

LIENS_MONTRES = 100


def envois(request, dossier_pk):
    """The dossier's delivery log: every message, to whom, by which channel, in which state."""
    dossier = dossier_visible_ou_404(request, dossier_pk)
    envois = dossier.envois.select_related("action__evenement__type_evenement", "envoye_par")
    page = Paginator(envois, 50).get_page(request.GET.get("page"))
    # Signing links have their own outbox (seances), but they are messages the dossier sent.
    liens = JetonEmargement.objects.filter(participation__dossier=dossier).select_related(
        "participation__seance__type_seance", "cree_par"
    )[:LIENS_MONTRES]
    return render(
        request,
        "notifications/envois.html",
        {"dossier": dossier, "onglet": "envois", "page": page, "liens": liens},
    )


def alertes(request):
    """The user's own alerts, unread first by default."""
    toutes = request.GET.get("toutes") == "1"
    alertes = services.alertes_de(request.user).select_related(
        "dossier__beneficiaire", "dossier__prestation"
    )
    if not toutes:
        alertes = alertes.filter(lue_le__isnull=True)
    page = Paginator(alertes, 50).get_page(request.GET.get("page"))
    return render(request, "notifications/alertes.html", {"page": page, "toutes": toutes})


def _retour(request):
    suivant = request.POST.get("suivant")
    if suivant and url_has_allowed_host_and_scheme(suivant, allowed_hosts={request.get_host()}):
        return redirect(suivant)
    return redirect("notifications:alertes")


@require_POST
def marquer_lue(request, pk):
    alerte = get_object_or_404(services.alertes_de(request.user), pk=pk)
    services.marquer_lue(alerte=alerte, par=request.user)
    if request.POST.get("ouvrir") == "1":
        return redirect("dossiers:resume", pk=alerte.dossier_id)
    return _retour(request)


@require_POST
def tout_marquer_lu(request):
    nombre = services.tout_marquer_lu(par=request.user)
    messages.success(request, f"Alertes marquées comme lues : {nombre}.")
    return _retour(request)
