from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("dossiers/<int:dossier_pk>/envois/", views.envois, name="envois"),
    path("alertes/", views.alertes, name="alertes"),
    path("alertes/<int:pk>/lue/", views.marquer_lue, name="marquer_lue"),
    path("alertes/tout-lu/", views.tout_marquer_lu, name="tout_marquer_lu"),
]
