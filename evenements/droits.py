"""Rights on events: record on a visible dossier; edit one's own (or any, with the right
permission); delete only with the delete permission. The dossier's team is always checked."""

from dossiers.droits import peut_voir_dossier
from dossiers.models import Dossier
from evenements.models import Evenement


def peut_saisir(user, dossier: Dossier) -> bool:
    return user.has_perm("evenements.add_evenement") and peut_voir_dossier(user, dossier)


def droits_sur_les_evenements(user, dossier: Dossier):
    """For the events of one dossier: a function giving (may edit, may delete) for each.
    The user's permissions and the dossier's team are checked once, not once per row."""
    voit = peut_voir_dossier(user, dossier)
    modifier = voit and user.has_perm("evenements.change_evenement")
    modifier_tout = modifier and user.has_perm("evenements.modifier_tout_evenement")
    supprimer = voit and user.has_perm("evenements.delete_evenement")

    def pour(evenement: Evenement) -> tuple[bool, bool]:
        if evenement.est_supprime:
            return False, False
        return modifier and (modifier_tout or evenement.auteur_id == user.pk), supprimer

    return pour


def peut_modifier(user, evenement: Evenement) -> bool:
    return droits_sur_les_evenements(user, evenement.dossier)(evenement)[0]


def peut_supprimer(user, evenement: Evenement) -> bool:
    return droits_sur_les_evenements(user, evenement.dossier)(evenement)[1]


def qui_peut_piloter(dossier: Dossier) -> list:
    """Active members of the dossier's team who may retry, cancel or review its actions:
    named to a caseworker who sees an action waiting for someone else."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    droit = Q(
        groups__permissions__codename="piloter_actions",
        groups__permissions__content_type__app_label="evenements",
    ) | Q(
        user_permissions__codename="piloter_actions",
        user_permissions__content_type__app_label="evenements",
    )
    return list(
        get_user_model()
        .objects.filter(is_active=True, equipes=dossier.equipe_id)
        .filter(droit | Q(is_superuser=True))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
