from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from evenements.natures import enregistrer
        from notifications.actions import NatureNotification

        enregistrer(NatureNotification())

        from dossiers.extensions import Onglet, enregistrer_onglet

        enregistrer_onglet(Onglet("envois", "Envois", "notifications:envois", ordre=90))
