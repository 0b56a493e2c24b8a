from django.urls import path

from evenements import views, views_masse

app_name = "evenements"
urlpatterns = [
    path("dossiers/<int:dossier_pk>/evenements/", views.onglet, name="onglet"),
    path("dossiers/<int:dossier_pk>/evenements/nouveau/", views.nouveau, name="nouveau"),
    path("dossiers/<int:dossier_pk>/evenements/ordre/", views.changer_ordre, name="ordre"),
    path("evenements/<int:pk>/", views.detail, name="detail"),
    path("evenements/<int:pk>/modifier/", views.modifier, name="modifier"),
    path("evenements/<int:pk>/supprimer/", views.supprimer, name="supprimer"),
    path("evenements/<int:pk>/deplacer/", views.deplacer, name="deplacer"),
    path("actions/<int:pk>/<slug:operation>/", views.operer_action, name="operer_action"),
    path("evenements/masse/", views_masse.depuis_la_liste, name="masse"),
    path("evenements/masse/bilan/<str:jeton>/", views_masse.bilan, name="masse_bilan"),
    path("actions/echecs/", views.actions_en_echec, name="actions_en_echec"),
]
