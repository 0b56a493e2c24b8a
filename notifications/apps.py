from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from evenements.natures import enregistrer
        from notifications.actions import NatureNotification

        enregistrer(NatureNotification())
