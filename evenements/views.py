from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from config.erreurs import ajouter_erreurs
from dossiers.models import PreferencesUtilisateur
from dossiers.views import dossier_visible_ou_404
from evenements import droits, pipeline, services
from evenements.apercu import apercu_du_type
from evenements.forms import EvenementForm, SuppressionForm
from evenements.models import ActionDeclenchee, EtatAction, Evenement
from evenements.natures import chemins_parametres
from evenements.revisions import revisions
from evenements.selectors import historique, ligne_de


def _recents_d_abord(user) -> bool:
    prefs = PreferencesUtilisateur.objects.filter(utilisateur=user).first()
    return prefs is not None and prefs.ordre_evenements == PreferencesUtilisateur.Ordre.RECENTS


def onglet(request, dossier_pk):
    dossier = dossier_visible_ou_404(request, dossier_pk)
    avec_supprimes = request.GET.get("supprimes") == "1"
    recents = _recents_d_abord(request.user)
    page, lignes = historique(
        dossier,
        request.user,
        recents_d_abord=recents,
        avec_supprimes=avec_supprimes,
        page=request.GET.get("page"),
    )
    return render(
        request,
        "evenements/onglet.html",
        {
            "dossier": dossier,
            "onglet": "evenements",
            "lignes": lignes,
            "page": page,
            "recents_d_abord": recents,
            "avec_supprimes": avec_supprimes,
            "peut_saisir": droits.peut_saisir(request.user, dossier),
            "aucun_type_possible": _aucun_type_possible(dossier),
            "peut_piloter": request.user.has_perm("evenements.piloter_actions"),
            "peut_voir_supprimes": request.user.has_perm("evenements.view_evenement"),
        },
    )


def _aucun_type_possible(dossier) -> str:
    """Why no event can be recorded now (a closed dossier), or "" when some can."""
    if services.un_type_propose(dossier):
        return ""
    return (
        f"Ce dossier est « {dossier.get_statut_display()} » : aucun type d'événement ne peut "
        "être saisi dans ce statut. Pour corriger la fin du parcours, modifiez ou supprimez "
        "l'événement de sortie dans l'historique ci-dessous."
    )


@require_POST
def changer_ordre(request, dossier_pk):
    dossier = dossier_visible_ou_404(request, dossier_pk)
    ordre = request.POST.get("ordre")
    if ordre in PreferencesUtilisateur.Ordre.values:
        PreferencesUtilisateur.objects.update_or_create(
            utilisateur=request.user, defaults={"ordre_evenements": ordre}
        )
    url = reverse("evenements:onglet", args=[dossier.pk])
    # The other display choice survives the switch.
    return redirect(f"{url}?supprimes=1" if request.POST.get("supprimes") == "1" else url)


def _affichage_demande(request) -> bool:
    """A type change asks to re-render the form with that type's fields, nothing saved.

    It is a POST (HTMX, or the no-JS "Afficher" button): what the user typed, comments
    included, and the CSRF token stay out of URLs and access logs.
    """
    return request.method == "POST" and "afficher" in request.POST


def _saisie_en_cours(request) -> dict:
    donnees = request.POST.dict()
    for technique in ("csrfmiddlewaretoken", "afficher"):
        donnees.pop(technique, None)
    return donnees


def _rendre_formulaire(request, template, contexte):
    """HTMX asks only for the form part when the type changes; otherwise the whole page."""
    if request.htmx:
        return render(request, "evenements/_formulaire.html", contexte)
    return render(request, template, contexte)


def nouveau(request, dossier_pk):
    dossier = dossier_visible_ou_404(request, dossier_pk)
    if not droits.peut_saisir(request.user, dossier):
        raise PermissionDenied
    # A GET with a type (a link) or a POST "afficher" re-renders with that type's fields.
    if _affichage_demande(request):
        form = EvenementForm(initial=_saisie_en_cours(request), dossier=dossier)
    elif request.method == "POST":
        form = EvenementForm(request.POST, dossier=dossier)
        if form.is_valid():
            try:
                evenement = services.enregistrer_evenement(
                    dossier=dossier, auteur=request.user, **form.parametres_du_service()
                )
            except ValidationError as exc:
                ajouter_erreurs(form, exc)
            else:
                messages.success(request, f"Événement « {evenement.type_evenement} » enregistré.")
                return redirect("evenements:onglet", dossier_pk=dossier.pk)
    else:
        form = EvenementForm(initial=request.GET.dict(), dossier=dossier)
    return _rendre_formulaire(
        request,
        "evenements/nouveau.html",
        {
            "dossier": dossier,
            "onglet": "evenements",
            "form": form,
            "aucun_type_possible": _aucun_type_possible(dossier),
            "apercu": apercu_du_type(form.type_choisi, dossier, form.date_choisie()),
        },
    )


def _evenement_visible_ou_404(request, pk) -> Evenement:
    evenement = get_object_or_404(
        Evenement.objects.select_related("type_evenement", "auteur", "motif", "dossier"), pk=pk
    )
    evenement.dossier = dossier_visible_ou_404(request, evenement.dossier_id)
    return evenement


