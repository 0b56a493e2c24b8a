from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from evenements.natures import ErreurTransitoire, enregistrer
        from notifications.actions import NatureNotification

        enregistrer(NatureNotification())

        from notifications.liens import expedier
        from seances.expedition import enregistrer_expediteur

        enregistrer_expediteur(expedier, transitoires=(ErreurTransitoire,))

        from dossiers.extensions import Onglet, enregistrer_onglet

        enregistrer_onglet(Onglet("envois", "Envois", "notifications:envois", ordre=90))
