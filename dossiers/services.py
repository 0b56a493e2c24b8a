"""Writes on dossiers and bénéficiaires. Derived state (statut, phase, dates, current
financeur) is only written by the replay, which the apps above register (extensions)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dossiers import extensions
from dossiers.droits import (
    dossiers_visibles,
    equipes_de,
    exiger,
    peut_voir_dossier,
    voit_toutes_les_equipes,
)
from dossiers.models import STATUTS_OUVERTS, Beneficiaire, Dossier, Equipe, Financeur

CONFLIT = (
    "{quoi} a été modifié par {qui} pendant votre saisie. Rechargez la page pour voir la "
    "version actuelle, puis refaites votre modification."
)
CHAMPS_BENEFICIAIRE = [
    "civilite",
    "nom",
    "prenom",
    "date_naissance",
    "email",
    "mobile",
    "adresse",
    "identifiant_externe",
    "consentement_email",
    "consentement_sms",
]


def autre_dossier_ouvert(beneficiaire, prestation, *, sauf: Dossier | None = None):
    """The open dossier of this bénéficiaire for this prestation, other than `sauf`."""
    ouverts = Dossier.objects.filter(
        beneficiaire=beneficiaire, prestation=prestation, statut__in=STATUTS_OUVERTS
    )
    if sauf is not None:
        ouverts = ouverts.exclude(pk=sauf.pk)
    return ouverts.first()


def verifier_aucun_dossier_ouvert(beneficiaire, prestation, *, par=None) -> None:
    """Refuse a second open dossier; name the open one only to whom may see it."""
    ouvert = autre_dossier_ouvert(beneficiaire, prestation)
    if ouvert is None:
        return
    if par is None or peut_voir_dossier(par, ouvert):
        precision = f"(dossier n° {ouvert.pk}, « {ouvert.get_statut_display()} »)"
    else:
        precision = "dans une autre équipe"
    raise ValidationError(
        {
            "prestation": [
                f"{beneficiaire} a déjà un dossier ouvert pour « {prestation} » {precision}."
            ]
        }
    )


@transaction.atomic
def creer_dossier(
    *, beneficiaire, prestation, equipe, referent, par, financeur=None, heures_prevues=None
) -> Dossier:
    exiger(par.has_perm("dossiers.add_dossier"))
    exiger(
        voit_toutes_les_equipes(par) or equipe.pk in equipes_de(par),
        "Vous ne pouvez créer un dossier que pour l'une de vos équipes.",
    )
    verifier_aucun_dossier_ouvert(beneficiaire, prestation, par=par)
    dossier = Dossier(
        beneficiaire=beneficiaire,
        prestation=prestation,
        equipe=equipe,
        referent=referent,
        financeur_initial=financeur,
        financeur=financeur,
        heures_prevues=heures_prevues
        if heures_prevues is not None
        else prestation.duree_prevue_heures,
    )
    dossier._history_user = par
    dossier._change_reason = "Création"
    try:
        with transaction.atomic():
            dossier.save()
    except IntegrityError:  # a concurrent creation won the race
        verifier_aucun_dossier_ouvert(beneficiaire, prestation, par=par)
        raise
    return dossier


# --- edits, with history and an optimistic version check ---


def _instantane_initial(objet, par) -> None:
    """Rows created before history was kept get a first revision, so the first edit
    shows what it changed."""
    if not objet.history.exists():
        type(objet).history.bulk_history_create(
            [objet], default_user=None, default_change_reason="État avant la première modification"
        )


def _verifier_version(objet, version: int | None, quoi: str) -> None:
    if version is None or int(version) != objet.version:
        derniere = objet.history.select_related("history_user").order_by("-history_id").first()
        auteur = getattr(derniere, "history_user", None)
        qui = (auteur.get_full_name() or auteur.username) if auteur else "quelqu'un d'autre"
        raise ValidationError(CONFLIT.format(quoi=quoi, qui=qui), code="conflit")


def beneficiaires_modifiables(user):
    """Bénéficiaires of a dossier the user sees: the team scope, as everywhere."""
    return Beneficiaire.objects.filter(dossiers__in=dossiers_visibles(user)).distinct()


def peut_modifier_beneficiaire(user, beneficiaire: Beneficiaire) -> bool:
    return (
        user.has_perm("dossiers.change_beneficiaire")
        and beneficiaires_modifiables(user).filter(pk=beneficiaire.pk).exists()
    )


@transaction.atomic
def modifier_beneficiaire(
    *, beneficiaire: Beneficiaire, par, version: int | None, raison: str = "", **valeurs
) -> Beneficiaire:
    """Edit a bénéficiaire's details. `valeurs` are fields of CHAMPS_BENEFICIAIRE."""
    exiger(peut_modifier_beneficiaire(par, beneficiaire))
    beneficiaire = Beneficiaire.objects.select_for_update().get(pk=beneficiaire.pk)
    _verifier_version(beneficiaire, version, "Ce bénéficiaire")
    inconnus = set(valeurs) - set(CHAMPS_BENEFICIAIRE)
    if inconnus:
        raise ValueError(f"Champs non modifiables : {sorted(inconnus)}")
    modifies = [c for c, v in valeurs.items() if getattr(beneficiaire, c) != v]
    if not modifies:
        return beneficiaire
    _instantane_initial(beneficiaire, par)
    for champ in modifies:
        setattr(beneficiaire, champ, valeurs[champ])
    beneficiaire.full_clean(exclude=["recherche", "version"])
    beneficiaire.version += 1
    beneficiaire._history_user = par
    beneficiaire._change_reason = raison.strip()[:100] or "Coordonnées modifiées"
    beneficiaire.save()
    return beneficiaire


