from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.saisie import SaisieNettoyee
from documents.rendu import rendre_html, rendre_pdf
from dossiers.models import Financeur
from pilotage import agregats, bpf, csv_export, envois, rapports, tableau
from pilotage.filtres import (
    CHOIX_INVALIDE,
    FiltrePilotageForm,
    conventions_accessibles,
    finances_par,
    periode_par_defaut,
    verifier_convention,
)
from pilotage.lignes import COLONNES_DECLARATION, lignes_declaration
from pilotage.models import EnvoiRapport, RapportConfiguration, TelechargementDeclaration

PAR_PAGE = 25


def _filtres(request) -> FiltrePilotageForm:
    return FiltrePilotageForm(request.GET, user=request.user, aujourd_hui=timezone.localdate())


@permission_required("pilotage.voir_pilotage", raise_exception=True)
def tableau_de_bord(request):
    form = _filtres(request)
    tableaux = tableau.construire(form) if form.is_valid() else []
    return render(
        request,
        "pilotage/tableau_de_bord.html",
        {
            "form": form,
            "tableaux": tableaux,
            "parametres": request.GET.urlencode(),
        },
    )


@permission_required("pilotage.voir_pilotage", raise_exception=True)
def export_csv(request, cle: str):
    form = _filtres(request)
    if not form.is_valid():
        return render(request, "pilotage/tableau_de_bord.html", {"form": form}, status=400)
    choisi = next((t for t in tableau.construire(form) if t.cle == cle), None)
    if choisi is None:
        raise Http404("Tableau inconnu.")
    periode = form.periode
    return csv_export.reponse(
        f"pilotage-{cle}-{periode.debut:%Y%m%d}-{periode.fin:%Y%m%d}.csv",
        choisi.colonnes,
        ([c.valeur for c in ligne] for ligne in choisi.lignes),
    )


@permission_required("pilotage.voir_pilotage", raise_exception=True)
def dossiers(request):
    """The dossiers behind a figure: the page's filters plus the indicator (and motif)."""
    form = _filtres(request)
    indicateur = request.GET.get("indicateur", "entrees")
    if indicateur not in agregats.INDICATEURS:
        form.is_valid()
        form.add_error(None, "Indicateur inconnu.")
    page, titre = None, agregats.INDICATEURS.get(indicateur, "")
    if form.is_valid():
        motif = request.GET.get("motif")
        selection = agregats.dossiers_de(form.dossiers(), form.periode, indicateur, motif)
        selection = selection.select_related(
            "beneficiaire", "prestation", "referent", "equipe", "phase_courante"
        ).order_by("beneficiaire__nom", "beneficiaire__prenom", "pk")
        page = Paginator(selection, PAR_PAGE).get_page(request.GET.get("page"))
        if motif:
            titre = f"{titre} — {motif}"
    return render(request, "pilotage/dossiers.html", {"form": form, "page": page, "titre": titre})


# --- déclarations d'entrées et de sorties ---


