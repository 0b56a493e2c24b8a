"""Gapless numbering under concurrent validations (real PostgreSQL row locks, threads)."""

import datetime
import threading
from decimal import Decimal as D

import pytest
from django.db import connection, connections

from facturation import services
from facturation.models import Facture, LigneFacture
from tests.conftest import service_absent
from tests.facturation.conftest import financeur_facturable

N = 8


def brouillon(financeur):
    facture = Facture.objects.create(nature="facture", financeur=financeur)
    LigneFacture.objects.create(
        facture=facture, libelle="Forfait", prix_unitaire=D("100"), montant_ht=D("100")
    )
    return facture


@pytest.mark.django_db(transaction=True)
def test_validations_simultanees_numeros_sans_trou_ni_doublon(gestionnaire):
    if connection.vendor != "postgresql":
        service_absent("verrous de ligne réels : ce test a besoin de PostgreSQL (DATABASE_URL).")
    financeur = financeur_facturable()
    brouillons = [brouillon(financeur) for _ in range(N)]
    # A draft that fails validation (buyer without SIREN) must not consume a number.
    sans_siren = brouillon(financeur_facturable(siren=""))
    depart = threading.Barrier(N + 1)
    erreurs = []

    def valider(facture):
        try:
            depart.wait()
            services.valider_facture(
                facture=facture, par=gestionnaire, aujourd_hui=datetime.date(2026, 6, 1)
            )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            erreurs.append(str(exc))
        finally:
            connections.close_all()

    fils = [threading.Thread(target=valider, args=(f,)) for f in [*brouillons, sans_siren]]
    for f in fils:
        f.start()
    for f in fils:
        f.join(timeout=60)
    assert len(erreurs) == 1 and "SIREN" in erreurs[0]
    numeros = sorted(Facture.objects.exclude(numero=None).values_list("numero", flat=True))
    assert numeros == [f"FAC-2026-{n:05d}" for n in range(1, N + 1)]
    sans_siren.refresh_from_db()
    assert sans_siren.numero is None