def referents_proposes(equipe: Equipe):
    return equipe.membres.filter(is_active=True).order_by("last_name", "first_name", "username")


def peut_modifier_dossier(user, dossier: Dossier) -> bool:
    return user.has_perm("dossiers.change_dossier") and peut_voir_dossier(user, dossier)


@transaction.atomic
def modifier_dossier(
    *,
    dossier: Dossier,
    par,
    version: int | None,
    raison: str,
    referent=None,
    financeur_initial: Financeur | None = None,
    heures_prevues: Decimal | None = None,
    equipe: Equipe | None = None,
) -> Dossier:
    """Edit what a person decides on a dossier. A new initial financeur is replayed: events
    that changed the financeur still win from their date."""
    exiger(peut_modifier_dossier(par, dossier))
    dossier = Dossier.objects.select_for_update().select_related("prestation").get(pk=dossier.pk)
    _verifier_version(dossier, version, "Ce dossier")
    erreurs: dict[str, list[str]] = {}
    equipe = equipe or dossier.equipe
    if equipe.pk != dossier.equipe_id and not (
        voit_toutes_les_equipes(par) or equipe.pk in equipes_de(par)
    ):
        erreurs["equipe"] = ["Vous ne pouvez confier un dossier qu'à l'une de vos équipes."]
    referent = referent or dossier.referent
    change_d_equipe_ou_referent = (
        equipe.pk != dossier.equipe_id or referent.pk != dossier.referent_id
    )
    if change_d_equipe_ou_referent and not referents_proposes(equipe).filter(pk=referent.pk):
        erreurs["referent"] = [f"Le référent doit être un membre actif de l'équipe « {equipe} »."]
    if (
        financeur_initial is not None
        and not financeur_initial.actif
        and financeur_initial.pk != dossier.financeur_initial_id
    ):
        erreurs["financeur_initial"] = ["Ce financeur n'est plus actif."]
    if heures_prevues is not None and heures_prevues < 0:
        erreurs["heures_prevues"] = ["Les heures prévues ne peuvent pas être négatives."]
    if not raison.strip():
        erreurs["raison"] = ["Indiquez la raison de la modification (gardée dans l'historique)."]
    if erreurs:
        raise ValidationError(erreurs)
    nouvelles = {
        "equipe_id": equipe.pk,
        "referent_id": referent.pk,
        "financeur_initial_id": financeur_initial.pk if financeur_initial else None,
        "heures_prevues": heures_prevues,
    }
    modifies = [c for c, v in nouvelles.items() if getattr(dossier, c) != v]
    if not modifies:
        return dossier
    _instantane_initial(dossier, par)
    for champ in modifies:
        setattr(dossier, champ, nouvelles[champ])
    dossier.version += 1
    dossier._history_user = par
    dossier._change_reason = raison.strip()[:100]
    dossier.save(update_fields=[*modifies, "version"])
    if "financeur_initial_id" in modifies:
        extensions.recalculer(dossier)
    return dossier
