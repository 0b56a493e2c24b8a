"""Document templates and the organisation in the Django admin."""

import io

from django.urls import reverse
from pypdf import PdfReader

from documents.models import ModeleDocument, Organisation


def donnees_modele(**extra):
    return {
        "titre": "Attestation d'assiduité",
        "code": "assiduite",
        "categorie": "dossier",
        "corps": "<h1>Assiduité</h1>\n<p>{{ beneficiaire.nom }}</p>",
        "toutes_prestations": "on",
        "serie": "",
        "actif": "on",
        **extra,
    }


def test_gabarit_avec_erreur_refuse_avec_la_ligne(client, administrateur):
    client.force_login(administrateur)
    reponse = client.post(
        reverse("admin:documents_modeledocument_add"),
        donnees_modele(corps="<h1>Assiduité</h1>\n<p>{% if %}</p>"),
    )
    assert reponse.status_code == 200
    assert "Gabarit invalide (ligne 2)" in reponse.content.decode()
    assert not ModeleDocument.objects.filter(code="assiduite").exists()


def test_gabarit_qui_tente_un_include_refuse(client, administrateur):
    client.force_login(administrateur)
    reponse = client.post(
        reverse("admin:documents_modeledocument_add"),
        donnees_modele(corps='{% include "documents/pdf/base.html" %}'),
    )
    assert "Gabarit invalide" in reponse.content.decode()
    assert not ModeleDocument.objects.filter(code="assiduite").exists()


def test_apercu_pdf_avec_un_vrai_dossier(client, administrateur, dossier):
    client.force_login(administrateur)
    reponse = client.post(reverse("admin:documents_modeledocument_add"), donnees_modele())
    assert reponse.status_code == 302
    modele = ModeleDocument.objects.get(code="assiduite")
    page = client.get(reverse("admin:documents_modeledocument_change", args=[modele.pk]))
    assert f"?dossier={dossier.pk}" in page.content.decode()
    apercu = client.get(
        reverse("admin:documents_modeledocument_apercu", args=[modele.pk]),
        {"dossier": dossier.pk},
    )
    assert apercu["Content-Type"] == "application/pdf" and apercu.content[:5] == b"%PDF-"
    texte = PdfReader(io.BytesIO(apercu.content)).pages[0].extract_text()
    assert "ASSIDUITÉ" in texte.upper() and dossier.beneficiaire.nom in texte


def test_organisation_unique_jamais_supprimee(client, administrateur):
    client.force_login(administrateur)
    Organisation.courante()
    assert client.get(reverse("admin:documents_organisation_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:documents_organisation_delete", args=[1]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_siret_invalide_message_clair(client, administrateur):
    client.force_login(administrateur)
    Organisation.courante()
    reponse = client.post(
        reverse("admin:documents_organisation_change", args=[1]),
        {"raison_sociale": "Horizons", "siret": "123", "conditions_paiement_jours": 30},
    )
    assert "Le SIRET compte 14 chiffres." in reponse.content.decode()
