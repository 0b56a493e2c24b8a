"""Benchmark: bulk recording of "Entrée" for 1,000 dossiers (evenements.masse), against
1,000 separate enregistrer_evenement calls and against the bare INSERTs of the same rows
(event, its revision, the outbox rows, the dossier's derived state; one transaction per
dossier in all three), measured in the same run and printed as ratios.

Needs PostgreSQL (BENCH_POSTGRES) and Redis (REDIS_URL: the actions are handed to a
throwaway queue after each commit, as in production; no worker runs them). Creates and
drops a throwaway database. Run with `make bench` (or `python bench/masse.py`);
BENCH_MASSE sets the number of dossiers.
"""

import os
import sys
import time
import uuid
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE))
SERVEUR = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
BASE = f"parcours_bench_{uuid.uuid4().hex[:6]}"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
N = int(os.environ.get("BENCH_MASSE", 1000))
FILE = f"bench-masse-{uuid.uuid4().hex[:6]}"

os.environ.update(
    DATABASE_URL=f"{SERVEUR}/{BASE}", REDIS_URL=REDIS_URL, CELERY_QUEUE=FILE, DEBUG="true"
)
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
        try:
            import redis

            redis.Redis.from_url(REDIS_URL).delete(FILE)  # the tasks no worker will run
        except Exception as exc:  # noqa: BLE001 - a leftover queue is no reason to fail
            print(f"(file Redis {FILE} non supprimée : {exc})")


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
    from evenements.masse import enregistrer_en_masse
    from evenements.models import ActionDeclenchee, EtatAction, Evenement, TypeEvenement
    from evenements.services import enregistrer_evenement

    app.conf.task_always_eager = False
    call_command("migrate", verbosity=0)
    equipe = Equipe.objects.create(nom="Bench")
    user = get_user_model().objects.create_user("bench", email="bench@example.fr")
    user.groups.add(Group.objects.get(name="Conseiller"))
    equipe.membres.add(user)
    prestation = Prestation.objects.create(nom="Bench", code="bench")
    beneficiaires = Beneficiaire.objects.bulk_create(
        [Beneficiaire(nom=f"B{i:05}", prenom="P", email=f"b{i}@ex.fr") for i in range(3 * N)]
    )
    Dossier.objects.bulk_create(
        [
            Dossier(beneficiaire=b, prestation=prestation, equipe=equipe, referent=user)
            for b in beneficiaires
        ]
    )
    ids = list(Dossier.objects.order_by("pk").values_list("pk", flat=True))
    masse, separes, nus = ids[:N], ids[N : 2 * N], ids[2 * N :]
    entree = TypeEvenement.objects.get(code="entree")
    configurations = list(entree.actions.filter(actif=True))
    aujourd_hui = timezone.localdate()
    user = get_user_model().objects.get(pk=user.pk)  # fresh: permissions read once, as a request

    # 1. the bulk service (loads the dossiers itself, one query)
    profil = None
    if os.environ.get("BENCH_PROFIL"):
        import cProfile

        profil = cProfile.Profile()
        profil.enable()
    debut = time.perf_counter()
    bilan = enregistrer_en_masse(
        dossiers=masse, type_evenement=entree, date=aujourd_hui, commentaire="Bench", par=user
    )
    duree_masse = time.perf_counter() - debut
    if profil is not None:
        import pstats

        profil.disable()
        pstats.Stats(profil).sort_stats("cumulative").print_stats(50)
    assert len(bilan.enregistres) == N and not bilan.refuses, bilan.refuses[:3]

    # 2. the same work as N separate calls (dossiers loaded beforehand, not timed)
    a_saisir = list(Dossier.objects.filter(pk__in=separes).order_by("pk"))
    debut = time.perf_counter()
    for dossier in a_saisir:
        enregistrer_evenement(
            dossier=dossier,
            type_evenement=entree,
            auteur=user,
            date=aujourd_hui,
            commentaire="Bench",
        )
    duree_separes = time.perf_counter() - debut

    # 3. the rows these write, bare: event (+ its revision, by simple-history), outbox
    #    rows, the dossier's derived state; one transaction per dossier
    a_inserer = list(Dossier.objects.filter(pk__in=nus).order_by("pk"))
    debut = time.perf_counter()
    for dossier in a_inserer:
        with transaction.atomic():
            evenement = Evenement.objects.create(
                dossier=dossier,
                type_evenement=entree,
                date=aujourd_hui,
                auteur=user,
                commentaire="Bench",
            )
            ActionDeclenchee.objects.bulk_create(
                [
                    ActionDeclenchee(
                        evenement=evenement,
                        configuration=c,
                        cle=f"nu-{evenement.pk}-{c.pk}",
                        etat=EtatAction.ANNULEE,
                    )
                    for c in configurations
                ]
            )
            Dossier.objects.filter(pk=dossier.pk).update(
                statut=Statut.EN_COURS, date_entree=aujourd_hui, etat_calcule_le=aujourd_hui
            )
    duree_nue = time.perf_counter() - debut

    assert Dossier.objects.filter(pk__in=masse + separes, statut=Statut.EN_COURS).count() == 2 * N
    print(f"Base : PostgreSQL, Entrée pour {N} dossiers, {len(configurations)} actions chacune")
    print(
        f"Enregistrement en masse (enregistrer_en_masse)   {duree_masse:7.2f} s "
        f"({duree_masse / N * 1000:6.2f} ms/dossier)"
    )
    print(
        f"  {N} appels séparés à enregistrer_evenement    {duree_separes:7.2f} s   "
        f"ratio masse/séparés {duree_masse / duree_separes:5.2f}"
    )
    print(
        f"  mêmes lignes insérées à nu                    {duree_nue:7.2f} s   "
        f"ratio masse/nu {duree_masse / duree_nue:5.1f}"
    )


if __name__ == "__main__":
    main()
