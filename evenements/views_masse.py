"""Bulk recording pages: the confirmation step and the summary.

The dossier list POSTs the checked dossiers here; the séance page (seances app) POSTs its
participants to its own view, which uses `confirmer_et_enregistrer` with the same pages.
Everything is POST until the work is done, then the summary is a GET (refreshing it records
nothing twice): the outcome is kept in the session under a random key.
"""

import datetime
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from config.erreurs import ajouter_erreurs
from dossiers.droits import dossiers_visibles
from evenements import masse
from evenements.forms import SaisieMasseForm
from evenements.models import TypeEvenement

SESSION_BILANS = "bilans_masse"
BILANS_GARDES = 5


def _chemin_local(request, valeur: str | None, defaut: str) -> str:
    if (
        valeur
        and valeur.startswith("/")
        and url_has_allowed_host_and_scheme(valeur, allowed_hosts={request.get_host()})
    ):
        return valeur
    return defaut


def confirmer_et_enregistrer(
    request,
    *,
    ids: list,
    types,
    initial: dict,
    titre: str,
    action: str,
    retour: str,
):
    """First POST (no "confirmer"): the confirmation page. Second POST: record, keep the
    outcome, redirect to the summary. `ids` are the dossiers asked for (the service checks
    each); `types` the choosable types; `action` the URL the confirmation posts to."""
    if "confirmer" in request.POST:
        form = SaisieMasseForm(request.POST, types=types)
        if form.is_valid():
            try:
                bilan = masse.enregistrer_en_masse(
                    dossiers=ids,
                    type_evenement=form.cleaned_data["type_evenement"],
                    date=form.cleaned_data["date"],
                    commentaire=form.cleaned_data["commentaire"],
                    par=request.user,
                )
            except ValidationError as exc:
                ajouter_erreurs(form, exc)
            else:
                return HttpResponseRedirect(_garder(request, bilan, retour))
        type_evenement = form.cleaned_data.get("type_evenement") or initial["type_evenement"]
        date = form.cleaned_data.get("date") or initial["date"]
    else:
        form = SaisieMasseForm(initial={**initial, "dossiers": ids}, types=types)
        type_evenement, date = initial["type_evenement"], initial["date"]
    date = date if isinstance(date, datetime.date) else initial["date"]
    try:
        lignes = masse.apercu(
            dossiers=ids, type_evenement=type_evenement, date=date, par=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(retour)
    a_refuser = sum(1 for ligne in lignes if ligne.raison)
    return render(
        request,
        "evenements/masse_confirmer.html",
        {
            "form": form,
            "titre": titre,
            "action": action,
            "retour": retour,
            "lignes": lignes,
            "type_evenement": type_evenement,
            "a_refuser": a_refuser,
            "a_enregistrer": len(lignes) - a_refuser,
            "date_future": date > timezone.localdate(),
            "date": date,
        },
    )


def _garder(request, bilan: masse.Bilan, retour: str) -> str:
    """Keep the outcome in the session (ids and reasons only); return the summary's URL."""
    bilans = request.session.get(SESSION_BILANS, {})
    jeton = secrets.token_urlsafe(9)
    bilans[jeton] = {
        "type": bilan.type_evenement.pk,
        "date": bilan.date.isoformat(),
        "enregistres": [[ligne.dossier_id, ligne.evenement.pk] for ligne in bilan.enregistres],
        "refuses": [[ligne.dossier_id, ligne.raison] for ligne in bilan.refuses],
        "retour": retour,
    }
    request.session[SESSION_BILANS] = dict(list(bilans.items())[-BILANS_GARDES:])
    return reverse("evenements:masse_bilan", args=[jeton])


@require_POST
@permission_required("evenements.add_evenement", raise_exception=True)
def depuis_la_liste(request):
    """The dossier list's "Enregistrer l'entrée" for the checked dossiers."""
    liste = reverse("dossiers:liste")
    retour = _chemin_local(request, request.POST.get("retour"), liste)
    types = masse.types_entree()
    entree = types.first()
    if entree is None:
        messages.error(request, "Aucun type d'événement « Entrée » n'est actif.")
        return HttpResponseRedirect(retour)
    return confirmer_et_enregistrer(
        request,
        ids=request.POST.getlist("dossiers"),
        types=types,
        initial={"type_evenement": entree, "date": timezone.localdate(), "commentaire": ""},
        titre="Enregistrer l'entrée en prestation des dossiers cochés",
        action=reverse("evenements:masse"),
        retour=retour,
    )


def bilan(request, jeton):
    """The summary: reads the kept ids again through the user's team scope (one query)."""
    garde = request.session.get(SESSION_BILANS, {}).get(jeton)
    if garde is None:
        raise Http404
    type_evenement = TypeEvenement.objects.filter(pk=garde["type"]).first()
    ids = [pk for pk, _ in garde["enregistres"]] + [pk for pk, _ in garde["refuses"]]
    visibles = dossiers_visibles(request.user).filter(pk__in=ids).select_related("beneficiaire")
    dossiers = {d.pk: d for d in visibles}
    enregistres = [(dossiers.get(pk), evenement) for pk, evenement in garde["enregistres"]]
    refuses = [(pk, dossiers.get(pk), raison) for pk, raison in garde["refuses"]]
    return render(
        request,
        "evenements/masse_bilan.html",
        {
            "resume": masse.resume(type_evenement, len(enregistres), len(refuses))
            if type_evenement
            else "",
            "type_evenement": type_evenement,
            "date": datetime.date.fromisoformat(garde["date"]),
            "enregistres": enregistres,
            "refuses": refuses,
            "retour": garde["retour"],
        },
    )
