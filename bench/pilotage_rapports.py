"""Benchmark of pilotage: a financeur's monthly report (figures, CSV, PDF) over N dossiers
with ~S séances each, against the bare aggregate SELECTs it issues, and the pilotage page
against its bare SELECTs, in the same run.

    BENCH_N=10000 BENCH_SEANCES=40 python bench/pilotage.py   # the issue's figures
    python bench/pilotage.py                                  # small default (N=500)

Data is bulk-inserted (derived dossier state written directly: this measures reads) into a
throwaway database: SQLite file, or the PostgreSQL database of BENCH_DATABASE_URL.
"""

import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE))
dossier_tmp = tempfile.mkdtemp(prefix="parcours-bench-")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", f"sqlite:///{dossier_tmp}/bench.sqlite3"
)
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

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

N = int(os.environ.get("BENCH_N", 500))
SEANCES = int(os.environ.get("BENCH_SEANCES", 40))
REPETITIONS = int(os.environ.get("BENCH_REPETITIONS", 3))


def preparer():
    from dossiers.models import Beneficiaire, Dossier, Equipe, Financeur, Phase, Prestation
    from evenements.models import Evenement, Motif, TypeEvenement
    from pilotage.models import Periodicite, RapportConfiguration
    from seances.models import EtatSeance, Participation, Presence, Seance, TypeSeance

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    hasard = random.Random(1)
    aujourd_hui = timezone.localdate()
    equipe = Equipe.objects.create(nom="Bench")
    user = get_user_model().objects.create_user("bench", password="bench")
    user.groups.add(Group.objects.get(name="Responsable"))
    equipe.membres.add(user)
    financeur = Financeur.objects.create(raison_sociale="Région Bench")
    prestation = Prestation.objects.create(nom="Bench", code="bench")
    phases = [
        Phase.objects.create(prestation=prestation, libelle=f"Phase {i}", ordre=i) for i in (1, 2)
    ]
    type_seance = TypeSeance.objects.create(
        prestation=prestation, libelle="Atelier", duree_prevue_minutes=120, collective=False
    )
    configuration = RapportConfiguration.objects.create(
        financeur=financeur, periodicite=Periodicite.MENSUELLE, destinataires="x@bench.example"
    )
    beneficiaires = Beneficiaire.objects.bulk_create(
        (Beneficiaire(nom=f"Nom{i:05d}", prenom="Prénom") for i in range(N)), batch_size=2000
    )
    entree = TypeEvenement.objects.get(code="entree")
    sorties = {
        "termine": (TypeEvenement.objects.get(code="sortie-positive"), "sortie_positive"),
        "abandonne": (TypeEvenement.objects.get(code="abandon"), "abandon"),
    }
    motifs = {liste: list(Motif.objects.filter(liste=liste)) for _, liste in sorties.values()}
    dossiers, evenements = [], []
    for b in beneficiaires:
        date_entree = aujourd_hui - datetime.timedelta(days=hasard.randint(10, 200))
        statut, date_sortie = "en_cours", None
        if hasard.random() < 0.4:
            statut = hasard.choice(list(sorties))
            date_sortie = min(
                date_entree + datetime.timedelta(days=hasard.randint(5, 90)), aujourd_hui
            )
        dossiers.append(
            Dossier(
                beneficiaire=b,
                prestation=prestation,
                financeur=financeur,
                equipe=equipe,
                referent=user,
                statut=statut,
                date_entree=date_entree,
                date_sortie=date_sortie,
                phase_courante=hasard.choice(phases),
            )
        )
    dossiers = Dossier.objects.bulk_create(dossiers, batch_size=2000)
    for d in dossiers:
        evenements.append(
            Evenement(dossier=d, type_evenement=entree, date=d.date_entree, auteur=user)
        )
        if d.date_sortie:
            type_sortie, liste = sorties[d.statut]
            evenements.append(
                Evenement(
                    dossier=d,
                    type_evenement=type_sortie,
                    date=d.date_sortie,
                    auteur=user,
                    motif=hasard.choice(motifs[liste]),
                )
            )
    Evenement.objects.bulk_create(evenements, batch_size=5000)
    for debut in range(0, N, 500):
        lot = dossiers[debut : debut + 500]
        seances = Seance.objects.bulk_create(
            Seance(
                type_seance=type_seance,
                date=d.date_entree + datetime.timedelta(days=j),
                heure_debut=datetime.time(9),
                heure_fin=datetime.time(11),
                duree_minutes=120,
                animateur=user,
                cree_par=user,
                etat=EtatSeance.REALISEE if hasard.random() < 0.8 else EtatSeance.PREVUE,
            )
            for d in lot
            for j in range(SEANCES)
        )
        Participation.objects.bulk_create(
            Participation(
                seance=s,
                dossier=lot[i // SEANCES],
                presence=Presence.PRESENT if hasard.random() < 0.85 else Presence.EXCUSE,
            )
            for i, s in enumerate(seances)
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as curseur:
            curseur.execute("ANALYZE")  # fresh statistics, as autovacuum would give them
    client = Client()
    client.force_login(user)
    admin = get_user_model().objects.create_superuser("admin-bench", password="x")
    return client, configuration, aujourd_hui, admin


def reprendre():
    """BENCH_REUTILISER=1 with BENCH_DATABASE_URL: measure again on the rows of a former run."""
    from pilotage.models import RapportConfiguration

    configuration = RapportConfiguration.objects.select_related("financeur").get()
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    return client, configuration, timezone.localdate(), None


def mesurer(fonction):
    durees = []
    for _ in range(REPETITIONS):
        debut = time.perf_counter()
        fonction()
        durees.append(time.perf_counter() - debut)
    return statistics.median(durees)


def nus(selects):
    def executer():
        with connection.cursor() as curseur:
            for sql in selects:
                curseur.execute(sql)
                curseur.fetchall()

    return executer


def rapport(configuration, aujourd_hui):
    from documents.rendu import rendre_pdf
    from pilotage import rapports

    periode = rapports.periode_close(configuration.periodicite, aujourd_hui)
    # The whole parcours-to-date: every dossier of the financeur has lines and hours.
    instantane = rapports.calculer(configuration, periode)
    contenu_csv = rapports.csv_du_rapport(instantane)
    pdf = rendre_pdf(rapports.html(configuration, instantane, []))
    return instantane, contenu_csv, pdf


def main():
    print(f"Base : {connection.vendor}, N = {N} dossiers × {SEANCES} séances")
    print(f"Médiane de {REPETITIONS} mesures")
    if os.environ.get("BENCH_REUTILISER") and "BENCH_DATABASE_URL" in os.environ:
        client, configuration, aujourd_hui, _ = reprendre()
    else:
        client, configuration, aujourd_hui, _ = preparer()

    connection.queries_log.clear()  # a full log (9,000 entries) would shift the capture
    with CaptureQueriesContext(connection) as requetes:
        instantane, contenu_csv, pdf = rapport(configuration, aujourd_hui)
    selects = [
        q["sql"] for q in requetes.captured_queries if q["sql"].lstrip().startswith("SELECT")
    ]
    total = mesurer(lambda: rapport(configuration, aujourd_hui))
    nue = mesurer(nus(selects))
    nombre = len(requetes.captured_queries)
    print(
        f"{'Rapport mensuel (chiffres + CSV + PDF)':<42} {total * 1000:9.1f} ms | SELECT nus "
        f"{nue * 1000:8.1f} ms | ratio {total / nue:6.1f} | {nombre} requêtes | "
        f"{len(instantane['lignes'])} lignes, CSV {len(contenu_csv) // 1024} Ko, "
        f"PDF {len(pdf) // 1024} Ko"
    )

    debut = (aujourd_hui - datetime.timedelta(days=365)).isoformat()
    url = f"/pilotage/?debut={debut}&fin={aujourd_hui.isoformat()}"
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as requetes:
        reponse = client.get(url)
    assert reponse.status_code == 200, reponse.status_code
    selects = [
        q["sql"] for q in requetes.captured_queries if q["sql"].lstrip().startswith("SELECT")
    ]
    page = mesurer(lambda: client.get(url))
    nue = mesurer(nus(selects))
    print(
        f"{'Page Pilotage (12 mois)':<42} {page * 1000:9.1f} ms | SELECT nus "
        f"{nue * 1000:8.1f} ms | ratio {page / nue:6.1f} | {len(requetes.captured_queries)} "
        "requêtes"
    )


if __name__ == "__main__":
    main()
