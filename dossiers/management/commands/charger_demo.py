"""Demo data: users, teams, prestations, financeurs and ≥ 60 dossiers with real histories.

Idempotent: a second run changes nothing. Refuses to run with DEBUG off unless --force.

Demo data never leaves the machine, whatever the settings: every address is reserved (the
`.invalid` domain, ARCEP's mobile numbers for fiction), which the channels refuse to send off
the machine; the demo's actions run in this process with in-memory backends (never queued to
the broker); and where the settings could send off the machine, its planned actions are
cancelled. The command says what it sent (nothing) and what it did not.
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

from config.celery import app as celery
from dossiers.models import Beneficiaire, Dossier, Equipe, Financeur, Phase, Prestation
from dossiers.services import creer_dossier
from evenements import pipeline
from evenements.models import ActionDeclenchee, EtatAction, Evenement, Motif, TypeEvenement
from evenements.services import enregistrer_evenement, supprimer_evenement
from facturation import demo as demo_facturation
from notifications.canaux import quitte_la_machine
from pilotage import demo as demo_pilotage
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
# Reserved names only (RFC 6761 `.invalid`; ARCEP 06 39 98 xx xx, reserved for fiction).
DOMAINE = "demo.invalid"
FINANCEURS = [
    ("Région Auvergne-Rhône-Alpes", f"formation@region.{DOMAINE}\n"),
    ("France Travail Lyon", f"prescription@francetravail.{DOMAINE}\n"),
]
# (first name, civilité): the demo's Madame/Monsieur match the first name
PRENOMS = [
    ("Camille", "mme"),
    ("Léa", "mme"),
    ("Hugo", "m"),
    ("Inès", "mme"),
    ("Lucas", "m"),
    ("Manon", "mme"),
    ("Nathan", "m"),
    ("Chloé", "mme"),
    ("Yanis", "m"),
    ("Sarah", "mme"),
    ("Louis", "m"),
    ("Jade", "mme"),
    ("Rayan", "m"),
    ("Emma", "mme"),
    ("Mohamed", "m"),
    ("Julie", "mme"),
    ("Thomas", "m"),
    ("Aïcha", "mme"),
    ("Paul", "m"),
    ("Zoé", "mme"),
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
        hors_machine = self._hors_machine()
        if hors_machine:
            self.stdout.write(
                "Réglages d'envoi réels détectés (" + ", ".join(hors_machine) + ") : la "
                "démonstration n'y confiera rien. Ses notifications s'exécutent dans ce "
                "processus, en mémoire ; ses actions planifiées seront annulées."
            )
        deja = ActionDeclenchee.objects.filter(evenement__dossier__in=self._demo()).count()
        # The demo's notifications go through the real pipeline and are logged in each
        # dossier's "Envois" tab, but run here and are kept in memory: never queued to the
        # broker, never printed or sent.
        eager = celery.conf.task_always_eager
        celery.conf.task_always_eager = True
        try:
            with override_settings(
                EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                SMS_BACKEND="memoire",
            ):
                with transaction.atomic():
                    utilisateurs = self._utilisateurs()
                    nouvelle = not self._demo().exists()
                    if nouvelle:
                        self._alerte_au_referent()
                        self._dossiers(utilisateurs)
                        # Alerts are delivered after commit: read them then.
                        transaction.on_commit(self._alertes_deja_lues)
                    else:
                        self.stdout.write("Données de démonstration déjà présentes : rien à faire.")
                if nouvelle:
                    # Actions deferred to keep a dossier's order run now: the billing ones
                    # release the échéances that the demo then invoices.
                    pipeline.balayer()
                    with transaction.atomic():
                        bilan = demo_facturation.factures(gestionnaire=utilisateurs["gestionnaire"])
                    self.stdout.write(f"Facturation de démonstration : {bilan}.")
        finally:
            celery.conf.task_always_eager = eager
        if ActionDeclenchee.objects.filter(evenement__dossier__in=self._demo()).count() > deja:
            self._bilan(hors_machine, utilisateurs["admin"])
        self.stdout.write(
            self.style.SUCCESS(
                "Comptes de démonstration (mot de passe « demo ») : admin, responsable, "
                "conseiller, conseillere.est (autre équipe), gestionnaire (facturation)."
            )
        )

    @staticmethod
    def _demo():
        return Dossier.objects.filter(beneficiaire__identifiant_externe__startswith="DEMO-")

    @staticmethod
    def _hors_machine() -> list[str]:
        """The settings through which something could leave this machine."""
        reglages = []
        if settings.REDIS_URL:
            reglages.append("REDIS_URL")
        if quitte_la_machine("email"):
            reglages.append(f"EMAIL_URL ({settings.EMAIL_BACKEND.rsplit('.', 2)[-2]})")
        if quitte_la_machine("sms"):
            reglages.append("SMS_BACKEND")
        return reglages

    def _bilan(self, hors_machine: list[str], admin) -> None:
        """Say what was sent (nothing) and what will not be."""
        actions = ActionDeclenchee.objects.filter(evenement__dossier__in=self._demo())
        executees = actions.filter(etat=EtatAction.EXECUTEE).count()
        self.stdout.write(
            f"Notifications de démonstration : {executees} exécutées dans ce processus et "
            "gardées en mémoire (visibles dans les onglets « Envois ») ; aucune n'a été "
            "envoyée ni confiée au broker."
        )
        en_attente = actions.filter(etat__in=pipeline.EN_ATTENTE)
        nombre = en_attente.count()
        if not nombre:
            return
        if hors_machine:
            pipeline.annuler_pour_la_demo(en_attente, par=admin)
            self.stdout.write(
                f"{nombre} actions planifiées (événements futurs) annulées : rien ne partira "
                "à leur date."
            )
        else:
            self.stdout.write(
                f"{nombre} actions planifiées (événements futurs) : à leur date, elles iront à "
                "la console ; leurs adresses (.invalid, numéros fictifs) ne quittent jamais "
                "la machine, même si l'envoi réel est configuré plus tard."
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
            "gestionnaire": ("Gaëlle", "Gestion", "Gestionnaire", []),
        }
        utilisateurs = {}
        for identifiant, (prenom, nom, groupe, equipes) in comptes.items():
            user, cree = User.objects.get_or_create(
                username=identifiant,
                defaults={
                    "first_name": prenom,
                    "last_name": nom,
                    "email": f"{identifiant}@{DOMAINE}",
                },
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

    def _alerte_au_referent(self):
        """Demo configuration: an abandon also alerts the référent in the app."""
        from notifications.models import ModeleNotification

        ModeleNotification.objects.get_or_create(
            type_evenement=TypeEvenement.objects.get(code="abandon"),
            destinataire=ModeleNotification.Destinataire.REFERENT,
            canal=ModeleNotification.Canal.ALERTE,
            defaults={
                "sujet": "Abandon de {{ beneficiaire.prenom }} {{ beneficiaire.nom }}",
                "corps": "Abandon enregistré le {{ evenement.date }} (motif : "
                "{{ evenement.motif }}) : prévoyez l'entretien de sortie.",
                "ordre": 50,
            },
        )

    def _alertes_deja_lues(self):
        """The older half of each user's alerts is read: the list shows both kinds."""
        from notifications.models import Alerte

        for utilisateur_id in Alerte.objects.values_list("utilisateur", flat=True).distinct():
            alertes = list(Alerte.objects.filter(utilisateur_id=utilisateur_id).order_by("pk"))
            a_lire = [a.pk for a in alertes[: len(alertes) // 2]]
            Alerte.objects.filter(pk__in=a_lire).update(lue_le=timezone.now())

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
        conventions = demo_facturation.preparer(
            financeurs=financeurs, prestations=prestations, types=types
        )
        demo_pilotage.preparer(financeurs=financeurs)
        motifs = {liste: list(Motif.objects.filter(liste=liste)) for liste in Motif.Liste.values}
        admin, conseiller = utilisateurs["admin"], utilisateurs["conseiller"]
        equipes = list(Equipe.objects.order_by("nom"))

        for i in range(NB_DOSSIERS):
            beneficiaire = Beneficiaire.objects.create(
                civilite=PRENOMS[(i * 7) % len(PRENOMS)][1],
                nom=NOMS[i % len(NOMS)],
                prenom=PRENOMS[(i * 7) % len(PRENOMS)][0],
                date_naissance=datetime.date(1965 + i % 38, 1 + i % 12, 1 + i % 27),
                email=f"beneficiaire{i}@{DOMAINE}",
                mobile=f"+336399800{i:02d}",
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
            demo_facturation.rattacher(dossier, conventions=conventions, par=admin)
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
        demo_seances.reunion_d_information(
            prestation=prestations[0],
            dossiers=Dossier.objects.filter(
                prestation=prestations[0], statut="a_venir", equipe=equipes[0]
            ).order_by("pk"),
            animateur=conseiller,
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
