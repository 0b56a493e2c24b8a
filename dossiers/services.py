"""Writes on dossiers. Derived state (statut, phase, dates) is only written by the replay."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dossiers.droits import equipes_de, exiger, peut_voir_dossier, voit_toutes_les_equipes
from dossiers.models import STATUTS_OUVERTS, Dossier


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
        financeur=financeur,
        heures_prevues=heures_prevues
        if heures_prevues is not None
        else prestation.duree_prevue_heures,
    )
    try:
        with transaction.atomic():
            dossier.save()
    except IntegrityError:  # a concurrent creation won the race
        verifier_aucun_dossier_ouvert(beneficiaire, prestation, par=par)
        raise
    return dossier
