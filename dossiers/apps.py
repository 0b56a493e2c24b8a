from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = "Dossiers"

    def ready(self) -> None:
        from django.contrib import messages
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from config.securite import noter_activite_a_la_connexion
        from dossiers.extensions import Onglet, enregistrer_onglet

        enregistrer_onglet(Onglet("resume", "Résumé", "dossiers:resume", ordre=0))
        enregistrer_onglet(Onglet("historique", "Historique", "dossiers:historique", ordre=95))

        def annoncer_deconnexion(sender, request, user, **kwargs):
            messages.info(request, "Vous êtes déconnecté.")

        user_logged_out.connect(annoncer_deconnexion, dispatch_uid="annoncer_deconnexion")
        user_logged_in.connect(noter_activite_a_la_connexion, dispatch_uid="noter_activite")

        # Every admin module is imported by now (the admin app comes first in INSTALLED_APPS).
        from config.saisie import nettoyer_admin

        nettoyer_admin()
