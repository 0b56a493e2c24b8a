"""Benchmarks: the Événements tab of a dossier with 10,000 events, and the dossier list over
10,000 dossiers, each timed against a bare Django view issuing the same SELECTs, in the
same run (interleaved, one of each in turn). Prints ratios (page time / bare SELECTs time).
Run with `make bench`.

Data is bulk-inserted into a throwaway database, never into the project's: a PostgreSQL
database created and dropped on the BENCH_POSTGRES server (as production runs on it), the
database of BENCH_DATABASE_URL, or a SQLite file with BENCH_SQLITE=1.
"""

import datetime
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE))
SERVEUR = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
JETABLE = None  # the PostgreSQL database this run creates and drops
if os.environ.get("BENCH_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
elif os.environ.get("BENCH_SQLITE"):
    dossier_tmp = tempfile.mkdtemp(prefix="parcours-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{dossier_tmp}/bench.sqlite3"
else:
    JETABLE = f"parcours_bench_{uuid.uuid4().hex[:6]}"
    os.environ["DATABASE_URL"] = f"{SERVEUR}/{JETABLE}"
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def psql(commande: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVEUR}/postgres", autocommit=True) as connexion:
        connexion.execute(commande)


if JETABLE:
    psql(f"CREATE DATABASE {JETABLE}")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

N = int(os.environ.get("BENCH_N", 10_000))
REPETITIONS = 9


def preparer():
    from dossiers.models import Beneficiaire, Dossier, Equipe, Phase, Prestation, Statut
    from evenements.models import Evenement, TypeEvenement

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    equipe = Equipe.objects.create(nom="Bench")
    user = get_user_model().objects.create_user("bench", password="bench")
    user.groups.add(Group.objects.get(name="Responsable"))
    equipe.membres.add(user)
    prestation = Prestation.objects.create(nom="Bench", code="bench")
    Phase.objects.create(prestation=prestation, libelle="Phase 1", ordre=1)
    beneficiaires = Beneficiaire.objects.bulk_create(
        Beneficiaire(nom=f"Nom{i:05d}", prenom="Prénom") for i in range(N)
    )
    dossiers = Dossier.objects.bulk_create(
        Dossier(beneficiaire=b, prestation=prestation, equipe=equipe, referent=user)
        for b in beneficiaires
    )
    Dossier.objects.filter(pk=dossiers[0].pk).update(statut=Statut.EN_COURS)
    entree = TypeEvenement.objects.get(code="entree")
    etape = TypeEvenement.objects.get(code="validation-etape")
    debut = timezone.localdate() - datetime.timedelta(days=N)
    Evenement.objects.bulk_create(
        [Evenement(dossier=dossiers[0], type_evenement=entree, date=debut, auteur=user)]
        + [
            Evenement(
                dossier=dossiers[0],
                type_evenement=etape,
                auteur=user,
                date=debut + datetime.timedelta(days=i),
                valeurs={"etape": f"Étape {i}"},
            )
            for i in range(1, N)
        ],
        batch_size=2000,
    )
    # As after any write in production: the replay stores its checkpoints on the events.
    from django.db import transaction

    from evenements.services import recalculer_dossier

    with transaction.atomic():
        recalculer_dossier(Dossier.objects.select_for_update().get(pk=dossiers[0].pk))
    client = Client()
    client.force_login(user)
    return client, dossiers[0]


def mesurer(fonction) -> float:
    debut = time.perf_counter()
    fonction()
    return time.perf_counter() - debut


def comparer(nom, client, url):
    with CaptureQueriesContext(connection) as requetes:
        reponse = client.get(url)
        toutes = [q["sql"] for q in requetes.captured_queries]
    assert reponse.status_code == 200, reponse.status_code
    selects = [sql for sql in toutes if sql.lstrip().startswith("SELECT")]

    def vue_nue():  # the same SELECTs, fetched, nothing else
        with connection.cursor() as curseur:
            for sql in selects:
                curseur.execute(sql)
                curseur.fetchall()

    pages, nues = [], []
    for _ in range(REPETITIONS):  # interleaved: both see the same load
        pages.append(mesurer(lambda: client.get(url)))
        nues.append(mesurer(vue_nue))
    page, nue = statistics.median(pages), statistics.median(nues)
    print(
        f"{nom:<40} page {page * 1000:8.1f} ms | mêmes SELECT nus {nue * 1000:8.1f} ms | "
        f"ratio {page / nue:5.1f} | {len(toutes)} requêtes"
    )


def main():
    print(f"Base : {connection.vendor}, N = {N}, médiane de {REPETITIONS} mesures")
    client, dossier = preparer()
    comparer(f"Onglet Événements ({N} événements)", client, f"/dossiers/{dossier.pk}/evenements/")
    comparer(f"Liste des dossiers ({N} dossiers)", client, "/dossiers/")
    comparer("Liste filtrée (nom, statut)", client, "/dossiers/?q=Nom0999&statut=a_venir")
    if os.environ.get("BENCH_PROFIL"):  # where the tab's time goes (cProfile)
        import cProfile
        import pstats

        profil = cProfile.Profile()
        profil.enable()
        for _ in range(5):
            client.get(f"/dossiers/{dossier.pk}/evenements/")
        profil.disable()
        pstats.Stats(profil).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    try:
        main()
    finally:
        if JETABLE:
            from django.db import connections

            connections.close_all()
            psql(f"DROP DATABASE IF EXISTS {JETABLE} WITH (FORCE)")
