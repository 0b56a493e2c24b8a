"""Load test in the production shape, on loopback: `make bench-charge`.

gunicorn serving config.wsgi with production settings (DEBUG=false, generated SECRET_KEY,
ALLOWED_HOSTS=127.0.0.1, static files by whitenoise from collectstatic's manifest;
bench/settings_charge.py only unmarks the cookies as Secure, there is no TLS on loopback, and
adds the bare view), PostgreSQL, Redis and one Celery worker. Simulated caseworkers (threads, one
requests.Session each) log in through the real login form, then for a bounded time loop over:
the dossier list, a dossier's Résumé, its Événements tab, the "Nouvel événement" form, the
POST of a "Validation d'étape" (CSRF token and the fields the form renders), and the page the
redirect leads to. Then the same users, for the same time, load a bare view on the same
stack (middleware, session, user, one `SELECT 1`). Prints requests/s, p50/p95/p99 per page
and overall, errors, and the ratios to the bare view; then waits for the worker to run the
actions of the recorded events.

Every response other than the expected one is an error (a status outside 2xx/3xx, a page
that redirects to the login, a form sent back with errors), and so is an action of a recorded
event that the worker did not run; the script exits with 1 if there is any.

Environment (defaults finish in about two minutes):
  CHARGE_UTILISATEURS   simulated caseworkers (50)
  CHARGE_DUREE          seconds of each phase, pages then bare view (30)
  CHARGE_ITERATIONS     at most this many loops per caseworker and phase (0: no limit)
  CHARGE_PAUSE          seconds a caseworker waits after each response (0: none, so the
                        figures are the capacity of the stack, latencies include queueing)
  CHARGE_DOSSIERS       dossiers per caseworker (10)
  CHARGE_EVENEMENTS     events already in each dossier (30)
  CHARGE_WORKERS        gunicorn workers (2 × cores + 1)
  BENCH_POSTGRES        server of the throwaway database (postgres://postgres@127.0.0.1:5432)
  REDIS_URL             broker (redis://127.0.0.1:6379/14)
  CHARGE_DATABASE_URL   use this existing, migrated database instead (not dropped: the
                        integration test reads what was recorded)
  CHARGE_RESULTATS      write the figures and the recorded events there (JSON)

gunicorn runs sync workers, as the production image does (Dockerfile, docker-compose.yml):
requests are short and bound by CPU and database, the clients are local and never slow, and
on two cores threads would only add contention for the GIL.
"""

import datetime
import html.parser
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import urljoin

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE))

UTILISATEURS = int(os.environ.get("CHARGE_UTILISATEURS", 50))
DUREE = float(os.environ.get("CHARGE_DUREE", 30))
PAUSE = float(os.environ.get("CHARGE_PAUSE", 0))
ITERATIONS = int(os.environ.get("CHARGE_ITERATIONS", 0))
DOSSIERS = int(os.environ.get("CHARGE_DOSSIERS", 10))
EVENEMENTS = int(os.environ.get("CHARGE_EVENEMENTS", 30))
WORKERS = int(os.environ.get("CHARGE_WORKERS", 2 * (os.cpu_count() or 1) + 1))
SERVEUR = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
BASE_EXISTANTE = os.environ.get("CHARGE_DATABASE_URL", "")
BASE = f"parcours_charge_{uuid.uuid4().hex[:6]}"
RESULTATS = os.environ.get("CHARGE_RESULTATS", "")
MOT_DE_PASSE = secrets.token_urlsafe(16)
MARQUE = f"charge-{uuid.uuid4().hex[:6]}"  # in the comment of every event the load records
PAR_EQUIPE = 10

PAGES = [
    ("liste", "Liste des dossiers"),
    ("resume", "Résumé d'un dossier"),
    ("evenements", "Onglet Événements"),
    ("formulaire", "Formulaire « Nouvel événement »"),
    ("enregistrer", "POST de l'événement (302)"),
    ("apres", "Onglet après la redirection"),
]

