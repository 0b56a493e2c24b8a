from django.apps import AppConfig


class PilotageConfig(AppConfig):
    name = "pilotage"
    verbose_name = "Pilotage et rapports"

    def ready(self) -> None:
        from evenements import planificateur
        from pilotage import envois

        planificateur.enregistrer("rapports financeurs", envois.planifier)
