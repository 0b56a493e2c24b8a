from django.urls import path

from dossiers import views

app_name = "dossiers"
urlpatterns = [
    path("", views.liste, name="liste"),
    path("nouveau/", views.nouveau, name="nouveau"),
    path("<int:pk>/", views.resume, name="resume"),
    path("<int:pk>/modifier/", views.modifier_dossier, name="modifier"),
    path(
        "<int:pk>/beneficiaire/modifier/", views.modifier_beneficiaire, name="modifier_beneficiaire"
    ),
    path("<int:pk>/historique/", views.historique, name="historique"),
]
