from django.urls import path

from seances import views

app_name = "seances"
urlpatterns = [
    path("dossiers/<int:dossier_pk>/seances/", views.onglet, name="onglet"),
    path("dossiers/<int:dossier_pk>/seances/nouvelle/", views.nouvelle, name="nouvelle"),
    path("dossiers/<int:dossier_pk>/seances/valider/", views.valider_masse, name="valider_masse"),
    path(
        "dossiers/<int:dossier_pk>/seances/non-realisees/",
        views.retirer_non_realisees,
        name="retirer_non_realisees",
    ),
    path("seances/<int:pk>/", views.detail, name="detail"),
    path("participations/<int:pk>/justificatif/", views.justificatif, name="justificatif"),
    path("seances/<int:pk>/modifier/", views.modifier, name="modifier"),
    path("seances/<int:pk>/valider/", views.valider, name="valider"),
    path("seances/<int:pk>/corriger/", views.corriger, name="corriger"),
    path("seances/<int:pk>/annuler/", views.annuler, name="annuler"),
    path(
        "seances/<int:pk>/entree/<int:dossier_pk>/",
        views.enregistrer_entree,
        name="enregistrer_entree",
    ),
    path("seances/<int:pk>/entrees/", views.entrees_participants, name="entrees_participants"),
    path(
        "seances/<int:pk>/signer/<slug:demi_journee>/",
        views.signer_tablette,
        name="signer_animateur",
    ),
    path(
        "seances/<int:pk>/signer/<slug:demi_journee>/<int:participation_pk>/",
        views.signer_tablette,
        name="signer_tablette",
    ),
    path(
        "seances/<int:pk>/lien/<int:participation_pk>/<slug:demi_journee>/",
        views.envoyer_lien,
        name="envoyer_lien",
    ),
    path(
        "seances/<int:pk>/signatures/<int:emargement_pk>/corriger/",
        views.corriger_signature,
        name="corriger_signature",
    ),
    path("emargement/<str:jeton>/", views.signer, name="signer"),
    path("agenda/", views.agenda, name="agenda"),
]