temporaire = Path(tempfile.mkdtemp(prefix="parcours-charge-"))
os.environ.update(
    DATABASE_URL=BASE_EXISTANTE or f"{SERVEUR}/{BASE}",
    REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
    CELERY_QUEUE=f"charge-{uuid.uuid4().hex[:6]}",
    DJANGO_SETTINGS_MODULE="bench.settings_charge",
    DEBUG="false",
    SECRET_KEY=secrets.token_urlsafe(50),
    ALLOWED_HOSTS="127.0.0.1",
    SECURE_SSL_REDIRECT="false",  # plain http on loopback; the default stays true
    MEDIA_ROOT=str(temporaire / "media"),
    EMAIL_URL="consolemail://",
    LOG_LEVEL="WARNING",
)


def psql(commande: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVEUR}/postgres", autocommit=True) as connexion:
        connexion.execute(commande)


def port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- data -------------------------------------------------------------------------------


def preparer() -> dict:
    """N caseworkers (Conseiller group, teams of ten), each referent of their own dossiers,
    each dossier "en cours" with a history; bulk-inserted through the models, then each
    dossier's derived state (status, phase, replay checkpoints) computed by the service, as
    after any write. A validation d'étape alerts the referent: the worker has work to do."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction

    from dossiers.models import Beneficiaire, Dossier, Equipe, Phase, Prestation
    from dossiers.recherche import texte_de_recherche
    from evenements.models import Evenement, TypeEvenement
    from evenements.services import recalculer_dossier
    from notifications.models import ModeleNotification

    User = get_user_model()  # noqa: N806
    prestation = Prestation.objects.create(nom=f"Charge {MARQUE}", code=MARQUE)
    for ordre in (1, 2):
        Phase.objects.create(prestation=prestation, libelle=f"Phase {ordre}", ordre=ordre)
    equipes = Equipe.objects.bulk_create(
        Equipe(nom=f"Charge {MARQUE} {k + 1}") for k in range(-(-UTILISATEURS // PAR_EQUIPE))
    )
    hache = make_password(MOT_DE_PASSE)  # hashed once: the logins still check it for real
    users = User.objects.bulk_create(
        User(username=f"{MARQUE}-{i:03d}", password=hache, first_name=f"Conseiller {i}")
        for i in range(UTILISATEURS)
    )
    Group.objects.get(name="Conseiller").user_set.add(*users)
    for k, equipe in enumerate(equipes):
        equipe.membres.add(*users[k * PAR_EQUIPE : (k + 1) * PAR_EQUIPE])
    beneficiaires = []
    for i in range(UTILISATEURS * DOSSIERS):
        b = Beneficiaire(nom=f"Nom{i:05d}", prenom="Prénom", email=f"b{i}@charge.invalid")
        b.recherche = texte_de_recherche(b.nom, b.prenom, b.email, b.identifiant_externe)
        beneficiaires.append(b)
    Beneficiaire.objects.bulk_create(beneficiaires)
    dossiers = Dossier.objects.bulk_create(
        Dossier(
            beneficiaire=b,
            prestation=prestation,
            equipe=equipes[(i // DOSSIERS) // PAR_EQUIPE],
            referent=users[i // DOSSIERS],
        )
        for i, b in enumerate(beneficiaires)
    )
    entree = TypeEvenement.objects.get(code="entree")
    etape = TypeEvenement.objects.get(code="validation-etape")
    debut = datetime.date.today() - datetime.timedelta(days=EVENEMENTS + 1)
    Evenement.objects.bulk_create(
        (
            Evenement(
                dossier=d,
                type_evenement=entree if j == 0 else etape,
                date=debut + datetime.timedelta(days=j),
                auteur=d.referent,
                valeurs={} if j == 0 else {"etape": f"Étape {j}"},
            )
            for d in dossiers
            for j in range(EVENEMENTS)
        ),
        batch_size=2000,
    )
    for dossier in dossiers:
        with transaction.atomic():
            recalculer_dossier(Dossier.objects.select_for_update().get(pk=dossier.pk))
    ModeleNotification.objects.get_or_create(
        type_evenement=etape,
        destinataire=ModeleNotification.Destinataire.REFERENT,
        canal=ModeleNotification.Canal.ALERTE,
        defaults={
            "nature": "notification",
            "sujet": "Étape validée : {{ beneficiaire.prenom }} {{ beneficiaire.nom }}",
            "corps": "{{ evenement.commentaire }}",
            "ordre": 90,
        },
    )
    par_user = defaultdict(list)
    for dossier in dossiers:
        par_user[dossier.referent.username].append(dossier.pk)
    return {"comptes": [(u.username, par_user[u.username]) for u in users], "type": etape.pk}


# --- services ---------------------------------------------------------------------------


class Processus:
    """A child process whose output goes to a file (shown when something goes wrong)."""

    def __init__(self, nom: str, commande: list[str]):
        self.nom = nom
        self.journal = temporaire / f"{nom}.log"
        self.fichier = self.journal.open("w")
        self.processus = subprocess.Popen(
            commande, cwd=RACINE, stdout=self.fichier, stderr=subprocess.STDOUT
        )

    def texte(self) -> str:
        return self.journal.read_text(errors="replace")

    def attendre(self, pret, delai: float = 90) -> None:
        fin = time.monotonic() + delai
        while not pret():
            if time.monotonic() > fin or self.processus.poll() is not None:
                raise SystemExit(f"{self.nom} n'a pas démarré :\n{self.texte()[-4000:]}")
            time.sleep(0.2)

    def arreter(self) -> None:
        self.processus.terminate()
        try:
            self.processus.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.processus.kill()
            self.processus.wait()
        self.fichier.close()


def lancer_gunicorn(port: int) -> Processus:
    return Processus(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--access-logfile",
            "-",
            # The default format, plus the time the worker spent on the request (%(D)s, µs:
            # without the wait in the listen queue) and the page the client names.
            "--access-logformat",
            f"{FORMAT_PAR_DEFAUT} %(D)s %({{x-charge}}i)s",
        ],
    )


FORMAT_PAR_DEFAUT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


def temps_serveur(journal: str) -> dict[str, list[float]]:
    """Seconds each request spent in a gunicorn worker, by "phase/page"."""
    temps = defaultdict(list)
    for ligne_du_journal in journal.splitlines():
        morceaux = ligne_du_journal.rsplit(" ", 2)
        if len(morceaux) == 3 and morceaux[1].isdigit() and "/" in morceaux[2]:
            temps[morceaux[2]].append(int(morceaux[1]) / 1e6)
    return temps


def attendre_gunicorn(gunicorn: Processus, port: int) -> None:
    import requests

    def pret() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    gunicorn.attendre(pret)


def lancer_worker() -> Processus:
    return Processus(
        "worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--concurrency=1",
            "-Q",
            os.environ["CELERY_QUEUE"],
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
    )


# --- the simulated caseworker -----------------------------------------------------------


class Formulaires(html.parser.HTMLParser):
    """The fields of a page's POST forms as a browser would send them, and its assets."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.champs: dict[str, str] = {}
        self.vides: list[str] = []  # required text fields: the user types something there
        self.statiques: list[str] = []
        self._dans_post = False
        self._select = None
        self._textarea = None

    def handle_starttag(self, balise, attributs):
        a = {k: v or "" for k, v in attributs}
        if balise == "form":
            self._dans_post = a.get("method", "").lower() == "post"
        elif balise in ("link", "script") and (a.get("href") or a.get("src", "")).startswith(
            "/static/"
        ):
            self.statiques.append(a.get("href") or a["src"])
        if balise == "option" and self._select and "selected" in a:
            self.champs[self._select] = a.get("value", "")
        if not self._dans_post or not a.get("name"):
            return
        if balise == "input" and a.get("type", "text") not in ("submit", "button", "checkbox"):
            self.champs[a["name"]] = a.get("value", "")
            if not a.get("value") and a.get("type", "text") == "text" and "required" in a:
                self.vides.append(a["name"])
        elif balise == "select":
            self._select = a["name"]
        elif balise == "textarea":
            self._textarea = a["name"]
            self.champs[a["name"]] = ""
            if "required" in a:
                self.vides.append(a["name"])

    def handle_data(self, texte):
        if self._textarea:
            self.champs[self._textarea] += texte

    def handle_endtag(self, balise):
        if balise == "form":
            self._dans_post = False
        elif balise == "select":
            self._select = None
        elif balise == "textarea":
            # A browser drops the line break that follows <textarea>, as Django writes it.
            self.champs[self._textarea] = self.champs[self._textarea].removeprefix("\n")
            self._textarea = None


