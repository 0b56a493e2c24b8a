"""Who may see and do what. Every view and every service asks here."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from dossiers.models import Beneficiaire, Dossier, Equipe


def voit_toutes_les_equipes(user: AbstractBaseUser) -> bool:
    return user.has_perm("dossiers.voir_toutes_equipes")


def dossiers_visibles(user: AbstractBaseUser) -> QuerySet[Dossier]:
    """Selector: the dossiers of the user's teams (all of them for an administrator)."""
    dossiers = Dossier.objects.all()
    if not user.is_authenticated or not user.has_perm("dossiers.view_dossier"):
        return dossiers.none()
    if voit_toutes_les_equipes(user):
        return dossiers
    return dossiers.filter(equipe__membres=user)


def equipes_visibles(user: AbstractBaseUser) -> QuerySet[Equipe]:
    """Selector: the teams a user may pick (in a form, a filter)."""
    equipes = Equipe.objects.all()
    if not user.is_authenticated:
        return equipes.none()
    return equipes if voit_toutes_les_equipes(user) else equipes.filter(pk__in=equipes_de(user))


def beneficiaires_visibles(user: AbstractBaseUser) -> QuerySet[Beneficiaire]:
    """Selector: the bénéficiaires of the dossiers the user sees, and no one else's."""
    beneficiaires = Beneficiaire.objects.all()
    if not user.is_authenticated or not user.has_perm("dossiers.view_beneficiaire"):
        return beneficiaires.none()
    if voit_toutes_les_equipes(user):
        return beneficiaires
    return beneficiaires.filter(pk__in=dossiers_visibles(user).values("beneficiaire_id"))


def membres_actifs(equipes: QuerySet[Equipe]):
    """The active members of these teams, by name (référent choices)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, equipes__in=equipes)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def referents_visibles(user: AbstractBaseUser):
    """Selector: the active members of the user's teams (référent choices and filters)."""
    return membres_actifs(equipes_visibles(user))


def peut_voir_dossier(user, dossier: Dossier) -> bool:
    if not user.has_perm("dossiers.view_dossier"):
        return False
    if voit_toutes_les_equipes(user):
        return True
    return dossier.equipe_id in equipes_de(user)


def equipes_de(user) -> set[int]:
    """The user's team ids, fetched once per request (cached on the user object)."""
    if not hasattr(user, "_parcours_equipes"):
        user._parcours_equipes = set(user.equipes.values_list("pk", flat=True))
    return user._parcours_equipes


def exiger(condition: bool, message: str = "Vous n'avez pas les droits pour cette action.") -> None:
    if not condition:
        raise PermissionDenied(message)
