"""The application's URLs plus views that fail, to see the production error pages."""

from django.core.exceptions import SuspiciousOperation
from django.urls import path

from config.urls import urlpatterns as application


def panne(request):
    raise RuntimeError("panne simulée")


def requete_suspecte(request):
    raise SuspiciousOperation("requête suspecte simulée")


urlpatterns = [
    path("essai/panne/", panne),
    path("essai/suspecte/", requete_suspecte),
    *application,
]
