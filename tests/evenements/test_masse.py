"""Bulk recording (evenements.masse): one Entrée for many dossiers, each in its own
transaction, with a summary of what was recorded and what was refused, and why."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers.models import Dossier, Statut
from evenements import masse
from evenements.droits import peut_saisir
from evenements.masse import MAXIMUM_PAR_LOT, enregistrer_en_masse
from evenements.models import ActionDeclenchee, EtatAction, Evenement
from evenements.services import enregistrer_evenement
from tests.conftest import jours
from tests.factories import UtilisateurFactory


def _ids(*dossiers):
    return [d.pk for d in dossiers]


def test_lot_mixte_enregistre_les_uns_et_refuse_les_autres_avec_leur_raison(
    lot_mixte, alice, types, aujourd_hui
):
    d = lot_mixte
    bilan = enregistrer_en_masse(
        dossiers=_ids(d["autre"], d["clos"], d["ok1"], d["deja"], d["ok2"]),
        type_evenement=types["entree"],
        date=aujourd_hui,
        commentaire="Atelier collectif du lundi",
        par=alice,
    )
    assert [ligne.dossier for ligne in bilan.enregistres] == [d["ok1"], d["ok2"]]
    refus = {ligne.dossier_id: ligne for ligne in bilan.refuses}
    assert set(refus) == {d["autre"].pk, d["clos"].pk, d["deja"].pk}
    assert refus[d["clos"].pk].raison.startswith("Dossier clôturé (« Terminé » depuis le")
    le = (aujourd_hui - jours(5)).strftime("%d/%m/%Y")
    assert refus[d["deja"].pk].raison == f"Entrée déjà enregistrée le {le} (dossier « En cours »)."
    # Another team's dossier: "introuvable", nothing of it is loaded, let alone named.
    assert refus[d["autre"].pk].dossier is None
    assert refus[d["autre"].pk].raison == "Dossier introuvable ou hors de vos équipes."
    assert bilan.resume == "2 entrées enregistrées, 3 refusées"
    for dossier in (d["ok1"], d["ok2"]):
        dossier.refresh_from_db()
        assert dossier.statut == Statut.EN_COURS and dossier.date_entree == aujourd_hui
        evenement = dossier.evenements.get()
        assert evenement.commentaire == "Atelier collectif du lundi"
        assert evenement.auteur == alice
        # Its actions are planned as for a single recording (outbox rows).
        assert ActionDeclenchee.objects.filter(evenement=evenement).exists()
    assert not Evenement.objects.filter(dossier=d["autre"]).exists()
    assert d["clos"].evenements.count() == 2 and d["deja"].evenements.count() == 1


def test_une_entree_deja_planifiee_est_refusee_avec_sa_date(nouveau, alice, types, aujourd_hui):
    # "À venir" today but its Entrée is recorded for next week: a second one is refused,
    # saying when the first applies.
    planifie = nouveau("Aaron")
    enregistrer_evenement(
        dossier=planifie, type_evenement=types["entree"], auteur=alice, date=aujourd_hui + jours(7)
    )
    bilan = enregistrer_en_masse(
        dossiers=_ids(planifie), type_evenement=types["entree"], date=aujourd_hui, par=alice
    )
    assert [ligne.raison for ligne in bilan.refuses] == [
        f"Entrée déjà enregistrée pour le {aujourd_hui + jours(7):%d/%m/%Y} (à venir)."
    ]
    assert planifie.evenements.count() == 1


def test_un_refus_du_service_n_empeche_pas_les_dossiers_suivants(
    nouveau, alice, types, aujourd_hui
):
    # The Entrée is not offered for this dossier's prestation: only the service tells.
    from tests.factories import DossierFactory, PrestationFactory

    autre_prestation = DossierFactory(
        prestation=PrestationFactory(),
        equipe=alice.equipes.first(),
        referent=alice,
        beneficiaire__nom="Aaron",
    )
    types["entree"].toutes_prestations = False
    types["entree"].save()
    suivant = nouveau("Zoe")
    types["entree"].prestations.set([suivant.prestation])
    bilan = enregistrer_en_masse(
        dossiers=_ids(autre_prestation, suivant),
        type_evenement=types["entree"],
        date=aujourd_hui,
        par=alice,
    )
    assert [ligne.dossier for ligne in bilan.refuses] == [autre_prestation]
    assert "n'est pas proposé pour la prestation" in bilan.refuses[0].raison
    assert [ligne.dossier for ligne in bilan.enregistres] == [suivant]
    assert not autre_prestation.evenements.exists()  # nothing of the refused attempt is left


@pytest.mark.django_db(transaction=True)
def test_chaque_dossier_est_valide_dans_sa_propre_transaction(
    nouveau, alice, types, aujourd_hui, monkeypatch
):
    premier, second = nouveau("Alpha"), nouveau("Beta")
    original = masse.enregistrer_evenement

    def puis_panne(**kwargs):
        if kwargs["dossier"].pk == second.pk:
            raise RuntimeError("panne au second dossier")
        return original(**kwargs)

    monkeypatch.setattr(masse, "enregistrer_evenement", puis_panne)
    with pytest.raises(RuntimeError):
        enregistrer_en_masse(
            dossiers=_ids(premier, second),
            type_evenement=types["entree"],
            date=aujourd_hui,
            par=alice,
        )
    # The first dossier's Entrée was committed before the second one failed, and its
    # actions were handed over after that commit (run in-process here).
    premier.refresh_from_db()
    assert premier.statut == Statut.EN_COURS
    assert premier.evenements.count() == 1
    actions = ActionDeclenchee.objects.filter(evenement__dossier=premier)
    assert actions.filter(etat=EtatAction.EXECUTEE).exists()
    assert not actions.filter(etat=EtatAction.A_EXECUTER).exists()
    assert not second.evenements.exists()


def test_plus_de_mille_dossiers_est_refuse_sans_rien_enregistrer(
    dossier, alice, types, aujourd_hui
):
    with pytest.raises(ValidationError) as refus:
        enregistrer_en_masse(
            dossiers=[dossier.pk, *range(10**6, 10**6 + MAXIMUM_PAR_LOT)],
            type_evenement=types["entree"],
            date=aujourd_hui,
            par=alice,
        )
    assert refus.value.message_dict["dossiers"] == [
        "Au plus 1\u202f000 dossiers à la fois : vous en avez sélectionné 1\u202f001. "
        "Affinez la sélection (filtres) et recommencez."
    ]
    assert not dossier.evenements.exists()


def test_types_qui_demandent_une_saisie_par_dossier_sont_refuses(
    dossier, alice, types, aujourd_hui
):
    possibles = set(masse.types_possibles().values_list("code", flat=True))
    assert {"entree", "sortie-positive", "rupture"} <= possibles
    assert not possibles & {"abandon", "changement-phase", "validation-etape"}
    with pytest.raises(ValidationError) as refus:
        enregistrer_en_masse(
            dossiers=[dossier.pk],
            type_evenement=types["abandon"],
            date=aujourd_hui,
            commentaire="Fin",
            par=alice,
        )
    assert "ne s'enregistre pas en masse" in refus.value.message_dict["type_evenement"][0]


def test_commentaire_obligatoire_et_date_hors_fenetre_refusent_le_lot(
    dossier, alice, types, aujourd_hui
):
    with pytest.raises(ValidationError) as refus:
        enregistrer_en_masse(
            dossiers=[dossier.pk],
            type_evenement=types["rupture"],
            date=aujourd_hui.replace(year=aujourd_hui.year + 50),
            par=alice,
        )
    erreurs = refus.value.message_dict
    assert erreurs["commentaire"] == ["Le commentaire est obligatoire pour « Rupture »."]
    assert erreurs["date"][0].startswith("La date doit être comprise entre le")
    assert not dossier.evenements.exists()


def test_sans_droit_de_saisie_rien_n_est_enregistre(dossier, types, aujourd_hui):
    gestionnaire = UtilisateurFactory(username="gaston", groupe="Gestionnaire")
    with pytest.raises(PermissionDenied):
        enregistrer_en_masse(
            dossiers=[dossier.pk],
            type_evenement=types["entree"],
            date=aujourd_hui,
            par=gestionnaire,
        )
    assert not dossier.evenements.exists()


def test_ids_en_double_ou_illisibles(dossier, alice, types, aujourd_hui):
    with pytest.raises(ValidationError) as refus:
        masse.identifiants(["12", "abc"])
    assert "illisible" in refus.value.message_dict["dossiers"][0]
    bilan = enregistrer_en_masse(
        dossiers=[str(dossier.pk), dossier.pk],
        type_evenement=types["entree"],
        date=aujourd_hui,
        par=alice,
    )
    assert len(bilan.enregistres) == 1 and not bilan.refuses


def test_requetes_par_dossier_constantes(
    nouveau, alice, types, aujourd_hui, django_assert_num_queries
):
    """The batch costs a fixed overhead plus exactly what one enregistrer_evenement costs
    for each dossier: no N+1 around the service."""
    # the configuration a recording reads is kept per process: warm it first
    enregistrer_evenement(
        dossier=nouveau("Amorce"), type_evenement=types["entree"], auteur=alice, date=aujourd_hui
    )
    temoin = Dossier.objects.get(pk=nouveau("Temoin").pk)
    assert peut_saisir(alice, temoin)  # permissions and teams cached, as in a request
    with CaptureQueriesContext(connection) as seul:
        enregistrer_evenement(
            dossier=temoin,
            type_evenement=types["entree"],
            auteur=alice,
            date=aujourd_hui,
        )
    par_dossier = len(seul.captured_queries)
    # Fixed: the type check, the visible dossiers with their bénéficiaires.
    for taille in (1, 6):
        lot = [nouveau(f"Lot{taille}-{n}") for n in range(taille)]
        with django_assert_num_queries(2 + taille * par_dossier):
            bilan = enregistrer_en_masse(
                dossiers=_ids(*lot), type_evenement=types["entree"], date=aujourd_hui, par=alice
            )
        assert len(bilan.enregistres) == taille
