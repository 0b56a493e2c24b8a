"""The database aggregates equal the sum of per-dossier figures read from the events."""

import datetime
from collections import Counter

import pytest

from dossiers.models import Dossier
from evenements.models import Effet, Evenement
from pilotage import agregats
from pilotage.filtres import Periode
from tests.factories import FinanceurFactory, PrestationFactory
from tests.pilotage.generateur import generer

SORTIE_DE = {
    Effet.SORTIE_POSITIVE: "sorties_positives",
    Effet.ABANDON: "abandons",
    Effet.RUPTURE: "ruptures",
}


def par_dossier(dossiers, aujourd_hui):
    """Each dossier's entry and exit straight from its active events (no derived field)."""
    evenements = (
        Evenement.objects.actifs()
        .filter(dossier__in=dossiers, date__lte=aujourd_hui)
        .select_related("type_evenement", "motif")
        .order_by("date", "rang", "pk")
    )
    faits = {d.pk: {"entree": None, "sortie": None} for d in dossiers}
    for e in evenements:
        fait = faits[e.dossier_id]
        if e.type_evenement.effet == Effet.ENTREE:
            fait["entree"] = e.date
        elif e.type_evenement.effet in SORTIE_DE:
            fait["sortie"] = (e.date, SORTIE_DE[e.type_evenement.effet], e.motif)
    return faits


def attendu(faits, dossiers, periode):
    totaux = Counter()
    motifs = Counter()
    durees = []
    for d in dossiers:
        fait = faits[d.pk]
        entree, sortie = fait["entree"], fait["sortie"]
        if entree and periode.debut <= entree <= periode.fin:
            totaux["entrees"] += 1
        date_sortie = sortie[0] if sortie else None
        if sortie and periode.debut <= date_sortie <= periode.fin:
            totaux["sorties"] += 1
            totaux[sortie[1]] += 1
            motifs[(sortie[1], sortie[2].libelle if sortie[2] else "Non précisé")] += 1
            if entree:
                durees.append(d.duree_jours())  # the summary's figure
        if entree and entree <= periode.fin and (date_sortie is None or date_sortie > periode.fin):
            totaux["en_cours"] += 1
    return totaux, motifs, durees


@pytest.fixture
def donnees(types, rose, equipe_a, aujourd_hui):
    prestations = [PrestationFactory(nom="Bilan"), PrestationFactory(nom="Insertion")]
    financeurs = [FinanceurFactory(), FinanceurFactory()]
    dossiers = generer(
        graine=20261129,
        nombre=60,
        types=types,
        auteur=rose,
        equipe=equipe_a,
        prestations=prestations,
        financeurs=financeurs,
        aujourd_hui=aujourd_hui,
    )
    return dossiers, prestations, financeurs


PERIODES = [(400, 0), (90, 30), (200, 100), (10, 0)]


@pytest.mark.parametrize("debut,fin", PERIODES)
def test_totaux_egaux_a_la_somme_des_dossiers(donnees, aujourd_hui, debut, fin):
    dossiers, _, _ = donnees
    periode = Periode(
        aujourd_hui - datetime.timedelta(days=debut), aujourd_hui - datetime.timedelta(days=fin)
    )
    recharges = list(Dossier.objects.filter(pk__in=[d.pk for d in dossiers]))
    totaux_attendus, motifs_attendus, durees = attendu(
        par_dossier(recharges, aujourd_hui), recharges, periode
    )

    totaux = agregats.totaux(Dossier.objects.all(), periode)

    for cle in ("entrees", "sorties", "sorties_positives", "abandons", "ruptures", "en_cours"):
        assert totaux[cle] == totaux_attendus[cle], cle
    if durees:
        assert totaux["duree_moyenne"] == pytest.approx(sum(durees) / len(durees), abs=0.06)
        assert totaux["taux_sortie_positive"] == pytest.approx(
            100 * totaux_attendus["sorties_positives"] / totaux_attendus["sorties"], abs=0.05
        )
    else:
        assert totaux["duree_moyenne"] is None
    indicateur = {"termine": "sorties_positives", "abandonne": "abandons", "rupture": "ruptures"}
    motifs = {
        (indicateur[ligne["statut"]], ligne["motif"]): ligne["nombre"]
        for ligne in agregats.sorties_par_motif(Dossier.objects.all(), periode)
    }
    assert motifs == dict(motifs_attendus)


def test_par_prestation_et_par_mois_se_recoupent(donnees, aujourd_hui, django_assert_num_queries):
    dossiers, prestations, financeurs = donnees
    periode = Periode(aujourd_hui - datetime.timedelta(days=365), aujourd_hui)
    tous = Dossier.objects.all()
    with django_assert_num_queries(1):
        totaux = agregats.totaux(tous, periode)
    with django_assert_num_queries(1):
        lignes = agregats.par_prestation(tous, periode)
    with django_assert_num_queries(2):
        mois = agregats.par_mois(tous, periode)
    for cle in ("entrees", "sorties_positives", "abandons", "ruptures", "en_cours"):
        assert sum(ligne[cle] for ligne in lignes) == totaux[cle]
    assert sum(m["entrees"] for m in mois) == totaux["entrees"]
    assert sum(m["sorties"] for m in mois) == totaux["sorties"]
    phases = agregats.par_phase(tous, periode)
    assert sum(ligne["en_cours"] for ligne in phases) == totaux["en_cours"]
    # a financeur filter is a partition
    par_financeur = [agregats.totaux(tous.filter(financeur=f), periode) for f in financeurs]
    assert sum(t["entrees"] for t in par_financeur) == totaux["entrees"]


def test_une_sortie_supprimee_ne_compte_plus(dossier, types, rose, aujourd_hui, motif_abandon):
    from evenements.services import enregistrer_evenement, supprimer_evenement

    enregistrer_evenement(
        commentaire="Commentaire du conseiller.",
        dossier=dossier,
        type_evenement=types["entree"],
        auteur=rose,
        date=aujourd_hui - datetime.timedelta(days=20),
    )
    abandon = enregistrer_evenement(
        commentaire="Commentaire du conseiller.",
        dossier=dossier,
        type_evenement=types["abandon"],
        auteur=rose,
        date=aujourd_hui - datetime.timedelta(days=5),
        motif=motif_abandon,
    )
    periode = Periode(aujourd_hui - datetime.timedelta(days=30), aujourd_hui)
    assert agregats.totaux(Dossier.objects.all(), periode)["abandons"] == 1
    supprimer_evenement(evenement=abandon, par=rose, raison="Erreur de dossier")
    totaux = agregats.totaux(Dossier.objects.all(), periode)
    assert totaux["abandons"] == 0
    assert totaux["en_cours"] == 1
    assert agregats.sorties_par_motif(Dossier.objects.all(), periode) == []
