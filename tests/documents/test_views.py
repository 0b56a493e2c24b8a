"""The Documents tab as users see it: list, preview, generate, download, e-mail, rights."""

import io
import zipfile

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents.models import Document, ModeleDocument
from notifications.models import Envoi
from tests.factories import DossierFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF_MINI = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx() -> bytes:
    flux = io.BytesIO()
    with zipfile.ZipFile(flux, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return flux.getvalue()


def odt() -> bytes:
    flux = io.BytesIO()
    with zipfile.ZipFile(flux, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return flux.getvalue()


@pytest.fixture
def bilan():
    return ModeleDocument.objects.get(code="bilan-synthese")


def generer(client, dossier, modele):
    return client.post(reverse("documents:generer", args=[dossier.pk]), {"modele": modele.pk})


def test_apercu_puis_generation_puis_telechargement(client, alice, dossier, bilan, organisation):
    client.force_login(alice)
    onglet = client.get(reverse("documents:onglet", args=[dossier.pk])).content.decode()
    assert "Générer un document" in onglet and "Bilan de synthèse" in onglet
    apercu = client.get(reverse("documents:apercu", args=[dossier.pk]), {"modele": bilan.pk})
    page = apercu.content.decode()
    assert "srcdoc=" in page and dossier.beneficiaire.nom in page
    assert not Document.objects.exists()  # a preview saves nothing
    reponse = generer(client, dossier, bilan)
    assert reponse.status_code == 302
    document = Document.objects.get()
    assert document.cree_par == alice and document.modele_version == 1
    onglet = client.get(reverse("documents:onglet", args=[dossier.pk])).content.decode()
    assert document.sha256 in onglet and "v1" in onglet and "Bilan de synthèse" in onglet
    telechargement = client.get(reverse("documents:telecharger", args=[document.pk]))
    assert telechargement["Content-Type"] == "application/pdf"
    assert "attachment" in telechargement["Content-Disposition"]
    assert b"".join(telechargement.streaming_content)[:5] == b"%PDF-"


def test_apercu_htmx_ne_renvoie_que_le_cadre(client, alice, dossier, bilan):
    client.force_login(alice)
    reponse = client.get(
        reverse("documents:apercu", args=[dossier.pk]),
        {"modele": bilan.pk},
        headers={"HX-Request": "true"},
    )
    page = reponse.content.decode()
    assert page.strip().startswith('<div id="apercu">') and "<html" not in page
    assert "&lt;html" in page  # the document is inside the sandboxed frame, escaped


def test_modele_absent_message_en_francais(client, alice, dossier):
    client.force_login(alice)
    reponse = client.post(reverse("documents:generer", args=[dossier.pk]), {"modele": ""})
    assert reponse.status_code == 400
    assert "Choisissez un modèle." in reponse.content.decode()


def test_autre_equipe_404_partout(client, alice, charlie, dossier, bilan, organisation):
    client.force_login(alice)
    generer(client, dossier, bilan)
    document = Document.objects.get()
    client.force_login(charlie)
    for url in [
        reverse("documents:onglet", args=[dossier.pk]),
        reverse("documents:apercu", args=[dossier.pk]) + f"?modele={bilan.pk}",
        reverse("documents:telecharger", args=[document.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("documents:generer", args=[dossier.pk]),
        reverse("documents:envoyer", args=[document.pk]),
        reverse("documents:regenerer", args=[document.pk]),
    ]:
        assert client.post(url, {"modele": bilan.pk, "raison": "x"}).status_code == 404, url
    assert Document.objects.count() == 1


def test_envoyer_par_email_passe_par_le_journal_des_envois(
    client, alice, dossier, bilan, organisation, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    generer(client, dossier, bilan)
    document = Document.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(
            reverse("documents:envoyer", args=[document.pk]), {"destinataire": "financeur"}
        )
    assert reponse.status_code == 302
    envoi = Envoi.objects.get(action__isnull=True)
    assert envoi.etat == Envoi.Etat.ENVOYE and envoi.envoye_par == alice
    assert envoi.adresse == "contact@financeur.example"
    (message,) = mail.outbox
    assert message.attachments[0][0] == document.nom_fichier
    envois = client.get(reverse("notifications:envois", args=[dossier.pk])).content.decode()
    assert "Envoi manuel" in envois and f"Pièce jointe : {document.nom_fichier}" in envois


def test_envoi_au_beneficiaire_sans_consentement_refuse(client, alice, dossier, bilan):
    dossier.beneficiaire.consentement_email = False
    dossier.beneficiaire.save()
    client.force_login(alice)
    generer(client, dossier, bilan)
    document = Document.objects.get()
    reponse = client.post(
        reverse("documents:envoyer", args=[document.pk]),
        {"destinataire": "beneficiaire"},
        follow=True,
    )
    assert "Le bénéficiaire a refusé les e-mails." in reponse.content.decode()
    assert not Envoi.objects.exists()


@pytest.mark.parametrize(
    "nom,contenu,type_mime",
    [
        ("cv.pdf", PDF_MINI, "application/pdf"),
        ("photo.png", PNG, "image/png"),
        ("scan.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
        ("cv.docx", docx(), None),
        ("lettre.odt", odt(), "application/vnd.oasis.opendocument.text"),
    ],
)
def test_depot_accepte(client, alice, dossier, nom, contenu, type_mime):
    client.force_login(alice)
    reponse = client.post(
        reverse("documents:deposer", args=[dossier.pk]),
        {"type_piece": "cv", "titre": "", "fichier": SimpleUploadedFile(nom, contenu)},
    )
    assert reponse.status_code == 302, reponse.content.decode()[-2000:]
    document = Document.objects.get()
    assert document.origine == "depose" and document.titre == "CV" and document.nom_fichier == nom
    if type_mime:
        assert document.type_mime == type_mime
    with document.fichier.open("rb") as flux:
        assert flux.read() == contenu


@pytest.mark.parametrize(
    "nom,contenu,message",
    [
        ("page.html", b"<html><script>alert(1)</script>", "Type de fichier refusé (.html)"),
        ("faux.pdf", b"<html>pas un pdf</html>", "ne correspond pas à son extension .pdf"),
        ("image.png", PDF_MINI, "ce n&#x27;est pas un PNG valide"),
        ("archive.docx", b"PK\x03\x04" + b"\x00" * 40, "pas un DOCX valide"),
        ("programme.exe", b"MZ\x90\x00", "Type de fichier refusé (.exe)"),
        ("vide.pdf", b"", "Le fichier est vide."),
    ],
)
def test_depot_refuse_avec_message(client, alice, dossier, nom, contenu, message):
    client.force_login(alice)
    reponse = client.post(
        reverse("documents:deposer", args=[dossier.pk]),
        {"type_piece": "justificatif", "fichier": SimpleUploadedFile(nom, contenu)},
    )
    assert reponse.status_code == 400
    assert message in reponse.content.decode()
    assert not Document.objects.exists()


def test_depot_trop_gros_refuse(client, alice, dossier, settings):
    settings.DOCUMENTS_TAILLE_MAX_MO = 1
    client.force_login(alice)
    reponse = client.post(
        reverse("documents:deposer", args=[dossier.pk]),
        {
            "type_piece": "cv",
            "fichier": SimpleUploadedFile("gros.pdf", PDF_MINI + b"0" * (1024 * 1024)),
        },
    )
    assert reponse.status_code == 400
    assert "Le fichier dépasse la taille maximale de 1 Mo." in reponse.content.decode()
    assert not Document.objects.exists()


def test_liste_sans_n_plus_un(
    client, alice, dossier, bilan, organisation, django_assert_num_queries
):
    client.force_login(alice)
    generer(client, dossier, bilan)
    url = reverse("documents:onglet", args=[dossier.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as requetes:
        client.get(url)
    une = len(requetes.captured_queries)
    for _ in range(5):
        generer(client, dossier, bilan)
        client.post(
            reverse("documents:deposer", args=[dossier.pk]),
            {"type_piece": "cv", "fichier": SimpleUploadedFile("cv.pdf", PDF_MINI)},
        )
    autre = DossierFactory(equipe=dossier.equipe, referent=alice)
    assert autre.pk
    with django_assert_num_queries(une):
        client.get(url)
    assert Document.objects.filter(dossier=dossier).count() == 11


def test_regenerer_depuis_l_onglet(client, alice, dossier, bilan, organisation):
    client.force_login(alice)
    generer(client, dossier, bilan)
    document = Document.objects.get()
    page = client.post(
        reverse("documents:regenerer", args=[document.pk]), {"raison": "Phase ajoutée"}, follow=True
    ).content.decode()
    assert "Nouvelle version : Bilan de synthèse (v2)." in page
    assert "Remplacé" in page and "Phase ajoutée" in page
