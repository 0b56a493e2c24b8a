from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from config.health import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dossiers:liste", permanent=False)),
    path(
        "connexion/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("dossiers/", include("dossiers.urls")),
    path("", include("evenements.urls")),
    path("", include("notifications.urls")),
    path("", include("facturation.urls")),
    path("pilotage/", include("pilotage.urls")),
    path("", include("seances.urls")),
    path("", include("documents.urls")),
]
