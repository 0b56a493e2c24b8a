from django.urls import path

from dossiers import views

app_name = "dossiers"
urlpatterns = [
    path("", views.liste, name="liste"),
    path("nouveau/", views.nouveau, name="nouveau"),
    path("<int:pk>/", views.resume, name="resume"),
]
