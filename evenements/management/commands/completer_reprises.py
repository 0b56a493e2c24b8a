from django.core.management.base import BaseCommand

from evenements.services import completer_reprises


class Command(BaseCommand):
    help = (
        "Calcule les points de reprise du rejeu manquants (données importées en masse) : "
        "à lancer une fois après la migration."
    )

    def handle(self, *args, **options):
        total = completer_reprises()
        self.stdout.write(f"{total} dossier(s) complété(s).")
