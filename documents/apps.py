from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from documents import checks  # noqa: F401 - registers the Pango check
        from documents.actions import NatureDocument
        from dossiers.extensions import Onglet, enregistrer_onglet
        from evenements.natures import enregistrer

        enregistrer(NatureDocument())
        enregistrer_onglet(
            Onglet(
                "documents",
                "Documents",
                "documents:onglet",
                ordre=30,
                permission="documents.view_document",
            )
        )