def lire(page) -> Formulaires:
    formulaires = Formulaires()
    formulaires.feed(page.text)
    return formulaires


class Mesures:
    def __init__(self, phase: str):
        self.phase = phase
        self.durees: dict[str, list[float]] = defaultdict(list)
        self.erreurs: list[str] = []
        self.enregistres: list[str] = []


class Erreur(Exception):
    pass


class Conseiller:
    def __init__(self, base: str, username: str, dossiers: list[int], type_pk: int):
        import requests

        self.base = base
        self.username = username
        self.dossiers = dossiers
        self.type_pk = type_pk
        self.session = requests.Session()
        self.hasard = random.Random(username)
        self.numero = 0

    def requete(self, mesures, nom, methode, chemin, attendu, **kwargs):
        """One request, timed; anything but the `attendu` status is an error."""
        import requests

        url = urljoin(self.base, chemin)
        debut = time.perf_counter()
        try:
            reponse = self.session.request(
                methode,
                url,
                allow_redirects=False,
                timeout=60,
                headers={"X-Charge": f"{mesures.phase}/{nom}"},  # names it in the access log
                **kwargs,
            )
        except requests.RequestException as exc:
            mesures.erreurs.append(f"{nom} {methode} {chemin} : {exc}")
            raise Erreur from exc
        mesures.durees[nom].append(time.perf_counter() - debut)
        if PAUSE:
            time.sleep(PAUSE)
        if reponse.status_code != attendu:
            cible = reponse.headers.get("Location", "")
            refus = re.findall(r'(?:errorlist|erreurs)"[^>]*>(.*?)</', reponse.text, re.S)
            mesures.erreurs.append(
                f"{nom} {methode} {chemin} : {reponse.status_code} {cible} {refus[:3]}"
            )
            raise Erreur
        return reponse

    def se_connecter(self, mesures) -> None:
        page = self.requete(mesures, "connexion", "GET", "/connexion/", 200)
        champs = lire(page).champs
        champs.update(username=self.username, password=MOT_DE_PASSE)
        reponse = self.requete(mesures, "connexion", "POST", "/connexion/", 302, data=champs)
        liste = self.requete(mesures, "connexion", "GET", reponse.headers["Location"], 200)
        for chemin in lire(liste).statiques:  # a browser then keeps them in its cache
            self.requete(mesures, "statiques", "GET", chemin, 200)

    def parcourir(self, mesures) -> None:
        """Browse a dossier and record a validation d'étape on it, as a caseworker does."""
        self.numero += 1
        pk = self.hasard.choice(self.dossiers)
        self.requete(mesures, "liste", "GET", "/dossiers/", 200)
        self.requete(mesures, "resume", "GET", f"/dossiers/{pk}/", 200)
        self.requete(mesures, "evenements", "GET", f"/dossiers/{pk}/evenements/", 200)
        nouveau = f"/dossiers/{pk}/evenements/nouveau/"
        formulaire = lire(
            self.requete(
                mesures, "formulaire", "GET", f"{nouveau}?type_evenement={self.type_pk}", 200
            )
        )
        commentaire = f"{MARQUE} {self.username} n°{self.numero}"
        champs = {**formulaire.champs, "commentaire": commentaire}
        for nom in formulaire.vides:  # what the caseworker types in the required fields
            if not champs.get(nom):
                champs[nom] = f"Objectif {self.numero}"
        reponse = self.requete(mesures, "enregistrer", "POST", nouveau, 302, data=champs)
        mesures.enregistres.append(commentaire)
        page = self.requete(mesures, "apres", "GET", reponse.headers["Location"], 200)
        if "enregistré" not in page.text:
            mesures.erreurs.append(f"apres {pk} : pas de message de confirmation")

    def vue_nue(self, mesures) -> None:
        for _ in PAGES:  # as many requests per loop as the pages
            self.requete(mesures, "nue", "GET", "/bench/vue-nue/", 200)


