"""Benchmark: cost of recording one event vs the length of the dossier's history
(10 / 100 / 1,000 / 10,000 events), incremental replay (now) against the full replay every
write used to do (forced in the same run), and against the bare INSERTs of its rows.

Needs PostgreSQL (BENCH_POSTGRES); creates and drops a throwaway database.
Run with `make bench` (or `python bench/rejeu.py`).
"""

import datetime
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from unittest import mock

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE))
SERVEUR = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
BASE = f"parcours_bench_{uuid.uuid4().hex[:6]}"
LONGUEURS = [int(n) for n in os.environ.get("BENCH_LONGUEURS", "10,100,1000,10000").split(",")]
ESSAIS = int(os.environ.get("BENCH_ESSAIS", 30))

os.environ.update(DATABASE_URL=f"{SERVEUR}/{BASE}", DEBUG="true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def psql(commande: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVEUR}/postgres", autocommit=True) as connexion:
        connexion.execute(commande)


def main() -> None:
    psql(f"CREATE DATABASE {BASE}")
    try:
        executer()
    finally:
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {BASE} WITH (FORCE)")


def executer() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from config.celery import app
    from dossiers.models import Beneficiaire, Dossier, Equipe, Prestation, Statut
    from evenements import services
    from evenements.models import Evenement, TypeEvenement

    app.conf.task_always_eager = False
    call_command("migrate", verbosity=0)
    equipe = Equipe.objects.create(nom="Bench")
    user = get_user_model().objects.create_user("bench", email="bench@example.fr")
    user.groups.add(Group.objects.get(name="Responsable"))
    equipe.membres.add(user)
    prestation = Prestation.objects.create(nom="Bench", code="bench")
    entree = TypeEvenement.objects.get(code="entree")
    etape = TypeEvenement.objects.get(code="validation-etape")
    aujourd_hui = timezone.localdate()

    def dossier_de(longueur: int) -> Dossier:
        dossier = Dossier.objects.create(
            beneficiaire=Beneficiaire.objects.create(nom=f"L{longueur}", prenom="P"),
            prestation=prestation,
            equipe=equipe,
            referent=user,
        )
        debut = aujourd_hui - datetime.timedelta(days=longueur)
        Evenement.objects.bulk_create(
            [Evenement(dossier=dossier, type_evenement=entree, date=debut, auteur=user)]
            + [
                Evenement(
                    dossier=dossier,
                    type_evenement=etape,
                    auteur=user,
                    date=debut + datetime.timedelta(days=i),
                    valeurs={"etape": f"Étape {i}"},
                )
                for i in range(1, longueur)
            ],
            batch_size=2000,
        )
        with transaction.atomic():  # fills the checkpoints once (lazily done by any write)
            services.recalculer_dossier(Dossier.objects.select_for_update().get(pk=dossier.pk))
        return dossier

    def saisir(dossier: Dossier, i: int) -> None:
        services.enregistrer_evenement(
            dossier=dossier,
            type_evenement=etape,
            auteur=user,
            date=aujourd_hui,
            valeurs={"etape": f"Nouvelle {i}"},
        )

    def mediane(dossier: Dossier) -> float:
        durees = []
        for i in range(ESSAIS):
            debut = time.perf_counter()
            saisir(dossier, i)
            durees.append(time.perf_counter() - debut)
        return statistics.median(durees)

    def nu(temoin: Dossier, reprise: dict, i: int) -> None:
        """The rows a recording writes (the event with its checkpoint, its revision; this type
        concerns no outbox row here), inserted bare, in one transaction as the service."""
        with transaction.atomic():
            evenement = Evenement(
                dossier=temoin,
                type_evenement=etape,
                date=aujourd_hui,
                rang=1000 + i,
                auteur=user,
                valeurs={"etape": f"Nouvelle {i}"},
                reprise=reprise,
            )
            evenement.save()  # its revision row too (django-simple-history)

    def comparer(dossier: Dossier, temoin: Dossier) -> tuple[float, float]:
        """Medians of the service on `dossier` and of the bare INSERTs on `temoin` (a dossier
        of the same length), interleaved one for one so that both see the same load."""
        reprise = Evenement.objects.filter(dossier=temoin).order_by("-date").first().reprise
        service, nus = [], []
        for i in range(ESSAIS):
            debut = time.perf_counter()
            saisir(dossier, i)
            service.append(time.perf_counter() - debut)
            debut = time.perf_counter()
            nu(temoin, reprise, i)
            nus.append(time.perf_counter() - debut)
        return statistics.median(service), statistics.median(nus)

    complet = services._histoire_depuis

    def sans_reprise(dossier, depuis, jour, dernier=None):  # before: the whole history
        return complet(dossier, None, jour)

    print(f"Base : PostgreSQL, médiane de {ESSAIS} saisies en fin d'historique")
    print(
        f"{'événements':>10} | {'avant (rejeu complet)':>22} | {'après (incrémental)':>20} | "
        f"{'INSERT nus':>10} | ratio après/nu"
    )
    for longueur in LONGUEURS:
        dossier = dossier_de(longueur)
        assert Dossier.objects.get(pk=dossier.pk).statut == Statut.EN_COURS
        with mock.patch.object(services, "_histoire_depuis", sans_reprise):
            avant = mediane(dossier)
        apres, base = comparer(dossier, dossier_de(longueur))
        print(
            f"{longueur:>10} | {avant * 1000:19.2f} ms | {apres * 1000:17.2f} ms | "
            f"{base * 1000:7.2f} ms | {apres / base:5.1f}"
        )

    if os.environ.get("BENCH_PROFIL"):
        import cProfile
        import pstats

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as requetes:
            saisir(dossier, 999)
        for requete in requetes.captured_queries:
            print(requete["time"], requete["sql"][:160])
        profil = cProfile.Profile()
        profil.enable()
        for i in range(20):
            saisir(dossier, 1000 + i)
        profil.disable()
        pstats.Stats(profil).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
