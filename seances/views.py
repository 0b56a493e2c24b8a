import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config import pieces
from config.erreurs import ajouter_erreurs
from dossiers.droits import dossiers_visibles
from dossiers.views import dossier_visible_ou_404
from evenements import masse
from evenements.views_masse import confirmer_et_enregistrer
from seances import droits, indicateurs, selectors, services
from seances.emargement import depuis_data_url
from seances.forms import (
    AnnulationForm,
    CorrectionSignatureForm,
    LienForm,
    ModificationSeanceForm,
    PresencesForm,
    SeanceForm,
    SignatureForm,
)
from seances.models import DemiJournee, EtatSeance, Participation, Presence, Seance


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


# --- the dossier's Séances tab ---


def onglet(request, dossier_pk):
    dossier = dossier_visible_ou_404(request, dossier_pk)
    if not request.user.has_perm("seances.view_seance"):
        raise PermissionDenied
    participations = list(
        selectors.participations_du_dossier(dossier).prefetch_related(
            Prefetch(
                "seance__participations",
                queryset=Participation.objects.only("pk", "seance_id", "dossier_id"),
            )
        )
    )
    seances = [p.seance for p in participations]
    alertes = selectors.chevauchements(seances)
    aujourd_hui = timezone.localdate()
    lignes = [
        {
            "participation": p,
            "seance": p.seance,
            "beneficiaire": indicateurs.chiffres([indicateurs.LigneSeance.de(p)]),
            "hors_parcours": selectors.hors_parcours(p.seance, dossier),
            "alertes": alertes.get(p.seance_id, []),
            "a_valider": p.seance.etat == EtatSeance.PREVUE and p.seance.date <= aujourd_hui,
        }
        for p in participations
    ]
    total = indicateurs.chiffres(
        [indicateurs.LigneSeance.de(p) for p in participations],
        minutes_contrat=indicateurs.minutes_contrat(dossier.heures_prevues),
    )
    return render(
        request,
        "seances/onglet.html",
        {
            "dossier": dossier,
            "onglet": "seances",
            "lignes": lignes,
            "total": total,
            "non_realisees": selectors.seances_non_realisees(dossier, participations),
            "peut_creer": droits.peut_creer(request.user, dossier),
            "peut_valider": request.user.has_perm("seances.change_seance"),
            "a_valider": any(ligne["a_valider"] for ligne in lignes),
        },
    )


def nouvelle(request, dossier_pk):
    dossier = dossier_visible_ou_404(request, dossier_pk)
    if not droits.peut_creer(request.user, dossier):
        raise PermissionDenied
    form = SeanceForm(
        request.POST or None,
        dossier=dossier,
        user=request.user,
        initial={"animateur": request.user.pk},
    )
    if request.method == "POST" and form.is_valid():
        donnees = dict(form.cleaned_data)
        autres = list(donnees.pop("autres_dossiers"))
        try:
            resultat = services.creer_seance(
                dossiers=[dossier, *autres], par=request.user, **donnees
            )
        except ValidationError as exc:
            ajouter_erreurs(form, exc)
        else:
            messages.success(request, f"Séance « {resultat.seance} » planifiée.")
            for avertissement in resultat.avertissements:
                messages.warning(request, avertissement)
            return redirect("seances:detail", pk=resultat.seance.pk)
    return render(
        request,
        "seances/nouvelle.html",
        {"dossier": dossier, "onglet": "seances", "form": form},
    )


@require_POST
def valider_masse(request, dossier_pk):
    dossier = dossier_visible_ou_404(request, dossier_pk)
    ids = [int(i) for i in request.POST.getlist("seances") if i.isdigit()]
    seances = list(
        selectors.seances_avec_participants().filter(pk__in=ids, participations__dossier=dossier)
    )
    if not seances:
        messages.error(request, "Cochez au moins une séance passée à valider.")
        return redirect("seances:onglet", dossier_pk=dossier.pk)
    seances = [s for s in seances if droits.peut_valider(request.user, s)]
    faits, refus = services.valider_en_masse(seances=seances, par=request.user)
    if faits:
        messages.success(
            request, f"{len(faits)} séance(s) validée(s), tous les participants présents."
        )
    for texte in refus:
        messages.error(request, texte)
    _proposer_entrees(request, faits)
    return redirect("seances:onglet", dossier_pk=dossier.pk)