class DeclarationForm(SaisieNettoyee, forms.Form):
    financeur = forms.ModelChoiceField(
        label="Financeur",
        queryset=Financeur.objects.all(),
        error_messages={"invalid_choice": CHOIX_INVALIDE, "required": "Choisissez le financeur."},
    )
    convention = forms.ModelChoiceField(
        label="Convention",
        queryset=conventions_accessibles(),
        required=False,
        empty_label="Toutes",
        error_messages={"invalid_choice": CHOIX_INVALIDE},
    )
    debut = forms.DateField(label="Du", widget=forms.DateInput(attrs={"type": "date"}))
    fin = forms.DateField(label="Au", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        donnees = super().clean()
        verifier_convention(self, donnees)
        if donnees.get("debut") and donnees.get("fin") and donnees["fin"] < donnees["debut"]:
            self.add_error("fin", "La fin de la période précède son début.")
        return donnees


@permission_required("pilotage.telecharger_declarations", raise_exception=True)
def declarations(request):
    from dossiers.droits import dossiers_visibles
    from pilotage.filtres import Periode

    defaut = periode_par_defaut(timezone.localdate())
    form = DeclarationForm(request.GET or None, initial={"debut": defaut.debut, "fin": defaut.fin})
    lignes, format_ = None, request.GET.get("telecharger")
    if form.is_valid():
        periode = Periode(form.cleaned_data["debut"], form.cleaned_data["fin"])
        financeur = form.cleaned_data["financeur"]
        convention = form.cleaned_data.get("convention")
        choisis = dossiers_visibles(request.user).filter(financeur=financeur)
        if convention:
            choisis = finances_par(choisis, convention)
        lignes = lignes_declaration(choisis, periode)
        if format_ in TelechargementDeclaration.Format.values:
            TelechargementDeclaration.objects.create(
                utilisateur=request.user,
                financeur=financeur,
                convention=convention,
                debut=periode.debut,
                fin=periode.fin,
                format=format_,
                lignes=len(lignes),
            )
            perimetre = f"{financeur.pk}-c{convention.pk}" if convention else financeur.pk
            nom = f"declaration-{perimetre}-{periode.debut:%Y%m%d}-{periode.fin:%Y%m%d}"
            if format_ == "pdf":
                reponse = HttpResponse(
                    _pdf_declaration(financeur, convention, periode, lignes),
                    content_type="application/pdf",
                )
                reponse["Content-Disposition"] = f'attachment; filename="{nom}.pdf"'
                return reponse
            else:
                return csv_export.reponse(
                    f"{nom}.csv",
                    [libelle for _, libelle in COLONNES_DECLARATION],
                    ([ligne[c] for c, _ in COLONNES_DECLARATION] for ligne in lignes),
                )
    historique = TelechargementDeclaration.objects.select_related(
        "utilisateur", "financeur", "convention__financeur"
    )
    if not request.user.has_perm("dossiers.voir_toutes_equipes"):
        historique = historique.filter(utilisateur=request.user)
    return render(
        request,
        "pilotage/declarations.html",
        {
            "form": form,
            "lignes": lignes,
            "colonnes": COLONNES_DECLARATION,
            "historique": historique[:20],
            "parametres": request.GET.urlencode(),
        },
    )


def _pdf_declaration(financeur, convention, periode, lignes) -> bytes:
    contenu = rendre_html(
        "pilotage/pdf/declaration.html",
        {"financeur": financeur, "convention": convention, "periode": periode, "lignes": lignes},
    )
    return rendre_pdf(contenu)


# --- rapports financeurs ---


@permission_required("pilotage.envoyer_rapport", raise_exception=True)
def liste_rapports(request):
    configurations = (
        RapportConfiguration.objects.select_related("financeur", "convention")
        .annotate(nb_envois=Count("envois"))
        .prefetch_related(
            Prefetch(
                "envois",
                queryset=EnvoiRapport.objects.select_related("demande_par")
                .defer("instantane")
                .order_by("-debut", "-pk"),
            )
        )
    )
    aujourd_hui = timezone.localdate()
    for configuration in configurations:
        configuration.prochaine = rapports.periode_close(configuration.periodicite, aujourd_hui)
    return render(request, "pilotage/rapports.html", {"configurations": configurations})


@permission_required("pilotage.envoyer_rapport", raise_exception=True)
def apercu(request, pk: int):
    """The report of the last closed period as it would be sent now (nothing stored)."""
    configuration = get_object_or_404(
        RapportConfiguration.objects.select_related("financeur", "convention"), pk=pk
    )
    periode = rapports.periode_close(configuration.periodicite, timezone.localdate())
    deja = configuration.envois.filter(debut=periode.debut).exclude(instantane__isnull=True).first()
    if deja is not None:  # frozen: show what was (or is being) sent
        instantane, correctifs = deja.instantane, deja.correctifs
    else:
        instantane = rapports.calculer(configuration, periode)
        correctifs = rapports.correctifs(configuration, periode.debut)
    return HttpResponse(rapports.html(configuration, instantane, correctifs))


@require_POST
@permission_required("pilotage.envoyer_rapport", raise_exception=True)
def envoyer(request, pk: int):
    configuration = get_object_or_404(RapportConfiguration, pk=pk)
    try:
        envoi = envois.envoyer_maintenant(configuration=configuration, par=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Envoi demandé : {envoi}.")
    return redirect("pilotage:rapports")


@require_POST
@permission_required("pilotage.envoyer_rapport", raise_exception=True)
def relancer(request, pk: int):
    envoi = get_object_or_404(EnvoiRapport, pk=pk)
    try:
        envois.relancer(envoi=envoi, par=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Envoi relancé : {envoi}.")
    return redirect("pilotage:rapports")


# --- bilan pédagogique et financier ---


class AnneeForm(SaisieNettoyee, forms.Form):
    annee = forms.IntegerField(
        label="Année civile",
        min_value=2000,
        max_value=2100,
        error_messages={
            "invalid": "Saisissez une année (par exemple 2025).",
            "min_value": "Saisissez une année à partir de 2000.",
            "max_value": "Saisissez une année jusqu'à 2100.",
        },
    )


COLONNES_BPF = [
    "Regroupement",
    "Catégorie",
    "Stagiaires",
    "Bénéficiaires distincts",
    "Heures-stagiaires",
]


@permission_required("pilotage.voir_pilotage", raise_exception=True)
def bpf_page(request):
    from dossiers.droits import dossiers_visibles

    annee_defaut = timezone.localdate().year - 1
    form = AnneeForm(request.GET or {"annee": annee_defaut})
    tableaux = None
    if form.is_valid():
        annee = form.cleaned_data["annee"]
        dossiers = dossiers_visibles(request.user)
        financeurs = bpf.par_type_de_financeur(dossiers, annee)
        natures = bpf.par_nature_d_action(dossiers, annee)
        tableaux = [
            ("Par type de financeur (origine des fonds)", financeurs, bpf.total(financeurs)),
            ("Par nature de l'action", natures, bpf.total(natures)),
        ]
        if request.GET.get("telecharger") == "csv":
            lignes = [
                [
                    titre,
                    ligne["libelle"],
                    ligne["stagiaires"],
                    ligne["beneficiaires"],
                    ligne["heures"],
                ]
                for titre, groupe, _ in tableaux
                for ligne in groupe
            ]
            return csv_export.reponse(f"bpf-{annee}.csv", COLONNES_BPF, lignes)
    return render(request, "pilotage/bpf.html", {"form": form, "tableaux": tableaux})
