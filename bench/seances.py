"""Benchmark: the séance indicators of N dossiers (each with ~40 séances) computed for a
report, against bare aggregate SELECTs over the same rows, in the same run.

- rapport: seances.indicateurs.totaux_dossiers(): three queries (the minute totals in one
  GROUP BY, validated and planned objectives) turned into Chiffres for every dossier;
- mêmes SELECT nus: the SQL that totaux_dossiers() issues, executed and fetched, nothing else;
- agrégat minimal: a hand-written SELECT dossier_id, SUM(duree) … GROUP BY dossier_id;
- par dossier: the Résumé card's per-dossier path (indicateurs_du_dossier), timed on a sample
  and extrapolated to N, to show what a report must not do.

BENCH_N (default 1,000; the issue's figure is BENCH_N=10000) dossiers, 40 séances each;
BENCH_REUTILISER=1 reuses the rows of a previous run in BENCH_DATABASE_URL.
Data is bulk-inserted into a throwaway database (SQLite file, or BENCH_DATABASE_URL).
"""

import datetime
import os
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

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

N = int(os.environ.get("BENCH_N", 1_000))
SEANCES_PAR_DOSSIER = 40
ECHANTILLON = min(N, 100)
REPETITIONS = 5


def preparer():
    from dossiers.models import Beneficiaire, Dossier, Equipe, Prestation
    from seances.models import Objectif, Participation, Seance, TypeSeance

    call_command("migrate", verbosity=0)
    if os.environ.get("BENCH_REUTILISER") and Dossier.objects.count() == N:
        return Dossier.objects.all()  # the data of a previous run (BENCH_DATABASE_URL)
    equipe = Equipe.objects.create(nom="Bench")
    user = get_user_model().objects.create_user("bench", password="bench")
    prestation = Prestation.objects.create(nom="Bench", code="bench")
    natures = ["face_a_face", "a_distance", "autonomie", "conseiller_seul"]
    types = [
        TypeSeance.objects.create(prestation=prestation, libelle=f"Type {n}", nature=n)
        for n in natures
    ]
    Objectif.objects.bulk_create(
        Objectif(prestation=prestation, libelle=f"Objectif {i}") for i in range(4)
    )
    beneficiaires = Beneficiaire.objects.bulk_create(
        (Beneficiaire(nom=f"Nom{i:05d}", prenom="Prénom") for i in range(N)), batch_size=2000
    )
    dossiers = Dossier.objects.bulk_create(
        (
            Dossier(beneficiaire=b, prestation=prestation, equipe=equipe, referent=user)
            for b in beneficiaires
        ),
        batch_size=2000,
    )
    debut = timezone.localdate() - datetime.timedelta(days=300)
    etats = ["realisee"] * 7 + ["prevue", "annulee"]
    presences = ["present"] * 8 + ["absent_justifie", "excuse"]
    for tranche in range(0, N, 500):
        lot = dossiers[tranche : tranche + 500]
        seances = Seance.objects.bulk_create(
            [
                Seance(
                    type_seance=types[(i + k) % 4],
                    date=debut + datetime.timedelta(days=k * 7),
                    heure_debut=datetime.time(9),
                    heure_fin=datetime.time(10 + k % 3),
                    duree_minutes=60 * (1 + k % 3),  # bulk_create skips save()
                    animateur=user,
                    cree_par=user,
                    etat=etats[(i + k) % len(etats)],
                )
                for i, _ in enumerate(lot)
                for k in range(SEANCES_PAR_DOSSIER)
            ],
            batch_size=5000,
        )
        Participation.objects.bulk_create(
            [
                Participation(
                    seance=seances[j * SEANCES_PAR_DOSSIER + k],
                    dossier=dossier,
                    presence=presences[(j + k) % len(presences)]
                    if seances[j * SEANCES_PAR_DOSSIER + k].etat == "realisee"
                    else "",
                    retard_minutes=(j + k) % 4 * 5,
                )
                for j, dossier in enumerate(lot)
                for k in range(SEANCES_PAR_DOSSIER)
            ],
            batch_size=5000,
        )
    return Dossier.objects.all()


def mesurer(fonction):
    durees = []
    for _ in range(REPETITIONS):
        debut = time.perf_counter()
        fonction()
        durees.append(time.perf_counter() - debut)
    return statistics.median(durees)


def main():
    from dossiers.models import Dossier
    from seances import indicateurs
    from seances.models import Participation, Seance
    from seances.selectors import indicateurs_du_dossier

    debut = time.perf_counter()
    dossiers = preparer()
    print(
        f"Base : {connection.vendor}, {N} dossiers × {SEANCES_PAR_DOSSIER} séances "
        f"(données créées en {time.perf_counter() - debut:.1f} s), médiane de {REPETITIONS}"
    )

    def rapport():
        return indicateurs.totaux_dossiers(dossiers)

    with CaptureQueriesContext(connection) as requetes:
        resultats = rapport()
    assert len(resultats) == N
    selects = [q["sql"] for q in requetes.captured_queries]

    def meme_select_nu():
        with connection.cursor() as curseur:
            for sql in selects:
                curseur.execute(sql)
                curseur.fetchall()

    p, s = Participation._meta.db_table, Seance._meta.db_table
    minimal = (
        f"SELECT p.dossier_id, SUM(s.duree_minutes) FROM {p} p "
        f"JOIN {s} s ON s.id = p.seance_id GROUP BY p.dossier_id"
    )

    def agregat_minimal():
        with connection.cursor() as curseur:
            curseur.execute(minimal)
            curseur.fetchall()

    t_rapport = mesurer(rapport)
    t_nu = mesurer(meme_select_nu)
    t_min = mesurer(agregat_minimal)
    echantillon = list(Dossier.objects.order_by("pk")[:ECHANTILLON])
    debut = time.perf_counter()
    for dossier in echantillon:
        indicateurs_du_dossier(dossier)
    t_par_dossier = (time.perf_counter() - debut) / ECHANTILLON * N
    # the two faces agree
    sql_par_pk = indicateurs.totaux_dossiers(
        Dossier.objects.filter(pk__in=[d.pk for d in echantillon[:20]])
    )
    for dossier in echantillon[:20]:
        assert sql_par_pk[dossier.pk] == indicateurs_du_dossier(dossier)["total"], dossier.pk

    print(f"{'Rapport (totaux_dossiers, 3 requêtes)':<44} {t_rapport * 1000:9.1f} ms")
    print(
        f"{'Mêmes SELECT nus':<44} {t_nu * 1000:9.1f} ms   "
        f"ratio rapport / nus {t_rapport / t_nu:5.2f}"
    )
    print(
        f"{'Agrégat minimal (SUM durée GROUP BY)':<44} {t_min * 1000:9.1f} ms   ratio rapport / "
        f"minimal {t_rapport / t_min:5.2f}"
    )
    print(
        f"{'Chemin par dossier (extrapolé à N)':<44} {t_par_dossier * 1000:9.1f} ms   ratio "
        f"{t_par_dossier / t_rapport:5.1f} × le rapport"
    )


if __name__ == "__main__":
    main()