def detail(request, pk):
    evenement = _evenement_visible_ou_404(request, pk)
    dossier = evenement.dossier
    peut_piloter = request.user.has_perm("evenements.piloter_actions")
    return render(
        request,
        "evenements/detail.html",
        {
            "dossier": dossier,
            "onglet": "evenements",
            "evenement": evenement,
            "ligne": ligne_de(evenement, request.user),
            "revisions": revisions(evenement),
            "peut_piloter": peut_piloter,
            "responsables": [] if peut_piloter else droits.qui_peut_piloter(dossier),
            "etats_a_traiter": [EtatAction.A_REVOIR, EtatAction.IGNOREE, EtatAction.ECHEC],
        },
    )


def modifier(request, pk):
    evenement = _evenement_visible_ou_404(request, pk)
    if not droits.peut_modifier(request.user, evenement):
        raise PermissionDenied
    dossier = evenement.dossier
    if _affichage_demande(request):
        saisie = _saisie_en_cours(request)
        form = EvenementForm(initial=saisie, dossier=dossier, evenement=evenement)
    elif request.method == "POST":
        form = EvenementForm(request.POST, dossier=dossier, evenement=evenement)
        if form.is_valid():
            try:
                services.modifier_evenement(
                    evenement=evenement,
                    par=request.user,
                    raison=form.cleaned_data["raison"],
                    version=form.cleaned_data["version"],
                    **form.parametres_du_service(),
                )
            except ValidationError as exc:
                ajouter_erreurs(form, exc)
            else:
                messages.success(request, "Événement modifié.")
                return redirect("evenements:onglet", dossier_pk=dossier.pk)
    else:
        initial = EvenementForm.initial_depuis(evenement)
        initial.update(request.GET.dict())
        form = EvenementForm(initial=initial, dossier=dossier, evenement=evenement)
    return _rendre_formulaire(
        request,
        "evenements/modifier.html",
        {
            "dossier": dossier,
            "onglet": "evenements",
            "form": form,
            "evenement": evenement,
            "apercu": apercu_du_type(form.type_choisi, dossier, form.date_choisie()),
        },
    )


def supprimer(request, pk):
    evenement = _evenement_visible_ou_404(request, pk)
    if not droits.peut_supprimer(request.user, evenement):
        raise PermissionDenied
    # An empty POST is a POST: refused with its reason, not shown again as a blank form.
    donnees = request.POST if request.method == "POST" else None
    form = SuppressionForm(donnees, initial=SuppressionForm.initial_depuis(evenement))
    if request.method == "POST" and form.is_valid():
        try:
            services.supprimer_evenement(
                evenement=evenement,
                par=request.user,
                raison=form.cleaned_data["raison"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            ajouter_erreurs(form, exc)
        else:
            messages.success(request, f"Événement « {evenement.type_evenement} » supprimé.")
            return redirect("evenements:onglet", dossier_pk=evenement.dossier_id)
    return render(
        request,
        "evenements/supprimer.html",
        {
            "dossier": evenement.dossier,
            "onglet": "evenements",
            "evenement": evenement,
            "form": form,
        },
    )


@require_POST
def deplacer(request, pk):
    evenement = _evenement_visible_ou_404(request, pk)
    if not droits.peut_modifier(request.user, evenement):
        raise PermissionDenied
    try:
        services.deplacer_evenement(
            evenement=evenement, par=request.user, sens=request.POST.get("sens", "haut")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("evenements:onglet", dossier_pk=evenement.dossier_id)


OPERATIONS = {
    "relancer": (pipeline.relancer, "Action relancée."),
    "annuler": (pipeline.annuler, "Action annulée."),
    "executer": (pipeline.executer_quand_meme, "Action remise à exécuter."),
    "compenser": (pipeline.compenser, "Correction demandée : elle va être envoyée."),
    "revue": (pipeline.marquer_revue, "Action marquée comme revue, sans correction."),
    "replanifier": (pipeline.replanifier, "Action replanifiée."),
    "renvoyer": (pipeline.renvoyer, "Renvoi demandé : le message va être envoyé à nouveau."),
    "clore": (pipeline.clore, "Action close sans renvoi."),
}


@require_POST
def operer_action(request, pk, operation):
    if operation not in OPERATIONS:
        raise Http404
    action = get_object_or_404(ActionDeclenchee.objects.select_related("evenement"), pk=pk)
    action.evenement.dossier = dossier_visible_ou_404(request, action.evenement.dossier_id)
    fonction, succes = OPERATIONS[operation]
    try:
        fonction(action=action, par=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, succes)
    suivant = request.POST.get("suivant")
    # A path of this site only; redirect() would try to reverse a bare word ("0") and fail.
    if (
        suivant
        and suivant.startswith("/")
        and url_has_allowed_host_and_scheme(suivant, allowed_hosts={request.get_host()})
    ):
        return HttpResponseRedirect(suivant)
    return redirect("evenements:detail", pk=action.evenement_id)


@permission_required("evenements.piloter_actions", raise_exception=True)
def actions_en_echec(request):
    actions = (
        ActionDeclenchee.objects.visibles_par(request.user)
        .filter(etat__in=[EtatAction.ECHEC, EtatAction.A_VERIFIER])
        .select_related(
            "evenement__type_evenement",
            "evenement__dossier__beneficiaire",
            "evenement__dossier__equipe",
            *chemins_parametres(),
        )
        .order_by("-terminee_le", "-pk")
    )
    page = Paginator(actions, 50).get_page(request.GET.get("page"))
    return render(request, "evenements/actions_en_echec.html", {"page": page})
