"""Generation by the pipeline (Sortie positive), numbering, versions, corrections."""

import hashlib
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from documents import selectors, services
from documents.models import Compteur, Document, ModeleDocument
from evenements import pipeline
from evenements.models import EtatAction
from evenements.services import modifier_evenement, supprimer_evenement
from notifications.models import Envoi
from tests.conftest import jours
from tests.factories import DossierFactory


def texte(document: Document) -> str:
    with document.fichier.open("rb") as flux:
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(flux.read())).pages)


@pytest.fixture
def sorti(saisir, dossier, organisation, aujourd_hui):
    saisir(dossier, "entree", date=aujourd_hui - jours(30))
    return saisir(dossier, "sortie-positive", commentaire="CDI chez Bâtir & Fils")


def test_sortie_positive_genere_attestation_et_certificat_envoyes(sorti, dossier):
    documents = {d.modele.code: d for d in Document.objects.filter(dossier=dossier)}
    assert set(documents) == {"attestation-fin-formation", "certificat-realisation"}
    attestation = documents["attestation-fin-formation"]
    assert attestation.numero.startswith("ATT-") and attestation.numero.endswith("-00001")
    assert attestation.evenement == sorti and attestation.cree_par.username == "alice"
    with attestation.fichier.open("rb") as flux:
        assert hashlib.sha256(flux.read()).hexdigest() == attestation.sha256
    # The bénéficiaire received both PDFs, each in its own e-mail, logged as Envoi rows.
    recus = [m for m in mail.outbox if dossier.beneficiaire.email in m.to and m.attachments]
    assert sorted(m.attachments[0][0].split("-")[0] for m in recus) == ["attestation", "certificat"]
    assert all(m.attachments[0][2] == "application/pdf" for m in recus)
    assert all(m.attachments[0][1][:5] == b"%PDF-" for m in recus)
    envois = Envoi.objects.filter(action__evenement=sorti, pieces_jointes__isnull=False)
    assert {e.pieces_jointes[0]["nom"] for e in envois if e.pieces_jointes} == {
        d.nom_fichier for d in documents.values()
    }
    actions = sorti.actions.filter(configuration__nature="document")
    assert {a.etat for a in actions} == {EtatAction.EXECUTEE}
    assert all("envoyé à" in a.resultat for a in actions)


def test_les_numeros_se_suivent_sans_trou_par_serie(saisir, organisation, alice, aujourd_hui):
    for _ in range(3):
        dossier = DossierFactory(equipe=alice.equipes.first(), referent=alice)
        saisir(dossier, "entree", date=aujourd_hui - jours(3))
        saisir(dossier, "sortie-positive")
    numeros = sorted(Document.objects.filter(serie="CER").values_list("rang", flat=True))
    assert numeros == [1, 2, 3]
    assert Compteur.objects.get(serie="ATT").dernier == 3


def test_un_rendu_en_echec_rend_son_numero_et_ne_laisse_aucun_fichier(
    saisir,
    dossier,
    organisation,
    aujourd_hui,
    medias,
    monkeypatch,
    rose,
    django_capture_on_commit_callbacks,
):
    def casse(*args, **kwargs):
        raise RuntimeError("Pango absent")

    monkeypatch.setattr(services.rendu, "rendre_pdf", casse)
    saisir(dossier, "entree", date=aujourd_hui - jours(3))
    sortie = saisir(dossier, "sortie-positive")
    action = sortie.actions.filter(configuration__nature="document").first()
    assert action.etat == EtatAction.ECHEC
    assert "n'a pas pu être produit : Pango absent" in action.derniere_erreur
    assert not Document.objects.exists()
    assert not any(p.is_file() for p in medias.rglob("*"))
    assert not Compteur.objects.filter(dernier__gt=0).exists()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.relancer(action=action, par=rose)
    action.refresh_from_db()
    assert action.etat == EtatAction.EXECUTEE
    assert Document.objects.get(action=action).rang == 1


def test_executer_deux_fois_ne_genere_qu_un_document(sorti):
    action = sorti.actions.filter(configuration__nature="document").first()
    action.__class__.objects.filter(pk=action.pk).update(etat=EtatAction.A_EXECUTER)
    envoyes = len(mail.outbox)
    pipeline.executer(action.pk)
    assert Document.objects.filter(action=action).count() == 1
    assert len(mail.outbox) == envoyes


def test_supprimer_la_sortie_met_les_documents_a_revoir_puis_les_annule(
    sorti, rose, django_capture_on_commit_callbacks
):
    supprimer_evenement(evenement=sorti, par=rose, raison="Saisie sur le mauvais dossier")
    actions = sorti.actions.filter(configuration__nature="document")
    assert {a.etat for a in actions} == {EtatAction.A_REVOIR}
    assert all(a.compensation.startswith("Annuler le document") for a in actions)
    assert {d.etat for d in selectors.documents_du_dossier(sorti.dossier)} == {"a_revoir"}
    avant = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        for action in actions:
            pipeline.compenser(action=action, par=rose)
    assert {d.etat for d in selectors.documents_du_dossier(sorti.dossier)} == {"annule"}
    annonces = mail.outbox[avant:]
    assert len(annonces) == 2 and all(m.subject.startswith("Annulation") for m in annonces)
    assert all(not m.attachments for m in annonces)


