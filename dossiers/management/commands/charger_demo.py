"""Demo data: users, teams, prestations, financeurs and ≥ 60 dossiers with real histories.

Idempotent: a second run changes nothing. Refuses to run with DEBUG off unless --force.
"""

import datetime
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from dossiers.models import Beneficiaire, Dossier, Equipe, Financeur, Phase, Prestation
from dossiers.services import creer_dossier
from evenements.models import Evenement, Motif, TypeEvenement
from evenements.services import enregistrer_evenement, supprimer_evenement
from seances import demo as demo_seances

MOT_DE_PASSE = "demo"
PRESTATIONS = [
    (
        "bilan-competences",
        "Bilan de compétences",
        "Bilan",
        24,
        ["Phase préliminaire", "Phase d'investigation", "Phase de conclusions"],
    ),
    (
        "accompagnement-emploi",
        "Accompagnement vers l'emploi",
        "Insertion",
        120,
        ["Bilan initial", "Phase d'accompagnement", "Phase de consolidation", "Bilan final"],
    ),
    (
        "formation-bureautique",
        "Formation bureautique",
        "Formation",
        70,
        ["Remise à niveau", "Certification"],
    ),
]
FINANCEURS = [
    ("Région Auvergne-Rhône-Alpes", "formation@region.example\n"),
    ("France Travail Lyon", "prescription@francetravail.example\n"),
]
PRENOMS = [
    "Camille",
    "Léa",
    "Hugo",
    "Inès",
    "Lucas",
    "Manon",
    "Nathan",
    "Chloé",
    "Yanis",
    "Sarah",
    "Louis",
    "Jade",
    "Rayan",
    "Emma",
    "Mohamed",
    "Julie",
    "Thomas",
    "Aïcha",
    "Paul",
    "Zoé",
]
NOMS = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guerin",
]
SCENARIOS = [
    "a_venir",
    "en_cours",
    "en_cours",
    "termine",
    "abandonne",
    "rupture",
    "sortie_planifiee",
]
NB_DOSSIERS = 63


