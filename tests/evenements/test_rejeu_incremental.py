"""Property: replaying from the first affected position (the checkpoint stored on the event
before it) always gives what a full replay gives.

Hypothesis draws a sequence of writes on one dossier (insertions at any date, past or
planned, edits that move an event, deletions, same-day reorders). Each write is run twice:
first with the full replay forced, in a savepoint rolled back, then for real with the
incremental one. Both must accept or refuse it alike (same message), leave the dossier in
the same state, and every active event's stored checkpoint must equal a full replay's.
"""

import copy
import datetime
import io
import os
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dossiers.models import Dossier
from evenements import selectors, services
from evenements.models import Evenement
from evenements.rejeu import rejouer
from evenements.selectors import histoire_active
from tests.factories import DossierFactory

EXEMPLES = int(os.environ.get("HYPOTHESIS_EXEMPLES_REJEU", "40"))
# Weighted towards the types allowed while "en cours", so that most writes are accepted.
TYPES = ["entree"] + ["changement-phase", "validation-etape"] * 3 + ["sortie-positive", "rupture"]
ETAT = ["statut", "phase_courante_id", "financeur_id", "date_entree", "date_sortie"]

ecriture = st.one_of(
    st.tuples(st.just("ajout"), st.sampled_from(TYPES), st.integers(-6, 3), st.integers(0, 3)),
    st.tuples(st.just("modif"), st.integers(0, 30), st.sampled_from(TYPES), st.integers(-6, 3)),
    st.tuples(st.just("suppr"), st.integers(0, 30)),
    st.tuples(st.just("deplacer"), st.integers(0, 30), st.sampled_from(["haut", "bas"])),
)


class _Annuler(Exception):
    pass


def _valeurs(code: str, phases: list, choix: int) -> dict:
    if code == "changement-phase":
        return {"nouvelle_phase": str(phases[choix % len(phases)].pk)}
    if code == "validation-etape":
        return {"etape": f"Étape {choix}"}
    return {}


def _appliquer(op, dossier, rose, types, phases):
    actifs = list(dossier.evenements.actifs().chronologiques())
    aujourd_hui = timezone.localdate()
    if op[0] == "ajout":
        _, code, jour, choix = op
        return services.enregistrer_evenement(
            dossier=dossier,
            type_evenement=types[code],
            auteur=rose,
            date=aujourd_hui + datetime.timedelta(days=jour),
            commentaire="c",
            valeurs=_valeurs(code, phases, choix),
        )
    if not actifs:
        return None
    cible = actifs[op[1] % len(actifs)]
    if op[0] == "modif":
        _, _, code, jour = op
        return services.modifier_evenement(
            evenement=cible,
            par=rose,
            raison="r",
            type_evenement=types[code],
            date=aujourd_hui + datetime.timedelta(days=jour),
            commentaire="c",
            valeurs=_valeurs(code, phases, jour),
        )
    if op[0] == "suppr":
        return services.supprimer_evenement(evenement=cible, par=rose, raison="r")
    return services.deplacer_evenement(evenement=cible, par=rose, sens=op[2])


def _issue(op, dossier, rose, types, phases):
    """(refusal messages or None, dossier state after)."""
    try:
        _appliquer(op, dossier, rose, types, phases)
        refus = None
    except ValidationError as exc:
        refus = sorted(exc.messages)
    frais = Dossier.objects.get(pk=dossier.pk)
    return refus, [getattr(frais, champ) for champ in ETAT]


@pytest.mark.django_db
@settings(
    max_examples=EXEMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ecritures=st.lists(ecriture, min_size=1, max_size=15))
def test_rejeu_incremental_egal_rejeu_complet(ecritures, rose, equipe_a, types):
    dossier = DossierFactory(equipe=equipe_a, referent=rose)
    phases = list(dossier.prestation.phases.order_by("ordre"))
    origine = services._histoire_depuis
    debut = [("ajout", "entree", -8, 0)] + [("ajout", "validation-etape", -7, i) for i in range(3)]
    for op in debut + ecritures:
        try:
            with transaction.atomic():
                with mock.patch.object(
                    services,
                    "_histoire_depuis",
                    lambda d, depuis, jour, dernier=None: origine(d, None, jour),
                ):
                    attendu = _issue(op, dossier, rose, types, phases)
                raise _Annuler
        except _Annuler:
            pass
        obtenu = _issue(op, dossier, rose, types, phases)
        assert obtenu == attendu, op

        # Stored checkpoints are those of a full replay.
        frais = Dossier.objects.select_related("prestation").get(pk=dossier.pk)
        histoire = histoire_active(frais)
        rejouer(copy.copy(frais), histoire, timezone.localdate())
        stockees = dict(dossier.evenements.actifs().values_list("pk", "reprise"))
        assert stockees == {e.pk: e.reprise_calculee for e in histoire}, op


