import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from dossiers.models import Beneficiaire, Dossier, Equipe, Financeur, Phase, Prestation


class EquipeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Equipe
        django_get_or_create = ["nom"]

    nom = factory.Sequence(lambda n: f"Équipe {n}")


class UtilisateurFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"utilisateur{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.django.Password("demo")

    @factory.post_generation
    def groupe(self, create, nom, **kwargs):
        if nom:
            self.groups.add(Group.objects.get(name=nom))

    @factory.post_generation
    def equipes(self, create, equipes, **kwargs):
        for equipe in equipes or []:
            equipe.membres.add(self)


class FinanceurFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Financeur

    raison_sociale = factory.Sequence(lambda n: f"Financeur {n}")
    emails_contact = "contact@financeur.example"


class PrestationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prestation
        skip_postgeneration_save = True

    nom = "Accompagnement vers l'emploi"
    code = factory.Sequence(lambda n: f"prestation-{n}")
    duree_prevue_heures = 120

    @factory.post_generation
    def phases(self, create, libelles, **kwargs):
        defaut = [
            "Bilan initial",
            "Phase d'accompagnement",
            "Phase de consolidation",
            "Bilan final",
        ]
        for ordre, libelle in enumerate(defaut if libelles is None else libelles, start=1):
            Phase.objects.create(prestation=self, libelle=libelle, ordre=ordre)


class BeneficiaireFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Beneficiaire

    nom = factory.Faker("last_name", locale="fr_FR")
    prenom = factory.Faker("first_name", locale="fr_FR")
    email = factory.Faker("email")
    date_naissance = datetime.date(1990, 5, 17)


class DossierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dossier

    beneficiaire = factory.SubFactory(BeneficiaireFactory)
    prestation = factory.SubFactory(PrestationFactory)
    financeur = factory.SubFactory(FinanceurFactory)
    equipe = factory.SubFactory(EquipeFactory)
    referent = factory.SubFactory(UtilisateurFactory)


class TypeSeanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "seances.TypeSeance"

    prestation = factory.SubFactory(PrestationFactory)
    libelle = factory.Sequence(lambda n: f"Séance type {n}")
    duree_prevue_minutes = 60
    nature = "face_a_face"
    collective = True
