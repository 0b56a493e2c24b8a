"""Facturation pages: the dossier tab, and the gestionnaire's menu (échéances à facturer,
factures, avoirs, règlements, CSV exports). Every write goes through the services."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.erreurs import ajouter_erreurs
from dossiers.droits import peut_voir_dossier
from dossiers.models import Financeur
from dossiers.views import dossier_visible_ou_404
from facturation import echeancier, selectors, services
from facturation.argent import ZERO
from facturation.forms import (
    AvoirForm,
    FiltreEcheancesForm,
    FiltreFacturesForm,
    LierConventionForm,
    ReglementForm,
)
from facturation.models import Convention, Echeance, Facture, Reglement

FACTURER = "facturation.facturer"
PAR_PAGE = 50


def _message_erreur(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- dossier tab ---


@permission_required("facturation.view_echeance", raise_exception=True)
def onglet(request, dossier_pk):
    dossier = dossier_visible_ou_404(request, dossier_pk)
    peut_lier = request.user.has_perm("facturation.add_financementdossier")
    form = None
    if peut_lier:
        form = LierConventionForm(
            request.POST or None, conventions=echeancier.conventions_possibles(dossier)
        )
        if request.method == "POST" and form.is_valid():
            try:
                echeancier.lier_convention(
                    dossier=dossier,
                    convention=form.cleaned_data["convention"],
                    part=form.cleaned_data["part"],
                    par=request.user,
                )
            except ValidationError as exc:
                ajouter_erreurs(form, exc)
            else:
                messages.success(request, "Dossier rattaché : échéancier généré.")
                return redirect("facturation:onglet", dossier_pk=dossier.pk)
    financements = dossier.financements.filter(actif=True).select_related("convention__financeur")
    echeances = (
        Echeance.objects.filter(dossier=dossier)
        .select_related("evenement__type_evenement", "financement__convention")
        .prefetch_related("lignes__facture")
        .order_by("financement_id", "ordre", "mois", "pk")
    )
    factures = (
        selectors.factures()
        .filter(lignes__echeance__dossier=dossier)
        .exclude(etat="abandonnee")
        .distinct()
    )
    return render(
        request,
        "facturation/onglet.html",
        {
            "dossier": dossier,
            "onglet": "facturation",
            "financements": financements,
            "echeances": echeances,
            "factures": factures,
            "form": form,
            "gestion": request.user.has_perm(FACTURER),
        },
    )


@permission_required("facturation.view_convention", raise_exception=True)
def convention(request, pk):
    convention = get_object_or_404(
        Convention.objects.select_related("financeur").prefetch_related(
            "prestations", "modalites__type_evenement", "modalites__phase"
        ),
        pk=pk,
    )
    return render(request, "facturation/convention.html", {"convention": convention})


@require_POST
@permission_required(FACTURER, raise_exception=True)
def annuler_echeance(request, pk):
    echeance = get_object_or_404(Echeance, pk=pk)
    try:
        echeancier.annuler_echeance(
            echeance=echeance, par=request.user, raison=request.POST.get("raison", "")
        )
    except ValidationError as exc:
        _message_erreur(request, exc)
    else:
        messages.success(request, f"Échéance « {echeance.libelle} » annulée.")
    return redirect("facturation:onglet", dossier_pk=echeance.dossier_id)


# --- échéances à facturer ---


@permission_required(FACTURER, raise_exception=True)
def echeances(request):
    filtres = FiltreEcheancesForm(request.GET or None)
    echeances = selectors.echeances_a_facturer()
    if filtres.is_valid():
        donnees = filtres.cleaned_data
        if donnees["financeur"]:
            echeances = echeances.filter(financement__convention__financeur=donnees["financeur"])
        if donnees["equipe"]:
            echeances = echeances.filter(dossier__equipe=donnees["equipe"])
        if donnees["du"]:
            echeances = echeances.filter(
                Q(evenement__date__gte=donnees["du"]) | Q(mois__gte=donnees["du"])
            )
        if donnees["au"]:
            echeances = echeances.filter(
                Q(evenement__date__lte=donnees["au"]) | Q(mois__lte=donnees["au"])
            )
    if request.method == "POST":
        choisies = echeances.filter(pk__in=request.POST.getlist("echeances"))
        try:
            factures = services.facturer(echeances=list(choisies), par=request.user)
        except ValidationError as exc:
            _message_erreur(request, exc)
        else:
            messages.success(
                request,
                f"{len(factures)} brouillon(s) de facture créé(s) : vérifiez-les puis validez.",
            )
            if len(factures) == 1:
                return redirect("facturation:facture", pk=factures[0].pk)
            return redirect("facturation:factures")
    echeances = list(echeances)
    return render(
        request,
        "facturation/echeances.html",
        {
            "filtres": filtres,
            "echeances": echeances,
            "total": sum((e.montant for e in echeances), ZERO),
        },
    )


# --- factures and avoirs ---


@permission_required(FACTURER, raise_exception=True)
def factures(request, nature=Facture.Nature.FACTURE):
    filtres = FiltreFacturesForm(request.GET or None)
    liste = selectors.factures().filter(nature=nature).exclude(etat="abandonnee")
    if filtres.is_valid():
        donnees = filtres.cleaned_data
        if donnees["financeur"]:
            liste = liste.filter(financeur=donnees["financeur"])
        if donnees["etat"] == "impayee":
            liste = liste.filter(etat__in=services.EMISES)
        elif donnees["etat"]:
            liste = liste.filter(etat=donnees["etat"])
    page = Paginator(liste, PAR_PAGE).get_page(request.GET.get("page"))
    if filtres.is_valid() and filtres.cleaned_data["etat"] == "impayee":
        page.object_list = [f for f in page.object_list if f.reste_du() > 0]
    return render(
        request,
        "facturation/factures.html",
        {"page": page, "filtres": filtres, "avoirs": nature == Facture.Nature.AVOIR},
    )


@permission_required(FACTURER, raise_exception=True)
def facture(request, pk):
    facture = get_object_or_404(selectors.factures(), pk=pk)
    lignes = list(facture.lignes.select_related("echeance__dossier"))
    return render(
        request,
        "facturation/facture.html",
        {
            "facture": facture,
            "lignes": lignes,
            "ventilation": services.ventilation_tva(lignes),
            "avoirs": facture.avoirs.exclude(etat="abandonnee"),
            "affectations": facture.affectations.select_related("reglement"),
            "form_avoir": AvoirForm(),
        },
    )


ACTIONS = {
    "valider": (services.valider_facture, "{} validée."),
    "envoyer": (services.marquer_envoyee, "{} marquée comme envoyée."),
    "abandonner": (
        services.abandonner_brouillon,
        "Brouillon abandonné : ses échéances sont de nouveau à facturer.",
    ),
}


@require_POST
@permission_required(FACTURER, raise_exception=True)
def agir(request, pk, action):
    facture = get_object_or_404(Facture, pk=pk)
    if action == "avoir":
        form = AvoirForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Indiquez le motif de l'avoir.")
            return redirect("facturation:facture", pk=pk)
        try:
            avoir = services.proposer_avoir(
                facture=facture, par=request.user, motif=form.cleaned_data["motif"]
            )
        except ValidationError as exc:
            _message_erreur(request, exc)
            return redirect("facturation:facture", pk=pk)
        messages.success(request, "Avoir proposé : vérifiez-le puis validez.")
        return redirect("facturation:facture", pk=avoir.pk)
    fonction, texte = ACTIONS[action]
    try:
        facture = fonction(facture=facture, par=request.user)
    except ValidationError as exc:
        _message_erreur(request, exc)
    else:
        messages.success(request, texte.format(facture))
    return redirect("facturation:facture", pk=pk)


@permission_required("facturation.view_facture", raise_exception=True)
def pdf(request, pk):
    from facturation.pdf import pdf_de

    facture = get_object_or_404(Facture, pk=pk)
    if not request.user.has_perm(FACTURER):
        # Caseworkers read an invoice only if they see every dossier on it.
        lignes = facture.lignes.select_related("echeance__dossier")
        dossiers = {ligne.echeance.dossier for ligne in lignes if ligne.echeance}
        if not dossiers or not all(peut_voir_dossier(request.user, d) for d in dossiers):
            raise Http404
    if facture.numero is None:
        messages.error(request, "Un brouillon n'a pas de PDF : validez d'abord la facture.")
        return redirect("facturation:facture", pk=pk)
    reponse = HttpResponse(pdf_de(facture), content_type="application/pdf")
    reponse["Content-Disposition"] = f'attachment; filename="{facture.numero}.pdf"'
    return reponse


# --- règlements ---


@permission_required(FACTURER, raise_exception=True)
def reglements(request):
    financeur = None
    if request.GET.get("financeur"):
        financeur = get_object_or_404(Financeur, pk=request.GET["financeur"])
    form = None
    if financeur is not None:
        ouvertes = [
            f
            for f in selectors.factures().filter(
                financeur=financeur, nature="facture", etat__in=services.EMISES
            )
            if f.reste_du() > 0
        ]
        form = ReglementForm(request.POST or None, factures=ouvertes)
        if request.method == "POST" and form.is_valid():
            try:
                services.enregistrer_reglement(
                    financeur=financeur,
                    date=form.cleaned_data["date"],
                    montant=form.cleaned_data["montant"],
                    mode=form.cleaned_data["mode"],
                    reference=form.cleaned_data["reference"],
                    affectations=form.affectations(),
                    par=request.user,
                )
            except ValidationError as exc:
                ajouter_erreurs(form, exc)
            else:
                messages.success(request, "Règlement enregistré.")
                return redirect("facturation:reglements")
    liste = Reglement.objects.select_related("financeur").prefetch_related("affectations__facture")
    page = Paginator(liste, PAR_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "facturation/reglements.html",
        {
            "page": page,
            "form": form,
            "financeur": financeur,
            "financeurs": Financeur.objects.filter(factures__isnull=False).distinct(),
        },
    )


# --- CSV exports for accounting software ---


def _csv(nom: str) -> tuple[HttpResponse, csv.writer]:
    reponse = HttpResponse(content_type="text/csv; charset=utf-8")
    reponse["Content-Disposition"] = f'attachment; filename="{nom}"'
    reponse.write("\ufeff")  # Excel opens UTF-8 with a BOM
    return reponse, csv.writer(reponse, delimiter=";")


def _nombre(valeur) -> str:
    return f"{valeur:.2f}".replace(".", ",")


@permission_required(FACTURER, raise_exception=True)
def export_factures(request):
    """One row per invoice or avoir (avoirs negative), then the total: the column sums."""
    reponse, ecrire = _csv("factures.csv")
    ecrire.writerow(
        [
            "numero",
            "nature",
            "date",
            "echeance",
            "financeur",
            "siren",
            "facture_origine",
            "total_ht",
            "total_tva",
            "total_ttc",
            "regle",
            "reste_du",
        ]
    )
    totaux = [ZERO] * 5
    for f in selectors.factures().filter(etat__in=services.EMISES).order_by("numero"):
        signe = -1 if f.est_avoir else 1
        valeurs = [
            signe * f.total_ht,
            signe * f.total_tva,
            signe * f.total_ttc,
            f.montant_regle(),
            f.reste_du(),
        ]
        totaux = [a + b for a, b in zip(totaux, valeurs, strict=True)]
        ecrire.writerow(
            [
                f.numero,
                f.get_nature_display(),
                f"{f.date_emission:%d/%m/%Y}",
                f"{f.date_echeance:%d/%m/%Y}" if f.date_echeance else "",
                f.financeur.raison_sociale,
                f.acheteur.get("siren", ""),
                f.facture_origine.numero if f.facture_origine else "",
                *map(_nombre, valeurs),
            ]
        )
    ecrire.writerow(["TOTAL", "", "", "", "", "", "", *map(_nombre, totaux)])
    return reponse


@permission_required(FACTURER, raise_exception=True)
def export_reglements(request):
    """One row per allocation (payment → invoice, or unallocated), then the total: it equals
    the sum of the payments received."""
    reponse, ecrire = _csv("reglements.csv")
    ecrire.writerow(["date", "financeur", "mode", "reference", "reglement", "facture", "montant"])
    total = ZERO
    for reglement in (
        Reglement.objects.select_related("financeur")
        .prefetch_related("affectations__facture")
        .order_by("date", "pk")
    ):
        lignes = [(a.facture.numero, a.montant) for a in reglement.affectations.all()]
        reste = reglement.montant - sum((m for _, m in lignes), ZERO)
        if reste:
            lignes.append(("non affecté", reste))
        for numero, montant in lignes:
            total += montant
            ecrire.writerow(
                [
                    f"{reglement.date:%d/%m/%Y}",
                    reglement.financeur.raison_sociale,
                    reglement.get_mode_display(),
                    reglement.reference,
                    reglement.pk,
                    numero,
                    _nombre(montant),
                ]
            )
    ecrire.writerow(["TOTAL", "", "", "", "", "", _nombre(total)])
    return reponse