def test_saisie_a_la_fin_ne_relit_pas_l_historique(dossier, rose, types, aujourd_hui):
    """Appending today reads a constant number of rows, whatever the history's length."""
    services.enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=rose, date=aujourd_hui
    )
    lus = []
    vrai_rejouer = services.rejouer

    def espion(d, evenements, *args, **kwargs):
        lus.append(len(evenements))
        return vrai_rejouer(d, evenements, *args, **kwargs)

    with mock.patch.object(services, "rejouer", espion):
        for i in range(5):
            services.enregistrer_evenement(
                dossier=dossier,
                type_evenement=types["validation-etape"],
                auteur=rose,
                date=aujourd_hui,
                valeurs={"etape": f"É{i}"},
            )
    assert lus == [1] * 5
    assert Evenement.objects.filter(dossier=dossier, reprise__isnull=True).count() == 0


def _saisir(dossier, rose, types, code, date, **valeurs):
    return services.enregistrer_evenement(
        dossier=dossier, type_evenement=types[code], auteur=rose, date=date, valeurs=valeurs
    )


def test_onglet_lu_depuis_les_reprises_comme_par_rejeu(dossier, rose, types, aujourd_hui):
    """The tab's steps (phase before/after, same-day order) read from the checkpoints equal
    those of a full replay, deleted events shown included."""
    phases = list(dossier.prestation.phases.order_by("ordre"))
    _saisir(dossier, rose, types, "entree", aujourd_hui - datetime.timedelta(days=5))
    for i, phase in enumerate(phases[1:]):
        _saisir(
            dossier,
            rose,
            types,
            "changement-phase",
            aujourd_hui - datetime.timedelta(days=4 - i),
            nouvelle_phase=str(phase.pk),
        )
    du_jour = _saisir(dossier, rose, types, "validation-etape", aujourd_hui, etape="a")
    _saisir(dossier, rose, types, "validation-etape", aujourd_hui, etape="b")
    services.supprimer_evenement(evenement=du_jour, par=rose, raison="doublon")

    def lignes(**options):
        _, resultat = selectors.historique(
            dossier, rose, recents_d_abord=False, avec_supprimes=True, **options
        )
        return [
            (
                ligne.evenement.pk,
                ligne.position_du_jour,
                ligne.nb_du_jour,
                ligne.etape and (ligne.etape.statut_avant, ligne.etape.statut_apres),
                ligne.etape and (ligne.etape.phase_avant, ligne.etape.phase_apres),
            )
            for ligne in resultat
        ]

    par_reprises = lignes()
    with mock.patch.object(selectors, "_voisinage", lambda *a: None):
        par_rejeu = lignes()
    assert par_reprises == par_rejeu
    assert par_reprises[1][4] == (phases[0], phases[1])  # first phase change


def test_onglet_nombre_de_requetes_constant(
    client, rose, dossier, types, aujourd_hui, django_assert_num_queries
):
    client.force_login(rose)
    url = f"/dossiers/{dossier.pk}/evenements/"
    _saisir(dossier, rose, types, "entree", aujourd_hui - datetime.timedelta(days=200))
    for i in range(3):
        _saisir(dossier, rose, types, "validation-etape", aujourd_hui, etape=str(i))
    with CaptureQueriesContext(connection) as petit:
        assert client.get(url).status_code == 200
    for i in range(120):
        jour = aujourd_hui - datetime.timedelta(days=150 - i)
        _saisir(dossier, rose, types, "validation-etape", jour, etape=str(i))
    with django_assert_num_queries(len(petit.captured_queries)):
        reponse = client.get(url)
    assert "Page 1 sur 2" in reponse.content.decode()


def test_completer_reprises_apres_import_en_masse(dossier, rose, types, aujourd_hui):
    """Events loaded in bulk carry no checkpoint: the command fills them once, then the
    next write replays from the end again."""
    _saisir(dossier, rose, types, "entree", aujourd_hui - datetime.timedelta(days=3))
    Evenement.objects.bulk_create(
        Evenement(
            dossier=dossier,
            type_evenement=types["validation-etape"],
            date=aujourd_hui - datetime.timedelta(days=2),
            rang=i + 1,
            auteur=rose,
            valeurs={"etape": str(i)},
        )
        for i in range(3)
    )
    sortie = io.StringIO()
    call_command("completer_reprises", stdout=sortie)
    assert "1 dossier(s) complété(s)" in sortie.getvalue()
    assert not dossier.evenements.filter(reprise__isnull=True).exists()
    call_command("completer_reprises", stdout=sortie)
    assert "0 dossier(s) complété(s)" in sortie.getvalue()