def charger(base: str, comptes: list, type_pk: int) -> tuple[dict, dict]:
    """Log everyone in, then two timed phases: the pages, then the bare view."""
    connexions, pages, nue = Mesures("connexions"), Mesures("pages"), Mesures("nue")
    horloge = {}

    def top(phase):  # wall clock, and the CPU time of this client process
        return lambda: horloge.__setitem__(phase, (time.perf_counter(), time.process_time()))

    delai = DUREE + 600  # a thread that died must not leave the others waiting forever
    departs = {
        phase: threading.Barrier(len(comptes), action=top(phase), timeout=delai)
        for phase in ("pages", "nue")
    }
    fin = threading.Barrier(len(comptes), action=top("fin"), timeout=delai)

    def boucle(conseiller, phase, mesures, etape):
        departs[phase].wait()
        limite = horloge[phase][0] + DUREE
        faits = 0
        while time.perf_counter() < limite and (not ITERATIONS or faits < ITERATIONS):
            faits += 1
            try:
                etape(mesures)
            except Erreur:
                time.sleep(0.1)
            except Exception as exc:  # a page the script could not read is an error too
                mesures.erreurs.append(f"{phase} : {exc!r}")
                time.sleep(0.1)

    def simuler(username, dossiers):
        conseiller = Conseiller(base, username, dossiers, type_pk)
        try:
            conseiller.se_connecter(connexions)
            conseiller.parcourir(connexions)  # warm-up (templates, connections): not timed
        except Erreur:
            pass
        except Exception as exc:
            connexions.erreurs.append(f"connexion : {exc!r}")
        boucle(conseiller, "pages", pages, conseiller.parcourir)
        horloge.setdefault("fin_pages", {})[username] = time.perf_counter()
        boucle(conseiller, "nue", nue, conseiller.vue_nue)
        fin.wait()

    fils = [threading.Thread(target=simuler, args=compte) for compte in comptes]
    for fil in fils:
        fil.start()
    for fil in fils:
        fil.join()
    (pages_t, pages_cpu), (nue_t, nue_cpu), (fin_t, fin_cpu) = (
        horloge[phase] for phase in ("pages", "nue", "fin")
    )
    duree_pages = max(horloge["fin_pages"].values()) - pages_t
    return (
        {"connexions": connexions, "pages": pages, "nue": nue},
        {
            "pages": duree_pages,
            "nue": fin_t - nue_t,
            "client_pages": (nue_cpu - pages_cpu) / (nue_t - pages_t),
            "client_nue": (fin_cpu - nue_cpu) / (fin_t - nue_t),
        },
    )


