"""The Documents tab: list, preview and generate, upload, download, e-mail, new version."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.erreurs import ajouter_erreurs
from documents import selectors, services
from documents.forms import DepotForm, EnvoiForm, GenerationForm, RaisonForm
from documents.models import Document
from dossiers.droits import dossiers_visibles
from dossiers.views import dossier_visible_ou_404
from seances.droits import peut_voir as peut_voir_seance
from seances.models import EtatSeance, Seance
from seances.selectors import participations_du_dossier


def _dossier(request, dossier_pk):
    if not request.user.has_perm("documents.view_document"):
        raise PermissionDenied
    return dossier_visible_ou_404(request, dossier_pk)


def _document(request, pk) -> Document:
    """A document of a dossier (or séance) the user sees; any other is a 404, never a 403."""
    if not request.user.has_perm("documents.view_document"):
        raise PermissionDenied
    document = get_object_or_404(
        Document.objects.select_related(
            "dossier__beneficiaire", "dossier__referent", "modele", "seance"
        ),
        Q(dossier__in=dossiers_visibles(request.user)) | Q(dossier__isnull=True),
        pk=pk,
    )
    if document.dossier_id is None and not (
        document.seance_id and peut_voir_seance(request.user, document.seance)
    ):
        raise Http404
    return document


def _page(request, dossier, status=200, **formulaires):
    contexte = {
        "dossier": dossier,
        "onglet": "documents",
        "documents": selectors.documents_du_dossier(dossier),
        "etats": selectors.ETATS,
        "generation": GenerationForm(dossier=dossier),
        "depot": DepotForm(),
        "envoi": EnvoiForm(),
        "peut_ajouter": request.user.has_perm("documents.add_document"),
        "peut_regenerer": request.user.has_perm("documents.change_document"),
        "peut_annuler": request.user.has_perm("documents.delete_document"),
        "seances": participations_du_dossier(dossier).exclude(seance__etat=EtatSeance.ANNULEE),
        **formulaires,
    }
    return render(request, "documents/onglet.html", contexte, status=status)


def onglet(request, dossier_pk):
    return _page(request, _dossier(request, dossier_pk))


def apercu(request, dossier_pk):
    """The document as it would be generated now, shown in the page (nothing saved)."""
    dossier = _dossier(request, dossier_pk)
    form = GenerationForm(request.GET, dossier=dossier)
    contexte = {"dossier": dossier, "generation": form, "apercu": None}
    if form.is_valid():
        try:
            contexte["apercu"] = services.apercu(
                modele=form.cleaned_data["modele"], dossier=dossier, par=request.user
            )
        except (ValidationError, services.ErreurRendu) as exc:
            form.add_error("modele", " ".join(getattr(exc, "messages", [str(exc)])))
    if request.htmx:
        return render(request, "documents/_apercu.html", contexte)
    return _page(request, dossier, generation=form, apercu=contexte["apercu"])


@require_POST
def generer(request, dossier_pk):
    dossier = _dossier(request, dossier_pk)
    form = GenerationForm(request.POST, dossier=dossier)
    if form.is_valid():
        try:
            document = services.generer_document(
                modele=form.cleaned_data["modele"], dossier=dossier, par=request.user
            )
        except ValidationError as exc:
            ajouter_erreurs(form, exc)
        except services.ErreurRendu as exc:
            form.add_error("modele", str(exc))
        else:
            messages.success(request, f"Document généré : {document}.")
            return redirect("documents:onglet", dossier_pk=dossier.pk)
    return _page(request, dossier, status=400, generation=form)


@require_POST
def deposer(request, dossier_pk):
    dossier = _dossier(request, dossier_pk)
    form = DepotForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document = services.deposer_piece(
                dossier=dossier,
                fichier=form.cleaned_data["fichier"],
                type_piece=form.cleaned_data["type_piece"],
                titre=form.cleaned_data["titre"],
                par=request.user,
            )
        except ValidationError as exc:
            ajouter_erreurs(form, exc)
        else:
            messages.success(request, f"Document ajouté : {document.titre}.")
            return redirect("documents:onglet", dossier_pk=dossier.pk)
    return _page(request, dossier, status=400, depot=form)


def telecharger(request, pk):
    document = _document(request, pk)
    return FileResponse(
        document.fichier.open("rb"),
        as_attachment=request.GET.get("afficher") != "1",
        filename=document.nom_fichier,
        content_type=document.type_mime,
    )


@require_POST
def envoyer(request, pk):
    document = _document(request, pk)
    form = EnvoiForm(request.POST)
    if form.is_valid():
        try:
            envois = services.envoyer_document(
                document=document, destinataire=form.cleaned_data["destinataire"], par=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            adresses = ", ".join(e.adresse for e in envois)
            messages.success(request, f"Envoi programmé à {adresses} (voir l'onglet Envois).")
    else:
        messages.error(request, "Choisissez un destinataire.")
    return redirect("documents:onglet", dossier_pk=document.dossier_id)


@require_POST
def feuille_seance(request, seance_pk):
    """Edit the séance's feuille d'émargement (a new version each time) and download it."""
    seance = get_object_or_404(Seance, pk=seance_pk)
    if not peut_voir_seance(request.user, seance):
        raise Http404
    try:
        document = services.generer_feuille_seance(seance=seance, par=request.user)
    except (ValidationError, services.ErreurRendu) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("seances:detail", pk=seance.pk)
    return redirect("documents:telecharger", pk=document.pk)


def _avec_raison(request, pk, service, succes):
    document = _document(request, pk)
    form = RaisonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Indiquez la raison.")
    else:
        try:
            resultat = service(
                document=document, par=request.user, raison=form.cleaned_data["raison"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except services.ErreurRendu as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, succes.format(document=resultat))
    return redirect("documents:onglet", dossier_pk=document.dossier_id)


@require_POST
def regenerer(request, pk):
    return _avec_raison(request, pk, services.regenerer_document, "Nouvelle version : {document}.")


@require_POST
def annuler(request, pk):
    return _avec_raison(request, pk, services.annuler_document, "Document annulé : {document}.")
