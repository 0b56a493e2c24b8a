from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [path("dossiers/<int:dossier_pk>/envois/", views.envois, name="envois")]
