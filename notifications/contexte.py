"""Template context: the unread alert count of the header, counted only when shown."""

from notifications.services import nombre_non_lues


def alertes(request):
    # A callable: the template calls it once, inside {% with %}, and only for a logged-in user.
    return {"alertes_non_lues": lambda: nombre_non_lues(request.user)}
