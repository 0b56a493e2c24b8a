from django.apps import AppConfig


class EvenementsConfig(AppConfig):
    name = "evenements"
    verbose_name = "Prestations et événements"