class Command(BaseCommand):
    help = "Charge les données de démonstration (jamais en production)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Charger même avec DEBUG désactivé."
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusé : DEBUG est désactivé (production ?). Les comptes de démonstration ont le "
                "mot de passe « demo ». Relancez avec --force si c'est vraiment voulu."
            )
        # The demo's notifications go through the real pipeline and are logged in each
        # dossier's "Envois" tab, but are kept in memory instead of being printed or sent.
        with (
            override_settings(
                EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                SMS_BACKEND="memoire",
            ),
            transaction.atomic(),
        ):
            utilisateurs = self._utilisateurs()
            if Dossier.objects.filter(
                beneficiaire__identifiant_externe__startswith="DEMO-"
            ).exists():
                self.stdout.write("Données de démonstration déjà présentes : rien à faire.")
            else:
                self._dossiers(utilisateurs)
        self.stdout.write(
            self.style.SUCCESS(
                "Comptes de démonstration (mot de passe « demo ») : admin, responsable, "
                "conseiller, conseillere.est (autre équipe)."
            )
        )

    def _utilisateurs(self):
        User = get_user_model()
        lyon, _ = Equipe.objects.get_or_create(nom="Équipe Lyon Centre")
        est, _ = Equipe.objects.get_or_create(nom="Équipe Lyon Est")
        comptes = {
            "admin": ("Alice", "Admin", "Administrateur", [lyon, est]),
            "responsable": ("Rémi", "Responsable", "Responsable", [lyon]),
            "conseiller": ("Claire", "Conseil", "Conseiller", [lyon]),
            "conseillere.est": ("Estelle", "Bastide", "Conseiller", [est]),
        }
        utilisateurs = {}
        for identifiant, (prenom, nom, groupe, equipes) in comptes.items():
            user, cree = User.objects.get_or_create(
                username=identifiant, defaults={"first_name": prenom, "last_name": nom}
            )
            if cree:
                user.set_password(MOT_DE_PASSE)
                user.is_staff = user.is_superuser = identifiant == "admin"
                user.save()
                user.groups.add(Group.objects.get(name=groupe))
                for equipe in equipes:
                    equipe.membres.add(user)
            utilisateurs[identifiant] = User.objects.get(pk=user.pk)  # fresh permission cache
        return utilisateurs

    def _dossiers(self, utilisateurs):
        hasard = random.Random(2026)
        aujourd_hui = timezone.localdate()
        prestations = []
        for code, nom, famille, heures, phases in PRESTATIONS:
            prestation, cree = Prestation.objects.get_or_create(
                code=code, defaults={"nom": nom, "famille": famille, "duree_prevue_heures": heures}
            )
            if cree:
                for ordre, libelle in enumerate(phases, start=1):
                    Phase.objects.create(prestation=prestation, libelle=libelle, ordre=ordre)
            demo_seances.preparer_prestation(prestation)
            prestations.append(prestation)
        financeurs = [
            Financeur.objects.get_or_create(raison_sociale=nom, defaults={"emails_contact": mails})[
                0
            ]
            for nom, mails in FINANCEURS
        ]
        types = {t.code: t for t in TypeEvenement.objects.all()}
        motifs = {liste: list(Motif.objects.filter(liste=liste)) for liste in Motif.Liste.values}
        admin, conseiller = utilisateurs["admin"], utilisateurs["conseiller"]
        equipes = list(Equipe.objects.order_by("nom"))

        for i in range(NB_DOSSIERS):
            beneficiaire = Beneficiaire.objects.create(
                civilite=hasard.choice(["mme", "m"]),
                nom=NOMS[i % len(NOMS)],
                prenom=PRENOMS[(i * 7) % len(PRENOMS)],
                date_naissance=datetime.date(1965 + i % 38, 1 + i % 12, 1 + i % 27),
                email=f"beneficiaire{i}@exemple.fr",
                mobile=f"+3361234{i:04d}",
                identifiant_externe=f"DEMO-{i:04d}",
                consentement_sms=i % 3 == 0,
            )
            equipe = equipes[0] if i % 4 else equipes[1]
            referent = conseiller if equipe == equipes[0] else utilisateurs["conseillere.est"]
            dossier = creer_dossier(
                beneficiaire=beneficiaire,
                prestation=prestations[i % 3],
                equipe=equipe,
                referent=referent,
                financeur=financeurs[i % 2],
                par=admin,
            )
            self._histoire(
                dossier,
                SCENARIOS[i % len(SCENARIOS)],
                i,
                hasard,
                aujourd_hui,
                types,
                motifs,
                referent if i % 4 else admin,
                utilisateurs,
            )
        for prestation in prestations:
            demo_seances.ateliers_collectifs(
                prestation=prestation,
                dossiers=Dossier.objects.filter(
                    prestation=prestation, statut="en_cours", equipe=equipes[0]
                ).order_by("pk"),
                animateur=conseiller,
                hasard=hasard,
                aujourd_hui=aujourd_hui,
            )
        self.stdout.write(f"{NB_DOSSIERS} dossiers de démonstration créés, avec leurs séances.")

    def _histoire(
        self, dossier, scenario, i, hasard, aujourd_hui, types, motifs, auteur, utilisateurs
    ):
        if scenario == "a_venir":
            demo_seances.seances_du_parcours(
                dossier=dossier,
                debut=aujourd_hui + datetime.timedelta(days=2 + i % 5),
                fin=aujourd_hui + datetime.timedelta(days=2 + i % 5),
                animateur=dossier.referent,
                hasard=hasard,
                aujourd_hui=aujourd_hui,
                i=i,
            )
            return
        entree = aujourd_hui - datetime.timedelta(days=hasard.randint(40, 200))

        def evenement(code, date, a_posteriori=False, **kwargs):
            ev = enregistrer_evenement(
                dossier=dossier, type_evenement=types[code], auteur=auteur, date=date, **kwargs
            )
            if not a_posteriori:  # recorded on the day it happened
                moment = timezone.make_aware(datetime.datetime.combine(date, datetime.time(10)))
                Evenement.objects.filter(pk=ev.pk).update(cree_le=min(moment, timezone.now()))
            return ev

        evenement(
            "entree", entree, commentaire="Entrée après l'entretien d'accueil ; objectifs fixés."
        )
        phases = list(dossier.prestation.phases.all())
        date = entree
        for phase in phases[1 : 1 + hasard.randint(0, len(phases) - 1)]:
            date = date + datetime.timedelta(days=hasard.randint(7, 20))
            if date >= aujourd_hui:
                break
            evenement(
                "changement-phase",
                date,
                commentaire="Passage à l'étape suivante.",
                valeurs={"nouvelle_phase": phase.pk},
            )
            if i % 5 == 0:  # two events on one day, in the order they were recorded
                evenement(
                    "validation-etape",
                    date,
                    valeurs={"etape": f"Objectif de « {phase} » atteint"},
                    commentaire="Validé le même jour que le changement de phase.",
                )
        fin = min(date + datetime.timedelta(days=hasard.randint(5, 30)), aujourd_hui)
        if i % 6 == 1:  # a forgotten event, entered after the fact
            evenement(
                "validation-etape",
                entree + datetime.timedelta(days=3),
                a_posteriori=True,
                valeurs={"etape": "Projet professionnel formalisé"},
                commentaire="Saisi a posteriori : oubli lors de l'entretien.",
            )
        if i % 9 == 2:  # an event recorded by mistake, then deleted with its reason
            erreur = evenement("validation-etape", fin, valeurs={"etape": "Saisie en double"})
            supprimer_evenement(
                evenement=erreur,
                par=utilisateurs["admin"],
                raison="Saisi par erreur sur ce dossier (doublon).",
            )
        sortie = scenario in ("termine", "abandonne", "rupture")
        demo_seances.seances_du_parcours(
            dossier=dossier,
            debut=entree,
            fin=fin if sortie else aujourd_hui + datetime.timedelta(days=10),
            animateur=dossier.referent,
            hasard=hasard,
            aujourd_hui=aujourd_hui,
            i=i,
            apres_la_fin=1 if scenario == "abandonne" else 0,
        )
        if scenario == "termine":
            evenement(
                "sortie-positive",
                fin,
                motif=hasard.choice(motifs["sortie_positive"]),
                commentaire="Objectifs atteints, promesse d'embauche.",
            )
        elif scenario == "abandonne":
            evenement(
                "abandon",
                fin,
                motif=hasard.choice(motifs["abandon"]),
                commentaire="Le bénéficiaire ne vient plus aux séances.",
            )
        elif scenario == "rupture":
            evenement(
                "rupture",
                fin,
                motif=hasard.choice(motifs["rupture"]),
                commentaire="Arrêt décidé par le financeur.",
            )
        elif scenario == "sortie_planifiee":
            evenement(
                "sortie-positive",
                aujourd_hui + datetime.timedelta(days=hasard.randint(5, 40)),
                commentaire="Fin de parcours prévue.",
            )
