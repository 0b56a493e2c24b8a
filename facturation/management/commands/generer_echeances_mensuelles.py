from django.core.management.base import BaseCommand

from facturation import echeancier


class Command(BaseCommand):
    help = "Génère les échéances mensuelles (heures réalisées) des mois terminés."

    def handle(self, *args, **options):
        total = echeancier.generer_mensuelles()
        self.stdout.write(f"{total} échéance(s) mensuelle(s) générée(s).")