@require_POST
def retirer_non_realisees(request, dossier_pk):
    dossier = dossier_visible_ou_404(request, dossier_pk)
    ids = [int(i) for i in request.POST.getlist("seances") if i.isdigit()]
    seances = list(Seance.objects.filter(pk__in=ids, participations__dossier=dossier))
    nombre = services.retirer_des_seances_non_realisees(
        dossier=dossier, seances=seances, par=request.user
    )
    messages.success(request, f"{nombre} séance(s) non réalisée(s) retirée(s) du parcours.")
    return redirect("seances:onglet", dossier_pk=dossier.pk)


def _proposer_entrees(request, resultats) -> None:
    """Kept in the session: the séance page shows the one-click proposal."""
    propositions = request.session.get("entrees_proposees", [])
    for resultat in resultats:
        for dossier in resultat.entrees_proposees:
            propositions.append([dossier.pk, resultat.seance.pk])
    request.session["entrees_proposees"] = propositions


# --- the séance page ---


def _seance_visible_ou_404(request, pk) -> Seance:
    seance = get_object_or_404(selectors.seances_avec_participants(), pk=pk)
    if not droits.peut_voir(request.user, seance):
        raise Http404
    return seance


def _contexte_seance(request, seance, **extra):
    participations = list(seance.participations.all())
    emargements = list(seance.emargements.all())
    corrigees = {e.corrige_id for e in emargements if e.corrige_id}
    # the current signature of each slot: the one no later record corrects
    signatures = {
        (e.participation_id, e.demi_journee): e for e in emargements if e.pk not in corrigees
    }
    liens = {}
    for p in seance.participations.all():
        for jeton in p.jetons.all():  # newest first
            liens.setdefault((p.pk, jeton.demi_journee), jeton)
    demi_journees = [(d, DemiJournee(d).label) for d in seance.demi_journees()]
    emargement = [
        {
            "participation": p,
            "creneaux": [
                (d, libelle, signatures.get((p.pk, d)), liens.get((p.pk, d)))
                for d, libelle in demi_journees
            ],
        }
        for p in participations
    ]
    animateur = [(d, libelle, signatures.get((None, d))) for d, libelle in demi_journees]
    propositions = [
        dossier_pk
        for dossier_pk, seance_pk in request.session.get("entrees_proposees", [])
        if seance_pk == seance.pk
    ]
    aujourd_hui = timezone.localdate()
    contexte = {
        "seance": seance,
        "participations": participations,
        "avertissements": selectors.chevauchements([seance]).get(seance.pk, []),
        "hors_parcours": [
            (p, selectors.hors_parcours(seance, p.dossier))
            for p in participations
            if selectors.hors_parcours(seance, p.dossier)
        ],
        "peut_valider": droits.peut_valider(request.user, seance),
        "peut_corriger": droits.peut_corriger(request.user, seance),
        "validable": seance.etat == EtatSeance.PREVUE and seance.date <= aujourd_hui,
        "emargement": emargement,
        "emargement_animateur": animateur,
        "emargement_ouvert": seance.est_realisee and seance.type_seance.emargement_requis,
        **_offres_d_entree(request, seance, participations, propositions),
        "form_presences": PresencesForm(participations=participations),
        "form_annulation": AnnulationForm(),
        "form_correction": PresencesForm(participations=participations, correction=True),
        "form_lien": LienForm(),
        "revisions": seance.history.select_related("history_user").order_by("-history_date")[:20],
    }
    contexte.update(extra)
    return contexte


