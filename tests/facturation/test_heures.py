"""Billing reads the hours réalisées of validated séances (no stand-in)."""

import datetime
from decimal import Decimal as D

from facturation import echeancier, heures
from facturation.models import Echeance
from seances import services
from seances.models import Presence
from seances.services import SaisiePresence
from tests.conftest import jours
from tests.factories import TypeSeanceFactory


def seance_validee(dossier, date, debut, fin, presence, par):
    atelier = TypeSeanceFactory(prestation=dossier.prestation, collective=False)
    seance = services.creer_seance(
        type_seance=atelier,
        date=date,
        heure_debut=datetime.time(debut),
        heure_fin=datetime.time(fin),
        animateur=par,
        dossiers=[dossier],
        par=par,
        lieu="Salle 1",
    ).seance
    saisies = {p.pk: SaisiePresence(presence) for p in seance.participations.all()}
    services.valider_seance(seance=seance, par=par, presences=saisies)


def test_heures_des_seances_validees_et_realise_d_un_abandon(
    dossier, convention, gestionnaire, saisir, alice, aujourd_hui, motif_abandon
):
    dossier.heures_prevues = D("12")
    dossier.save()
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree", date=aujourd_hui - jours(10))
    seance_validee(dossier, aujourd_hui - jours(8), 9, 12, Presence.PRESENT, alice)
    seance_validee(dossier, aujourd_hui - jours(6), 9, 12, Presence.PRESENT, alice)
    seance_validee(dossier, aujourd_hui - jours(4), 9, 12, Presence.ABSENT_NON_JUSTIFIE, alice)
    assert heures.heures_realisees(dossier) == D("6.00")
    assert heures.heures_realisees(dossier, au=aujourd_hui - jours(7)) == D("3.00")
    saisir(dossier, "abandon", motif=motif_abandon)
    # 6 h / 12 h = 50 % of 2 800 € = 1 400 €; 840 € released at the entry.
    realise = Echeance.objects.get(dossier=dossier, realise=True)
    assert realise.montant == D("560.00")
    assert realise.libelle.startswith("Réalisé à l'interruption : 6 h / 12 h")
