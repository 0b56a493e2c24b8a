"""Parameters of the billing action kinds (subclasses of the outbox's ActionConfiguree)."""

from evenements.models import ActionConfiguree


class _AvecNature:
    NATURE = ""

    def save(self, *args, **kwargs):
        # Migrations' historical models keep this mixin but not the subclass's NATURE.
        if self.NATURE:
            self.nature = self.NATURE
        super().save(*args, **kwargs)


class DeblocageEcheances(_AvecNature, ActionConfiguree):
    NATURE = "debloquer_echeances"

    class Meta:
        verbose_name = "déblocage d'échéances"
        verbose_name_plural = "déblocages d'échéances"


class BlocageFacturation(_AvecNature, ActionConfiguree):
    NATURE = "bloquer_facturation"

    class Meta:
        verbose_name = "blocage de la facturation"
        verbose_name_plural = "blocages de la facturation"


class GenerationEcheances(_AvecNature, ActionConfiguree):
    NATURE = "generer_echeances"

    class Meta:
        verbose_name = "génération des échéances"
        verbose_name_plural = "générations des échéances"