# --- figures ----------------------------------------------------------------------------


def centile(valeurs: list[float], p: float) -> float:
    rangees = sorted(valeurs)
    return rangees[min(len(rangees) - 1, max(0, round(p / 100 * len(rangees) + 0.5) - 1))]


def chiffres(valeurs: list[float], duree: float, serveur: list[float]) -> dict:
    """Client latencies (what a caseworker waits, queueing included) and the time the
    request spent in a gunicorn worker, in ms."""
    c = {"requetes": len(valeurs), "par_seconde": len(valeurs) / duree if duree else 0.0}
    for p in (50, 95, 99):
        c[f"p{p}"] = centile(valeurs, p) * 1000 if valeurs else 0.0
        c[f"serveur_p{p}"] = centile(serveur, p) * 1000 if serveur else 0.0
    return c


def ligne(nom: str, c: dict, erreurs: str = "") -> str:
    return (
        f"{nom:<34} {c['requetes']:>6} {c['par_seconde']:>6.1f} | {c['p50']:>6.0f} "
        f"{c['p95']:>6.0f} {c['p99']:>6.0f} | {c['serveur_p50']:>6.1f} {c['serveur_p95']:>6.1f} "
        f"{c['serveur_p99']:>6.1f} {erreurs:>7}"
    )