def _offres_d_entree(request, seance, participations, propositions) -> dict:
    """One offer at a time: the entry of all present participants still "À venir" when there
    are several, else the one-click entry proposed after the validation."""
    a_faire_entrer = selectors.a_faire_entrer(seance, request.user)
    proposees = [p for p in participations if p.dossier_id in propositions]
    if len(a_faire_entrer) >= 2 or (a_faire_entrer and not proposees):
        return {"a_faire_entrer": a_faire_entrer, "entrees_proposees": []}
    return {"a_faire_entrer": [], "entrees_proposees": proposees}


def detail(request, pk):
    seance = _seance_visible_ou_404(request, pk)
    return render(request, "seances/detail.html", _contexte_seance(request, seance))


def _rendre_erreur(request, seance, **formulaires):
    return render(
        request, "seances/detail.html", _contexte_seance(request, seance, **formulaires), status=400
    )


def modifier(request, pk):
    seance = _seance_visible_ou_404(request, pk)
    if not droits.peut_valider(request.user, seance):
        raise PermissionDenied
    if seance.etat != EtatSeance.PREVUE:
        messages.error(request, "Seule une séance prévue se modifie.")
        return redirect("seances:detail", pk=seance.pk)
    initial = {
        champ: getattr(seance, champ)
        for champ in ("date", "heure_debut", "heure_fin", "lieu", "a_distance", "commentaire")
    }
    initial["animateur"] = seance.animateur_id
    form = ModificationSeanceForm(
        request.POST or None, seance=seance, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            resultat = services.modifier_seance(
                seance=seance, par=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            ajouter_erreurs(form, exc)
        else:
            messages.success(request, "Séance modifiée.")
            for avertissement in resultat.avertissements:
                messages.warning(request, avertissement)
            return redirect("seances:detail", pk=seance.pk)
    return render(request, "seances/modifier.html", {"seance": seance, "form": form})


@require_POST
def valider(request, pk):
    seance = _seance_visible_ou_404(request, pk)
    if not droits.peut_valider(request.user, seance):
        raise PermissionDenied
    form = PresencesForm(
        request.POST, request.FILES, participations=list(seance.participations.all())
    )
    if form.is_valid():
        try:
            resultat = services.valider_seance(
                seance=seance, par=request.user, presences=form.presences()
            )
        except ValidationError as exc:
            ajouter_erreurs(form, exc)
        else:
            messages.success(request, "Séance validée.")
            _proposer_entrees(request, [resultat])
            return redirect("seances:detail", pk=seance.pk)
    return _rendre_erreur(request, seance, form_presences=form)


@require_POST
def corriger(request, pk):
    seance = _seance_visible_ou_404(request, pk)
    if not droits.peut_corriger(request.user, seance):
        raise PermissionDenied
    form = PresencesForm(
        request.POST,
        request.FILES,
        participations=list(seance.participations.all()),
        correction=True,
    )
    if form.is_valid():
        try:
            services.corriger_seance(
                seance=seance,
                par=request.user,
                raison=form.cleaned_data["raison"],
                presences=form.presences(),
            )
        except ValidationError as exc:
            ajouter_erreurs(form, exc)
        else:
            messages.success(
                request, "Séance corrigée ; la raison est conservée dans l'historique."
            )
            return redirect("seances:detail", pk=seance.pk)
    return _rendre_erreur(request, seance, form_correction=form, ouvrir_correction=True)


@require_POST
def annuler(request, pk):
    seance = _seance_visible_ou_404(request, pk)
    if not droits.peut_valider(request.user, seance):
        raise PermissionDenied
    form = AnnulationForm(request.POST)
    if form.is_valid():
        try:
            services.annuler_seance(
                seance=seance,
                par=request.user,
                motif=form.cleaned_data["motif"],
                commentaire=form.cleaned_data["commentaire"],
            )
        except ValidationError as exc:
            ajouter_erreurs(form, exc)
        else:
            messages.success(request, "Séance annulée.")
            return redirect("seances:detail", pk=seance.pk)
    return _rendre_erreur(request, seance, form_annulation=form)


@require_POST
def enregistrer_entree(request, pk, dossier_pk):
    seance = _seance_visible_ou_404(request, pk)
    dossier = dossier_visible_ou_404(request, dossier_pk)
    propositions = request.session.get("entrees_proposees", [])
    try:
        services.enregistrer_entree(dossier=dossier, seance=seance, par=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Entrée en prestation de {dossier.beneficiaire} enregistrée au "
            f"{seance.date:%d/%m/%Y}.",
        )
    request.session["entrees_proposees"] = [p for p in propositions if p != [dossier.pk, seance.pk]]
    return redirect("seances:detail", pk=seance.pk)


def justificatif(request, pk):
    """A justificatif is read through its dossier's rights, never from a public media URL."""
    participation = get_object_or_404(Participation.objects.exclude(justificatif=""), pk=pk)
    dossier_visible_ou_404(request, participation.dossier_id)
    if not request.user.has_perm("seances.view_seance"):
        raise PermissionDenied
    flux = participation.justificatif.open("rb")
    type_reel = pieces.reconnaitre(flux.read(2048)) or ""
    flux.seek(0)
    return FileResponse(
        flux,
        as_attachment=True,
        filename=participation.justificatif.name.rsplit("/", 1)[-1],
        content_type=pieces.TYPES[type_reel][0] if type_reel else "application/octet-stream",
    )


@require_POST
def entrees_participants(request, pk):
    """ "Enregistrer l'entrée des participants": confirmation, then one Entrée per dossier
    (evenements.masse). Only this séance's participants can be asked for."""
    seance = _seance_visible_ou_404(request, pk)
    if not request.user.has_perm("evenements.add_evenement"):
        raise PermissionDenied
    retour = reverse("seances:detail", args=[seance.pk])
    types = masse.types_entree()
    entree = types.first()
    if entree is None or seance.est_annulee:
        messages.error(request, "Aucune entrée ne peut être enregistrée pour cette séance.")
        return redirect(retour)
    if "confirmer" in request.POST:
        participants = {
            str(p.dossier_id)
            for p in seance.participations.all()
            if p.presence == Presence.PRESENT and seance.est_realisee
        }
        ids = [i for i in request.POST.getlist("dossiers") if i in participants]
    else:
        ids = [d.pk for d in selectors.a_faire_entrer(seance, request.user)]
        if not ids:
            messages.info(request, "Aucun participant n'attend son entrée en prestation.")
            return redirect(retour)
    return confirmer_et_enregistrer(
        request,
        ids=ids,
        types=types,
        initial={
            "type_evenement": entree,
            "date": seance.date,
            "commentaire": f"Présent(e) à « {seance.type_seance} » le {seance.date:%d/%m/%Y}.",
        },
        titre=f"Enregistrer l'entrée des participants · {seance}",
        action=reverse("seances:entrees_participants", args=[seance.pk]),
        retour=retour,
    )


# --- émargement ---


def _participation_ou_404(seance, participation_pk):
    if participation_pk is None:
        return None
    participation = next((p for p in seance.participations.all() if p.pk == participation_pk), None)
    if participation is None:
        raise Http404
    return participation


def signer_tablette(request, pk, demi_journee, participation_pk=None):
    seance = _seance_visible_ou_404(request, pk)
    if not droits.peut_valider(request.user, seance) or demi_journee not in DemiJournee.values:
        raise PermissionDenied
    participation = _participation_ou_404(seance, participation_pk)
    form = SignatureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.signer_sur_place(
                seance=seance,
                participation=participation,
                demi_journee=demi_journee,
                image=depuis_data_url(form.cleaned_data["signature"]),
                par=request.user,
                adresse_ip=_ip(request),
                agent=_agent(request),
            )
        except ValidationError as exc:
            ajouter_erreurs(form, exc)
        else:
            messages.success(request, "Signature enregistrée.")
            return redirect("seances:detail", pk=seance.pk)
    signataire = (
        participation.dossier.beneficiaire
        if participation
        else (request.user.get_full_name() or request.user.username)
    )
    return render(
        request,
        "seances/signer_tablette.html",
        {
            "seance": seance,
            "signataire": signataire,
            "demi_journee": DemiJournee(demi_journee).label,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


def corriger_signature(request, pk, emargement_pk):
    """A reasoned new record replacing a signature; the original stays (legal trace)."""
    seance = _seance_visible_ou_404(request, pk)
    if not droits.peut_corriger(request.user, seance):
        raise PermissionDenied
    emargement = next((e for e in seance.emargements.all() if e.pk == emargement_pk), None)
    if emargement is None:
        raise Http404
    form = CorrectionSignatureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.corriger_emargement(
                emargement=emargement,
                par=request.user,
                raison=form.cleaned_data["raison"],
                image=depuis_data_url(form.cleaned_data["signature"]),
                adresse_ip=_ip(request),
                agent=_agent(request),
            )
        except ValidationError as exc:
            ajouter_erreurs(form, exc)
        else:
            messages.success(request, "Signature corrigée ; l'originale reste conservée.")
            return redirect("seances:detail", pk=seance.pk)
    return render(
        request,
        "seances/signer_tablette.html",
        {
            "seance": seance,
            "signataire": emargement.signataire,
            "demi_journee": emargement.get_demi_journee_display(),
            "form": form,
            "correction": emargement,
        },
        status=400 if form.errors else 200,
    )


@require_POST
def envoyer_lien(request, pk, participation_pk, demi_journee):
    seance = _seance_visible_ou_404(request, pk)
    participation = _participation_ou_404(seance, participation_pk)
    form = LienForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choisissez l'e-mail ou le SMS.")
        return redirect("seances:detail", pk=seance.pk)
    try:
        jeton = services.envoyer_lien(
            participation=participation,
            demi_journee=demi_journee,
            canal=form.cleaned_data["canal"],
            par=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"Lien de signature envoyé à {jeton.adresse} ({jeton.get_canal_display()})."
        )
    return redirect("seances:detail", pk=seance.pk)


@login_not_required
def signer(request, jeton):
    """The bénéficiaire's personal link: no login, only that slot, once."""
    try:
        lien = services.lire_jeton(jeton)
    except ValidationError as exc:
        return render(
            request, "seances/lien_invalide.html", {"erreur": " ".join(exc.messages)}, status=410
        )
    seance = lien.participation.seance
    form = SignatureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.signer_par_lien(
                valeur=jeton,
                demi_journee=request.POST.get("demi_journee", ""),
                image=depuis_data_url(form.cleaned_data["signature"]),
                adresse_ip=_ip(request),
                agent=_agent(request),
            )
        except ValidationError as exc:
            ajouter_erreurs(form, exc)
        else:
            return render(request, "seances/signe.html", {"seance": seance})
    return render(
        request,
        "seances/signer_lien.html",
        {
            "seance": seance,
            "lien": lien,
            "beneficiaire": lien.participation.dossier.beneficiaire,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


# --- the agenda ---


def _lundi(valeur: str | None) -> datetime.date:
    try:
        jour = datetime.date.fromisoformat(valeur) if valeur else timezone.localdate()
    except ValueError:
        jour = timezone.localdate()
    return jour - datetime.timedelta(days=jour.weekday())


@permission_required("seances.view_seance", raise_exception=True)
def agenda(request):
    lundi = _lundi(request.GET.get("semaine"))
    jours = [lundi + datetime.timedelta(days=i) for i in range(7)]
    seances = list(
        selectors.seances_avec_participants().filter(
            animateur=request.user, date__gte=jours[0], date__lte=jours[-1]
        )
    )
    visibles = set(
        dossiers_visibles(request.user)
        .filter(participations__seance__in=seances)
        .values_list("pk", flat=True)
    )
    colonnes = [(jour, [s for s in seances if s.date == jour]) for jour in jours]
    contexte = {
        "colonnes": colonnes,
        "lundi": lundi,
        "precedente": lundi - datetime.timedelta(days=7),
        "suivante": lundi + datetime.timedelta(days=7),
        "aujourd_hui": timezone.localdate(),
        "visibles": visibles,
    }
    if request.htmx:
        return render(request, "seances/_agenda_semaine.html", contexte)
    return render(request, "seances/agenda.html", contexte)
