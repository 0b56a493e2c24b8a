from django.urls import path

from pilotage import views

app_name = "pilotage"
urlpatterns = [
    path("", views.tableau_de_bord, name="tableau_de_bord"),
    path("csv/<slug:cle>/", views.export_csv, name="csv"),
    path("dossiers/", views.dossiers, name="dossiers"),
    path("declarations/", views.declarations, name="declarations"),
    path("bpf/", views.bpf_page, name="bpf"),
    path("rapports/", views.liste_rapports, name="rapports"),
    path("rapports/<int:pk>/apercu/", views.apercu, name="apercu"),
    path("rapports/<int:pk>/envoyer/", views.envoyer, name="envoyer"),
    path("rapports/envois/<int:pk>/relancer/", views.relancer, name="relancer"),
]
