"""Who may enter the Django admin: superusers and the Administrateur group, nobody else.

The admin is not team-scoped: it shows every team's data. Responsables and conseillers
work in the application, whose views and forms are scoped by team (dossiers.droits).
"""

from django.contrib import admin

GROUPE_ADMINISTRATEUR = "Administrateur"


def peut_administrer(user) -> bool:
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    if not hasattr(user, "_parcours_administrateur"):
        user._parcours_administrateur = user.groups.filter(name=GROUPE_ADMINISTRATEUR).exists()
    return user._parcours_administrateur


class ParcoursAdminSite(admin.AdminSite):
    site_header = "Parcours — administration"
    site_title = "Parcours"
    index_title = "Paramétrage"

    def has_permission(self, request) -> bool:
        return peut_administrer(request.user)


class SansSuppressionAdmin(admin.ModelAdmin):
    """Reference data that events, dossiers or documents name: deactivate, never delete.

    A physical delete would rewrite history (past events would show "supprimé" and replays
    would change), so the admin offers no delete at all, not even for unused rows.
    """

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