def rapport(mesures: dict, durees: dict, serveur: dict) -> dict:
    pages, nue = mesures["pages"], mesures["nue"]
    par_page = {
        cle: chiffres(pages.durees[cle], durees["pages"], serveur[f"pages/{cle}"])
        for cle, _ in PAGES
    }
    toutes = chiffres(
        [d for cle, _ in PAGES for d in pages.durees[cle]],
        durees["pages"],
        [d for cle, _ in PAGES for d in serveur[f"pages/{cle}"]],
    )
    base = chiffres(nue.durees["nue"], durees["nue"], serveur["nue/nue"])
    connexion = chiffres(mesures["connexions"].durees["connexion"], 0, [])
    print(
        f"\n{UTILISATEURS} conseillers simultanés, {DUREE:.0f} s par phase ; gunicorn "
        f"{WORKERS} workers sync, 1 worker Celery, PostgreSQL, Redis, DEBUG=false"
        + (f", pause de {PAUSE} s après chaque réponse" if PAUSE else ", sans pause")
    )
    print(f"{'':<34} {'requ.':>6} {'req/s':>6} | {'client, ms':^20} | {'dans un worker, ms':^20}")
    print(
        f"{'':<34} {'':>6} {'':>6} | {'p50':>6} {'p95':>6} {'p99':>6} | "
        f"{'p50':>6} {'p95':>6} {'p99':>6}"
    )
    for cle, nom in PAGES:
        print(ligne(nom, par_page[cle]))
    erreurs = sum(len(m.erreurs) for m in mesures.values())
    print(ligne("Toutes les pages", toutes, f"{len(pages.erreurs)} err."))
    print(ligne("Vue nue (SELECT 1), même pile", base, f"{len(nue.erreurs)} err."))
    print(
        "client : ce qu'attend le conseiller, file d'attente de gunicorn comprise ; "
        "dans un worker : %(D)s du journal d'accès"
    )
    print(
        f"Connexions (formulaire, PBKDF2) : p50 {connexion['p50']:.0f} ms, "
        f"{len(mesures['connexions'].erreurs)} err. ; "
        f"{len(mesures['connexions'].durees['statiques'])} fichiers statiques (whitenoise) ; "
        "non comptés ci-dessus"
    )

    def rapports(c: dict) -> dict:
        return {
            cle: c[cle] / base[cle]
            for cle in ("p50", "p95", "p99", "serveur_p50", "serveur_p95", "serveur_p99")
            if base[cle]
        }

    ratios = {
        "debit": base["par_seconde"] / toutes["par_seconde"] if toutes["par_seconde"] else 0,
        **{cle: rapports(par_page[cle]) for cle, _ in PAGES},
        "toutes": rapports(toutes),
    }
    print("\nRatios à la vue nue (même pile, même charge, même exécution)")
    print(f"  débit : la vue nue sert {ratios['debit']:.1f}× plus de requêtes par seconde")
    for cle, nom in [*PAGES, ("toutes", "Toutes les pages")]:
        r = ratios[cle]
        print(
            f"  {nom:<34} client p50 {r.get('p50', 0):5.1f}×  p99 {r.get('p99', 0):5.1f}× | "
            f"worker p50 {r.get('serveur_p50', 0):5.1f}×  p99 {r.get('serveur_p99', 0):5.1f}×"
        )
    print(
        f"Client (ce processus, {UTILISATEURS} fils) : {durees['client_pages']:.0%} d'un cœur "
        f"pendant les pages, {durees['client_nue']:.0%} pendant la vue nue (partagés avec le "
        "serveur sur cette machine)"
    )
    print(f"\nErreurs : {erreurs}")
    for message in [e for m in mesures.values() for e in m.erreurs][:10]:
        print(f"  {message}")
    return {
        "erreurs": erreurs,
        "messages": [e for m in mesures.values() for e in m.erreurs][:50],
        "pages": par_page,
        "toutes": toutes,
        "vue_nue": base,
        "ratios": ratios,
    }


def collecter_les_statiques() -> None:
    """collectstatic as the production image runs it at build time (manifest, gzip and
    brotli by whitenoise), into var/charge-static/<key of the source files>: compressing
    takes most of a minute on a busy machine, so a run reuses the previous run's output
    while no static file changed."""
    import hashlib

    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command
    from django.test.utils import override_settings

    empreinte = hashlib.sha256()
    for finder in get_finders():
        for chemin, stockage in sorted(finder.list([]), key=lambda f: f[0]):
            infos = os.stat(stockage.path(chemin))
            empreinte.update(f"{chemin}\0{infos.st_size}\0{infos.st_mtime_ns}\n".encode())
    cache = RACINE / "var" / "charge-static"
    cible = cache / empreinte.hexdigest()[:16]
    if not cible.exists():
        shutil.rmtree(cache, ignore_errors=True)  # older keys: static files changed since
        provisoire = cache / f"en-cours-{os.getpid()}"
        with override_settings(STATIC_ROOT=str(provisoire)):
            call_command("collectstatic", "--noinput", verbosity=0)
        provisoire.rename(cible)  # complete or absent, never half-written
    os.environ["STATIC_ROOT"] = str(cible)  # what gunicorn serves


