import copy

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from config import jointures
from config.erreurs import ajouter_erreurs
from dossiers import extensions, services
from dossiers.droits import (
    beneficiaires_visibles,
    dossiers_visibles,
    equipes_visibles,
    membres_actifs,
    referents_visibles,
)
from dossiers.forms import (
    BeneficiaireEditionForm,
    BeneficiaireForm,
    DossierEditionForm,
    DossierForm,
    FiltreDossiersForm,
)
from dossiers.historique import modifications
from dossiers.models import Dossier, Equipe
from dossiers.recherche import normaliser
from dossiers.services import creer_dossier

PAR_PAGE = 25


def liste(request):
    dossiers = dossiers_visibles(request.user)
    filtres = FiltreDossiersForm(
        request.GET or None,
        referents=referents_visibles(request.user),
        equipes=equipes_visibles(request.user),
    )
    if filtres.is_bound:
        # A refused filter is shown next to its field; the others still apply.
        filtres.is_valid()
        donnees = filtres.cleaned_data
        if donnees.get("q"):
            for mot in normaliser(donnees["q"]).split():
                dossiers = dossiers.filter(beneficiaire__recherche__contains=mot)
        for champ in ("statut", "prestation", "referent", "equipe"):
            if donnees.get(champ):
                dossiers = dossiers.filter(**{champ: donnees[champ]})
    ordre = ("beneficiaire__nom", "beneficiaire__prenom", "pk")
    page = Paginator(dossiers.order_by(*ordre).values_list("pk", flat=True), PAR_PAGE)
    page = page.get_page(request.GET.get("page"))
    # The page's ids first, planned freely (the filters choose the best table to start
    # from), then their rows by key with what they point to, in the written join order:
    # planning all eight tables with the LIMIT took PostgreSQL 38 ms, running it 0.6 ms.
    ids = list(page.object_list)
    with jointures.dans_l_ordre_ecrit():
        lignes = Dossier.objects.select_related(
            "beneficiaire", "prestation", "referent", "equipe", "phase_courante", "financeur"
        ).in_bulk(ids)
    page.object_list = [lignes[pk] for pk in ids]
    parametres = request.GET.copy()
    parametres.pop("page", None)
    parametres.pop("tout", None)
    sans_tout = parametres.copy()
    sans_tout["page"] = page.number
    return render(
        request,
        "dossiers/liste.html",
        {
            "page": page,
            "filtres": filtres,
            "parametres": parametres.urlencode(),
            # where a grouped action comes back to: this page, boxes unchecked
            "cette_page": f"{request.path}?{sans_tout.urlencode()}",
            "aujourd_hui": timezone.localdate(),
            "peut_creer": request.user.has_perm("dossiers.add_dossier"),
            "actions_groupees": extensions.actions_groupees(request.user),
            # "Tout sélectionner" without JavaScript: the page again, every box checked.
            "tout_coche": request.GET.get("tout") == "1",
        },
    )


@permission_required("dossiers.add_dossier", raise_exception=True)
def nouveau(request):
    # An empty POST is a POST: refused with its reasons, not shown again as a blank form.
    donnees = request.POST if request.method == "POST" else None
    form = DossierForm(
        donnees,
        beneficiaires=beneficiaires_visibles(request.user),
        equipes=equipes_visibles(request.user),
        referents=referents_visibles(request.user),
        initial={"referent": request.user.pk},
    )
    # The new-beneficiary part is only checked when no existing beneficiary is chosen.
    nouveau_beneficiaire = donnees is not None and not request.POST.get("beneficiaire")
    # Not HTML-required: the browser must let an existing bénéficiaire be chosen instead.
    form_beneficiaire = BeneficiaireForm(
        donnees if nouveau_beneficiaire else None, prefix="b", use_required_attribute=False
    )
    beneficiaire_valide = not nouveau_beneficiaire or form_beneficiaire.is_valid()
    if donnees is not None and form.is_valid() and beneficiaire_valide:
        try:
            with transaction.atomic():
                beneficiaire = form.cleaned_data["beneficiaire"] or form_beneficiaire.save()
                parametres = {k: v for k, v in form.cleaned_data.items() if k != "beneficiaire"}
                dossier = creer_dossier(beneficiaire=beneficiaire, par=request.user, **parametres)
        except ValidationError as exc:
            ajouter_erreurs(form, exc)
        else:
            messages.success(request, f"Dossier de {beneficiaire} créé.")
            return redirect("dossiers:resume", pk=dossier.pk)
    return render(
        request, "dossiers/nouveau.html", {"form": form, "form_beneficiaire": form_beneficiaire}
    )