def test_modifier_la_sortie_propose_une_nouvelle_version(
    sorti, rose, django_capture_on_commit_callbacks, aujourd_hui
):
    modifier_evenement(
        evenement=sorti,
        par=rose,
        type_evenement=sorti.type_evenement,
        date=aujourd_hui - jours(1),
        commentaire=sorti.commentaire,
        raison="Date corrigée",
    )
    action = sorti.actions.get(
        configuration__generationdocument__modele__code="attestation-fin-formation",
        corrige__isnull=True,
    )
    assert action.etat == EtatAction.A_REVOIR
    assert action.compensation.startswith("Régénérer le document")
    with django_capture_on_commit_callbacks(execute=True):
        correction = pipeline.compenser(action=action, par=rose)
    correction.refresh_from_db()
    assert correction.etat == EtatAction.EXECUTEE, correction.derniere_erreur
    ancien = Document.objects.get(action=action)
    nouveau = Document.objects.get(action=correction)
    assert (nouveau.version, nouveau.remplace, nouveau.numero) == (2, ancien, ancien.numero)
    assert "Correction de l'événement" in nouveau.raison
    from documents.templatetags.documents_fr import date_fr

    assert f"au {date_fr(aujourd_hui - jours(1))}" in texte(nouveau)
    assert ancien.fichier.name != nouveau.fichier.name and ancien.fichier.storage.exists(
        ancien.fichier.name
    )
    envoye = mail.outbox[-1]
    assert envoye.attachments[0][0] == nouveau.nom_fichier
    assert "version 2 remplace la précédente" in envoye.body


def test_regenerer_demande_une_raison_et_garde_l_ancienne(sorti, alice):
    document = Document.objects.get(modele__code="attestation-fin-formation")
    with pytest.raises(ValidationError) as erreur:
        services.regenerer_document(document=document, par=alice, raison=" ")
    assert erreur.value.message_dict == {"raison": ["Indiquez la raison de la nouvelle version."]}
    nouveau = services.regenerer_document(document=document, par=alice, raison="Nom corrigé")
    assert nouveau.version == 2 and nouveau.numero == document.numero
    with pytest.raises(ValidationError):
        services.regenerer_document(document=document, par=alice, raison="Encore")
    etats = {d.pk: d.etat for d in selectors.documents_du_dossier(document.dossier)}
    assert etats[document.pk] == "remplace" and etats[nouveau.pk] == "valide"


def test_modele_avec_erreur_de_syntaxe_refuse_avec_la_ligne():
    modele = ModeleDocument(code="x", titre="X", corps="<p>a</p>\n<p>{% for %}</p>")
    with pytest.raises(ValidationError) as erreur:
        modele.full_clean()
    assert "ligne 2" in erreur.value.message_dict["corps"][0]
    with pytest.raises(ValidationError):
        modele.save()
    assert not ModeleDocument.objects.filter(code="x").exists()


def test_modifier_le_corps_cree_une_version(db):
    modele = ModeleDocument.objects.get(code="bilan-synthese")
    modele.titre = "Bilan"
    modele.save()
    assert modele.version == 1
    modele.corps += "<p>Ajout</p>"
    modele.save()
    assert modele.version == 2
    assert modele.history.filter(version=1).exists()


def test_conseiller_d_une_autre_equipe_ne_genere_pas(dossier, charlie, organisation):
    from django.core.exceptions import PermissionDenied

    modele = ModeleDocument.objects.get(code="bilan-synthese")
    with pytest.raises(PermissionDenied):
        services.generer_document(modele=modele, dossier=dossier, par=charlie)


def test_un_gabarit_qui_echoue_au_rendu_met_l_action_en_echec(
    saisir, dossier, types, organisation, medias
):
    from documents.models import GenerationDocument

    modele = ModeleDocument.objects.create(
        code="casse", titre="Cassé", corps="<p>{% for x in 5 %}{{ x }}{% endfor %}</p>", serie="CAS"
    )
    GenerationDocument.objects.create(type_evenement=types["entree"], modele=modele)
    entree = saisir(dossier, "entree")
    action = entree.actions.get(configuration__nature="document")
    assert action.etat == EtatAction.ECHEC
    assert "Le modèle « Cassé » n'a pas pu être rendu" in action.derniere_erreur
    assert not Document.objects.exists()
    assert not any(p.is_file() for p in medias.rglob("*"))
    assert not Compteur.objects.filter(serie="CAS", dernier__gt=0).exists()