def compter_les_requetes_sql(username: str, pk: int, type_pk: int) -> dict[str, int]:
    """SQL queries of each page read by the load (a page's own work, besides its time)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(
        get_user_model().objects.get(username=username),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    chemins = {
        "liste": "/dossiers/",
        "resume": f"/dossiers/{pk}/",
        "evenements": f"/dossiers/{pk}/evenements/",
        "formulaire": f"/dossiers/{pk}/evenements/nouveau/?type_evenement={type_pk}",
        "nue": "/bench/vue-nue/",
    }
    nombres = {}
    with override_settings(STATIC_ROOT=os.environ["STATIC_ROOT"]):  # as gunicorn has it
        for cle, chemin in chemins.items():
            with CaptureQueriesContext(connection) as requetes:
                assert client.get(chemin).status_code == 200, chemin
            nombres[cle] = len(requetes)
    return nombres


def attendre_les_actions(delai: float = 120) -> dict:
    """The worker runs the actions of the recorded events; count them once none waits."""
    from django.db.models import Count

    from evenements.models import ActionDeclenchee, EtatAction

    actions = ActionDeclenchee.objects.filter(evenement__commentaire__startswith=MARQUE)
    debut = time.monotonic()
    while actions.filter(etat__in=[EtatAction.A_EXECUTER, EtatAction.EN_COURS]).exists():
        if time.monotonic() - debut > delai:
            break
        time.sleep(0.5)
    etats = dict(actions.values_list("etat").annotate(n=Count("pk")).order_by("etat"))
    print(
        f"Actions des événements enregistrés, après {time.monotonic() - debut:.1f} s : "
        + ", ".join(f"{etat} {n}" for etat, n in etats.items())
    )
    return etats


def executer() -> int:
    import django

    django.setup()
    from django.core.management import call_command

    debut = time.perf_counter()
    if not BASE_EXISTANTE:
        call_command("migrate", verbosity=0)
    migrations = time.perf_counter()
    collecter_les_statiques()
    statiques = time.perf_counter()
    donnees = preparer()
    donnees_pretes = time.perf_counter()
    port = port_libre()
    gunicorn, worker = lancer_gunicorn(port), lancer_worker()
    try:
        attendre_gunicorn(gunicorn, port)
        worker.attendre(lambda: " ready." in worker.texte())
    except BaseException:
        gunicorn.arreter()
        worker.arreter()
        raise
    print(
        f"Données : {UTILISATEURS} conseillers × {DOSSIERS} dossiers × {EVENEMENTS} événements. "
        f"Préparation : migrate {migrations - debut:.0f} s, collectstatic "
        f"{statiques - migrations:.0f} s, données {donnees_pretes - statiques:.0f} s, "
        f"démarrage de gunicorn et du worker {time.perf_counter() - donnees_pretes:.0f} s",
        flush=True,
    )
    try:
        mesures, durees = charger(f"http://127.0.0.1:{port}", donnees["comptes"], donnees["type"])
        resultats = rapport(mesures, durees, temps_serveur(gunicorn.texte()))
        resultats["actions"] = attendre_les_actions()
        username, dossiers = donnees["comptes"][0]
        resultats["requetes_sql"] = compter_les_requetes_sql(username, dossiers[0], donnees["type"])
        print(
            "Requêtes SQL par page (un dossier de cette exécution) : "
            + ", ".join(f"{cle} {n}" for cle, n in resultats["requetes_sql"].items())
        )
        resultats["erreurs"] += sum(
            n for etat, n in resultats["actions"].items() if etat not in ("executee", "ignoree")
        )
    finally:
        gunicorn.arreter()
        worker.arreter()
    if re.search(r'HTTP/1\.[01]" 5\d\d |Traceback', gunicorn.texte()):
        print(f"Journal de gunicorn :\n{gunicorn.texte()[-4000:]}")
        resultats["erreurs"] += 1
    resultats.update(marque=MARQUE, evenements=mesures["pages"].enregistres)
    resultats["evenements"] += mesures["connexions"].enregistres
    if RESULTATS:
        Path(RESULTATS).write_text(json.dumps(resultats, ensure_ascii=False, indent=1))
    return 1 if resultats["erreurs"] else 0


def main() -> None:
    if not BASE_EXISTANTE:
        psql(f"CREATE DATABASE {BASE}")
    code = 1
    try:
        code = executer()
    finally:
        from django.db import connections

        connections.close_all()
        if not BASE_EXISTANTE:
            psql(f"DROP DATABASE IF EXISTS {BASE} WITH (FORCE)")
        if code:
            print(f"Journaux de gunicorn et du worker : {temporaire}")
        else:
            shutil.rmtree(temporaire, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
