from django.apps import AppConfig


class FacturationConfig(AppConfig):
    name = "facturation"
    verbose_name = "Facturation"

    def ready(self) -> None:
        from evenements.natures import enregistrer
        from facturation.actions import NatureBlocage, NatureDeblocage, NatureGeneration

        for nature in (NatureGeneration(), NatureDeblocage(), NatureBlocage()):
            enregistrer(nature)

        from facturation.extensions_dossier import enregistrer as enregistrer_extensions

        enregistrer_extensions()