def dossier_visible_ou_404(request, pk):
    with jointures.dans_l_ordre_ecrit():  # found by its key, then each joined row by its key
        return get_object_or_404(
            dossiers_visibles(request.user)
            .select_related(
                "beneficiaire", "prestation", "referent", "equipe", "phase_courante", "financeur"
            )
            .annotate(**extensions.annotations()),
            pk=pk,
        )


def resume(request, pk):
    dossier = dossier_visible_ou_404(request, pk)
    sections = [(s.template, s.contexte(request, dossier)) for s in extensions.sections()]
    return render(
        request,
        "dossiers/resume.html",
        {
            "dossier": dossier,
            "onglet": "resume",
            "sections": sections,
            "peut_modifier_dossier": services.peut_modifier_dossier(request.user, dossier),
            "peut_modifier_beneficiaire": request.user.has_perm("dossiers.change_beneficiaire"),
        },
    )


def modifier_beneficiaire(request, pk):
    dossier = dossier_visible_ou_404(request, pk)
    beneficiaire = dossier.beneficiaire
    if not request.user.has_perm("dossiers.change_beneficiaire"):
        raise PermissionDenied
    if request.method == "POST":
        form = BeneficiaireEditionForm(
            request.POST, instance=copy.copy(beneficiaire)
        )  # the service writes
        if form.is_valid():
            try:
                services.modifier_beneficiaire(
                    beneficiaire=beneficiaire,
                    par=request.user,
                    version=form.cleaned_data["version"],
                    raison=form.cleaned_data["raison"],
                    **form.valeurs(),
                )
            except ValidationError as exc:
                ajouter_erreurs(form, exc)  # a conflict shows above the form
            else:
                messages.success(request, f"Coordonnées de {beneficiaire} enregistrées.")
                return redirect("dossiers:resume", pk=dossier.pk)
    else:
        form = BeneficiaireEditionForm(
            instance=beneficiaire, initial={"version": beneficiaire.version}
        )
    return render(
        request,
        "dossiers/modifier_beneficiaire.html",
        {"dossier": dossier, "onglet": "resume", "form": form},
    )


def modifier_dossier(request, pk):
    dossier = dossier_visible_ou_404(request, pk)
    if not services.peut_modifier_dossier(request.user, dossier):
        raise PermissionDenied
    equipes = equipes_visibles(request.user)
    if not equipes.filter(pk=dossier.equipe_id).exists():
        equipes = equipes | Equipe.objects.filter(pk=dossier.equipe_id)
    referents = membres_actifs(equipes)
    arguments = {"dossier": dossier, "equipes": equipes, "referents": referents}
    if request.method == "POST":
        form = DossierEditionForm(
            request.POST, initial=DossierEditionForm.initial_depuis(dossier), **arguments
        )
        if form.is_valid():
            try:
                services.modifier_dossier(dossier=dossier, par=request.user, **form.cleaned_data)
            except ValidationError as exc:
                ajouter_erreurs(form, exc)  # a conflict shows above the form
            else:
                messages.success(request, "Dossier modifié.")
                return redirect("dossiers:resume", pk=dossier.pk)
    else:
        form = DossierEditionForm(initial=DossierEditionForm.initial_depuis(dossier), **arguments)
    return render(
        request,
        "dossiers/modifier_dossier.html",
        {"dossier": dossier, "onglet": "resume", "form": form},
    )


def historique(request, pk):
    dossier = dossier_visible_ou_404(request, pk)
    return render(
        request,
        "dossiers/historique.html",
        {"dossier": dossier, "onglet": "historique", "modifications": modifications(dossier)},
    )
