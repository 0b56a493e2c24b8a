from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from config.erreurs import ajouter_erreurs
from dossiers import extensions
from dossiers.droits import dossiers_visibles, equipes_de, voit_toutes_les_equipes
from dossiers.forms import BeneficiaireForm, DossierForm, FiltreDossiersForm
from dossiers.models import Equipe
from dossiers.services import creer_dossier

PAR_PAGE = 25


def _equipes(user):
    equipes = Equipe.objects.all()
    return equipes if voit_toutes_les_equipes(user) else equipes.filter(pk__in=equipes_de(user))


def _referents(user):
    return (
        get_user_model()
        .objects.filter(is_active=True, equipes__in=_equipes(user))
        .distinct()
        .order_by("last_name", "username")
    )


def liste(request):
    dossiers = dossiers_visibles(request.user).select_related(
        "beneficiaire", "prestation", "referent", "equipe", "phase_courante", "financeur"
    )
    filtres = FiltreDossiersForm(
        request.GET or None, referents=_referents(request.user), equipes=_equipes(request.user)
    )
    if filtres.is_bound:
        # A refused filter is shown next to its field; the others still apply.
        filtres.is_valid()
        donnees = filtres.cleaned_data
        if donnees.get("q"):
            for mot in donnees["q"].split():
                dossiers = dossiers.filter(
                    Q(beneficiaire__nom__icontains=mot) | Q(beneficiaire__prenom__icontains=mot)
                )
        for champ in ("statut", "prestation", "referent", "equipe"):
            if donnees.get(champ):
                dossiers = dossiers.filter(**{champ: donnees[champ]})
    page = Paginator(dossiers.order_by("beneficiaire__nom", "beneficiaire__prenom", "pk"), PAR_PAGE)
    page = page.get_page(request.GET.get("page"))
    parametres = request.GET.copy()
    parametres.pop("page", None)
    return render(
        request,
        "dossiers/liste.html",
        {
            "page": page,
            "filtres": filtres,
            "parametres": parametres.urlencode(),
            "aujourd_hui": timezone.localdate(),
            "peut_creer": request.user.has_perm("dossiers.add_dossier"),
        },
    )


@permission_required("dossiers.add_dossier", raise_exception=True)
def nouveau(request):
    # An empty POST is a POST: refused with its reasons, not shown again as a blank form.
    donnees = request.POST if request.method == "POST" else None
    form = DossierForm(
        donnees,
        equipes=_equipes(request.user),
        referents=_referents(request.user),
        initial={"referent": request.user.pk},
    )
    # The new-beneficiary part is only checked when no existing beneficiary is chosen.
    nouveau_beneficiaire = donnees is not None and not request.POST.get("beneficiaire")
    form_beneficiaire = BeneficiaireForm(donnees if nouveau_beneficiaire else None, prefix="b")
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
        {"dossier": dossier, "onglet": "resume", "sections": sections},
    )
