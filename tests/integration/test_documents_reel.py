"""Documents with real parts: a Celery worker renders the PDFs (WeasyPrint) and e-mails them
through the SMTP server on loopback; PostgreSQL and Redis are real."""

import io

import pytest
from pypdf import PdfReader

from documents import selectors
from documents.models import Document, Organisation
from evenements import pipeline
from evenements.models import EtatAction
from evenements.services import enregistrer_evenement, supprimer_evenement
from tests.conftest import jours
from tests.integration.conftest import attendre

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def medias_partages(settings, tmp_path, monkeypatch):
    """The worker process writes where the test reads."""
    dossier = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(dossier))
    settings.MEDIA_ROOT = dossier
    return dossier


def pieces_pdf(message) -> dict[str, str]:
    return {
        piece.get_filename(): " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(piece.get_content())).pages
        )
        for piece in message.iter_attachments()
        if piece.get_content_type() == "application/pdf"
    }


def test_sortie_positive_attestation_recue_puis_suppression_a_revoir(
    medias_partages, lancer_worker, smtp, dossier, types, alice, rose, aujourd_hui
):
    Organisation.objects.create(raison_sociale="Horizons Formation", ville="Lyon")
    lancer_worker()
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["entree"],
        auteur=alice,
        date=aujourd_hui - jours(20),
    )
    sortie = enregistrer_evenement(
        dossier=dossier, type_evenement=types["sortie-positive"], auteur=alice
    )
    adresse = dossier.beneficiaire.email
    attendre(
        lambda: len([m for m in smtp.pour(adresse) if pieces_pdf(m)]) == 2,
        delai=90,
        message=f"PDF non reçus : {list(sortie.actions.values('etat', 'derniere_erreur'))}",
    )
    recus = {}
    for message in smtp.pour(adresse):
        recus.update(pieces_pdf(message))
    (attestation,) = [texte for nom, texte in recus.items() if nom.startswith("attestation")]
    assert "ATTESTATION DE FIN DE FORMATION" in attestation
    assert dossier.beneficiaire.nom in attestation and "Horizons Formation" in attestation
    assert any(nom.startswith("certificat") for nom in recus)
    document = Document.objects.get(modele__code="attestation-fin-formation")
    assert document.nom_fichier in recus and document.numero in attestation

    supprimer_evenement(evenement=sortie, par=rose, raison="Erreur de dossier")
    etats = {d.modele.code: d.etat for d in selectors.documents_du_dossier(dossier)}
    assert set(etats.values()) == {"a_revoir"}

    # The responsable confirms the compensation: the worker voids and tells the recipient.
    for action in sortie.actions.filter(etat=EtatAction.A_REVOIR, configuration__nature="document"):
        pipeline.compenser(action=action, par=rose)
    attendre(
        lambda: {d.etat for d in selectors.documents_du_dossier(dossier)} == {"annule"},
        delai=60,
    )
    attendre(
        lambda: len([m for m in smtp.pour(adresse) if "Annulation :" in m["Subject"]]) == 2,
        message=f"{[m['Subject'] for m in smtp.messages]} "
        f"{list(sortie.actions.values('etat', 'resultat', 'derniere_erreur'))}",
    )
