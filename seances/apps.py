from django.apps import AppConfig


class SeancesConfig(AppConfig):
    name = "seances"
    verbose_name = "Séances et émargement"

    def ready(self) -> None:
        from evenements.natures import enregistrer
        from seances.actions import NatureCalculFinal
        from seances.extensions_dossier import enregistrer as enregistrer_extensions

        enregistrer(NatureCalculFinal())
        enregistrer_extensions()
