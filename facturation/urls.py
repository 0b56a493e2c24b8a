from django.urls import path

from facturation import views
from facturation.models import Facture

app_name = "facturation"
urlpatterns = [
    path("dossiers/<int:dossier_pk>/facturation/", views.onglet, name="onglet"),
    path("facturation/conventions/<int:pk>/", views.convention, name="convention"),
    path("facturation/echeances/", views.echeances, name="echeances"),
    path(
        "facturation/echeances/<int:pk>/annuler/",
        views.annuler_echeance,
        name="annuler_echeance",
    ),
    path("facturation/factures/", views.factures, name="factures"),
    path(
        "facturation/avoirs/",
        views.factures,
        {"nature": Facture.Nature.AVOIR},
        name="avoirs",
    ),
    path("facturation/factures/<int:pk>/", views.facture, name="facture"),
    path("facturation/factures/<int:pk>/pdf/", views.pdf, name="pdf"),
    path(
        "facturation/factures/<int:pk>/<str:action>/",
        views.agir,
        name="agir",
    ),
    path("facturation/reglements/", views.reglements, name="reglements"),
    path("facturation/export/factures.csv", views.export_factures, name="export_factures"),
    path("facturation/export/reglements.csv", views.export_reglements, name="export_reglements"),
]
