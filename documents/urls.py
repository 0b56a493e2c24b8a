from django.urls import path

from documents import views

app_name = "documents"
urlpatterns = [
    path("dossiers/<int:dossier_pk>/documents/", views.onglet, name="onglet"),
    path("dossiers/<int:dossier_pk>/documents/apercu/", views.apercu, name="apercu"),
    path("dossiers/<int:dossier_pk>/documents/generer/", views.generer, name="generer"),
    path("dossiers/<int:dossier_pk>/documents/deposer/", views.deposer, name="deposer"),
    path(
        "seances/<int:seance_pk>/feuille-emargement/",
        views.feuille_seance,
        name="feuille_seance",
    ),
    path("documents/<int:pk>/telecharger/", views.telecharger, name="telecharger"),
    path("documents/<int:pk>/envoyer/", views.envoyer, name="envoyer"),
    path("documents/<int:pk>/regenerer/", views.regenerer, name="regenerer"),
    path("documents/<int:pk>/annuler/", views.annuler, name="annuler"),
]
