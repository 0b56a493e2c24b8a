from django.core.management.base import BaseCommand

from evenements.services import appliquer_evenements_echus


class Command(BaseCommand):
    help = "Applique les événements planifiés dont la date est arrivée (tâche quotidienne)."

    def handle(self, *args, **options):
        total = appliquer_evenements_echus()
        self.stdout.write(f"{total} dossier(s) recalculé(s).")
