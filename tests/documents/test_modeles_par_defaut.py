"""Every default template rendered for a dossier with real séances and signatures, parsed
back with pypdf: bénéficiaire, dates, hours done, legal mentions, signature images."""

import datetime
import io

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from documents import services
from documents.models import MENTION_DECLARATION, Document, ModeleDocument
from documents.referentiel import MODELES
from documents.templatetags.documents_fr import date_fr, heures
from seances import selectors as seances_selectors
from seances import services as seances_services
from seances.models import Presence
from seances.services import SaisiePresence
from tests.conftest import jours
from tests.factories import BeneficiaireFactory, DossierFactory, TypeSeanceFactory

H = datetime.time


def png_signature() -> bytes:
    image = Image.new("RGBA", (300, 120), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 100), (80, 20), (160, 90), (280, 30)], fill="black", width=3)
    tampon = io.BytesIO()
    image.save(tampon, format="PNG")
    return tampon.getvalue()


def lire(document: Document) -> tuple[str, PdfReader]:
    with document.fichier.open("rb") as flux:
        lecteur = PdfReader(io.BytesIO(flux.read()))
    return "\n".join(p.extract_text() for p in lecteur.pages), lecteur


def images(lecteur: PdfReader) -> int:
    return sum(len(page.images) for page in lecteur.pages)


@pytest.fixture
def parcours(saisir, dossier, alice, organisation, aujourd_hui):
    """Entered 30 days ago; a collective day (9:00–16:00) signed in the morning only, with
    30 min late; a morning séance where the bénéficiaire was absent; then a positive exit."""
    autre = DossierFactory(
        prestation=dossier.prestation,
        equipe=dossier.equipe,
        referent=alice,
        beneficiaire=BeneficiaireFactory(nom="Durand", prenom="Léa"),
    )
    saisir(dossier, "entree", date=aujourd_hui - jours(30))
    saisir(autre, "entree", date=aujourd_hui - jours(30))
    atelier = TypeSeanceFactory(
        prestation=dossier.prestation, libelle="Atelier CV", collective=True
    )
    journee = seances_services.creer_seance(
        type_seance=atelier,
        date=aujourd_hui - jours(10),
        heure_debut=H(9),
        heure_fin=H(16),
        animateur=alice,
        dossiers=[dossier, autre],
        par=alice,
        lieu="Salle 1",
    ).seance
    p_dossier, p_autre = journee.participations.order_by("pk")
    seances_services.valider_seance(
        seance=journee,
        par=alice,
        presences={
            p_dossier.pk: SaisiePresence(Presence.PRESENT, 30, 0),
            p_autre.pk: SaisiePresence(Presence.ABSENT_JUSTIFIE),
        },
    )
    p_dossier.refresh_from_db()
    for participation in (p_dossier, None):
        seances_services.signer_sur_place(
            seance=journee,
            participation=participation,
            demi_journee="matin",
            image=png_signature(),
            par=alice,
        )
    matinee = seances_services.creer_seance(
        type_seance=atelier,
        date=aujourd_hui - jours(5),
        heure_debut=H(9),
        heure_fin=H(12),
        animateur=alice,
        dossiers=[dossier],
        par=alice,
        lieu="Salle 2",
    ).seance
    (p,) = matinee.participations.all()
    seances_services.valider_seance(
        seance=matinee, par=alice, presences={p.pk: SaisiePresence(Presence.ABSENT_NON_JUSTIFIE)}
    )
    saisir(dossier, "validation-etape", valeurs={"etape": "CV rédigé"})
    saisir(dossier, "sortie-positive")
    dossier.refresh_from_db()
    return {"journee": journee, "matinee": matinee, "autre": autre}


def test_chaque_modele_par_defaut_est_livre():
    assert set(ModeleDocument.objects.values_list("code", flat=True)) == {m[0] for m in MODELES}


@pytest.mark.parametrize(
    "code", ["attestation-fin-formation", "certificat-realisation", "bilan-synthese"]
)
def test_modele_de_dossier_rendu_et_relu(code, parcours, dossier, alice):
    modele = ModeleDocument.objects.get(code=code)
    document = services.generer_document(modele=modele, dossier=dossier, par=alice)
    texte, _ = lire(document)
    plat = " ".join(texte.split())
    beneficiaire = dossier.beneficiaire
    assert beneficiaire.nom.upper() in plat.upper() and beneficiaire.prenom in plat
    assert dossier.prestation.nom in plat
    entree, sortie = dossier.date_entree, dossier.date_sortie
    assert (date_fr(entree) in plat) or (f"{entree:%d/%m/%Y}" in plat)
    assert (date_fr(sortie) in plat) or (f"{sortie:%d/%m/%Y}" in plat)
    # 9:00–16:00 = 7 h, 30 min late: 6,5 h done; the absent morning counts for nothing.
    total = seances_selectors.indicateurs_du_dossier(dossier)["total"]
    assert total.heures_realisees == 6.5
    assert " ".join(heures(total.heures_realisees).split()) in plat.replace("\u00a0", " ")
    assert "84691234569" in plat and MENTION_DECLARATION in plat
    assert "Horizons Formation" in plat


def test_certificat_officiel(parcours, dossier):
    document = Document.objects.get(modele__code="certificat-realisation")
    texte, lecteur = lire(document)
    plat = " ".join(texte.split()).replace("\u00a0", " ")
    assert "CERTIFICAT DE RÉALISATION" in plat
    assert "représentant légal du dispensateur" in plat
    assert "☒ action de formation" in plat and "☐ bilan de compétences" in plat
    assert "pour une durée de 6,5 h réalisées" in plat
    assert "pendant une durée de 3 ans" in plat
    assert document.numero.startswith("CER-")
    assert b"pdfaid" in lecteur.trailer["/Root"]["/Metadata"].get_object().get_data()


def test_feuille_emargement_du_dossier(parcours, dossier, alice):
    modele = ModeleDocument.objects.get(code="emargement-dossier")
    document = services.generer_document(modele=modele, dossier=dossier, par=alice)
    texte, lecteur = lire(document)
    plat = " ".join(texte.split())
    journee, matinee = parcours["journee"], parcours["matinee"]
    # One line per half-day: 10 days ago morning (signed) and afternoon (not signed),
    # 5 days ago morning (absent).
    assert f"{journee.date:%d/%m/%Y} Matin" in plat
    assert f"{journee.date:%d/%m/%Y} Après-midi" in plat
    assert f"{matinee.date:%d/%m/%Y} Matin" in plat
    assert plat.count("absent") == 2
    assert "Absent non justifié" in plat
    # The bénéficiaire's and the animateur's morning signatures are drawn.
    assert images(lecteur) == 2


def test_feuille_emargement_de_la_seance_collective(parcours, alice):
    document = services.generer_feuille_seance(seance=parcours["journee"], par=alice)
    texte, lecteur = lire(document)
    plat = " ".join(texte.split())
    assert "Atelier CV" in plat and "DURAND Léa" in plat
    assert "Matin" in plat and "Après-midi" in plat
    assert images(lecteur) == 2  # one bénéficiaire + the animateur, in the morning
    assert plat.count("absent") == 3  # Léa twice, the other one in the afternoon
    encore = services.generer_feuille_seance(seance=parcours["journee"], par=alice)
    assert (encore.version, encore.remplace) == (2, document)


def test_feuille_de_seance_hors_equipe_refusee(parcours, charlie):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.generer_feuille_seance(seance=parcours["journee"], par=charlie)
