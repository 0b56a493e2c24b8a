"""Émargement: signatures on the tablet and through a personal link; integrity refusals."""

import base64
import datetime
import hashlib
import io
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from notifications import canaux
from seances import services
from seances.emargement import depuis_data_url, image_verifiee
from seances.models import Emargement, JetonEmargement
from tests.conftest import jours
from tests.seances.conftest import png_signature

H = datetime.time


def data_url(contenu: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(contenu).decode()


@pytest.fixture
def seance_validee(planifier, valider, dossier, autre_dossier, aujourd_hui):
    seance = planifier([dossier, autre_dossier], aujourd_hui - jours(1), debut=H(9), fin=H(17))
    valider(seance, **{f"d{autre_dossier.pk}": "absent_justifie"})
    return seance


def _lien_envoye(participation, alice, django_capture_on_commit_callbacks, canal="email"):
    with django_capture_on_commit_callbacks(execute=True):
        return services.envoyer_lien(
            participation=participation, demi_journee="matin", canal=canal, par=alice
        )


def test_seance_sur_la_journee_demande_deux_demi_journees(seance_validee, settings):
    assert seance_validee.demi_journees() == ["matin", "apres_midi"]
    settings.EMARGEMENT_COUPURE = "18:00"
    assert seance_validee.demi_journees() == ["matin"]


def test_signature_sur_tablette_garde_empreinte_ip_et_navigateur(
    seance_validee, dossier, alice, signature
):
    participation = seance_validee.participations.get(dossier=dossier)
    emargement = services.signer_sur_place(
        seance=seance_validee,
        participation=participation,
        demi_journee="matin",
        image=signature,
        par=alice,
        adresse_ip="192.0.2.4",
        agent="Tablette",
    )
    assert emargement.empreinte == hashlib.sha256(signature).hexdigest()
    assert emargement.image.read() == signature
    assert (emargement.adresse_ip, emargement.agent_utilisateur) == ("192.0.2.4", "Tablette")
    assert emargement.signataire == str(dossier.beneficiaire) and emargement.mode == "tablette"


def test_un_creneau_signe_ne_se_remplace_pas(seance_validee, dossier, alice, signature):
    participation = seance_validee.participations.get(dossier=dossier)
    premiere = services.signer_sur_place(
        seance=seance_validee,
        participation=participation,
        demi_journee="matin",
        image=signature,
        par=alice,
    )
    with pytest.raises(ValidationError, match="déjà signé"):
        services.signer_sur_place(
            seance=seance_validee,
            participation=participation,
            demi_journee="matin",
            image=png_signature(250, 100),
            par=alice,
        )
    with pytest.raises(ValidationError, match="ne peut pas être modifiée"):
        premiere.signataire = "Autre"
        premiere.save()
    correction = services.corriger_emargement(
        emargement=premiere,
        par=alice,
        raison="Signature mal placée",
        image=png_signature(250, 100),
    )
    assert correction.corrige == premiere and correction.raison_correction
    premiere.refresh_from_db()
    assert premiere.signataire == str(dossier.beneficiaire)  # the original is intact


def test_pas_de_signature_avant_validation(planifier, dossier, alice, aujourd_hui, signature):
    seance = planifier([dossier], aujourd_hui)
    with pytest.raises(ValidationError, match="qu'après sa validation"):
        services.signer_sur_place(
            seance=seance,
            participation=seance.participations.get(),
            demi_journee="matin",
            image=signature,
            par=alice,
        )
    assert not Emargement.objects.exists()


def test_absent_ne_signe_pas(seance_validee, autre_dossier, alice, signature):
    with pytest.raises(ValidationError, match="Seul un bénéficiaire présent"):
        services.signer_sur_place(
            seance=seance_validee,
            participation=seance_validee.participations.get(dossier=autre_dossier),
            demi_journee="matin",
            image=signature,
            par=alice,
        )


@pytest.mark.parametrize(
    "contenu, message",
    [
        (b"pas une image", "n'est pas une image valide"),
        (png_signature(3000, 200), "dimensions"),
        (png_signature(300, 120)[:60], "n'est pas une image valide"),
    ],
)
def test_images_verifiees(contenu, message):
    with pytest.raises(ValidationError, match=message):
        image_verifiee(contenu)


def test_image_vide_ou_trop_lourde(settings):
    tampon = io.BytesIO()
    Image.new("RGBA", (300, 120), (0, 0, 0, 0)).save(tampon, format="PNG")
    with pytest.raises(ValidationError, match="La signature est vide"):
        image_verifiee(tampon.getvalue())
    settings.EMARGEMENT_IMAGE_MAX_OCTETS = 100
    with pytest.raises(ValidationError, match="trop lourde"):
        image_verifiee(png_signature())
    with pytest.raises(ValidationError, match="trop lourde"):
        depuis_data_url(data_url(png_signature()))
    with pytest.raises(ValidationError, match="image PNG"):
        depuis_data_url("data:image/svg+xml;base64,PHN2Zz4=")


def test_lien_envoye_par_email_et_signature_a_distance(
    client, seance_validee, dossier, alice, signature, django_capture_on_commit_callbacks
):
    participation = seance_validee.participations.get(dossier=dossier)
    jeton = _lien_envoye(participation, alice, django_capture_on_commit_callbacks)
    jeton.refresh_from_db()
    assert jeton.etat_envoi == JetonEmargement.EtatEnvoi.ENVOYE
    message = mail.outbox[-1]
    assert message.to == [dossier.beneficiaire.email]
    chemin = re.search(r"https?://[^/]+(/emargement/\S+/)", message.body).group(1)
    page = client.get(chemin)  # no login
    assert page.status_code == 200 and "Signer ma présence" in page.content.decode()
    reponse = client.post(chemin, {"demi_journee": "matin", "signature": data_url(signature)})
    assert "Votre signature" in reponse.content.decode()
    emargement = Emargement.objects.get()
    assert emargement.mode == "distance" and emargement.recueilli_par is None
    # single use
    encore = client.get(chemin)
    assert encore.status_code == 410
    assert "Ce lien a déjà servi" in encore.content.decode()


def test_lien_expire_ou_autre_creneau_refuses(
    client, seance_validee, dossier, alice, signature, django_capture_on_commit_callbacks
):
    participation = seance_validee.participations.get(dossier=dossier)
    jeton = _lien_envoye(participation, alice, django_capture_on_commit_callbacks)
    chemin = reverse("seances:signer", args=[services.jeton_signe(jeton)])
    reponse = client.post(chemin, {"demi_journee": "apres_midi", "signature": data_url(signature)})
    assert reponse.status_code == 400
    assert "que le créneau pour lequel il a été envoyé" in reponse.content.decode()
    JetonEmargement.objects.filter(pk=jeton.pk).update(
        expire_le=timezone.now() - datetime.timedelta(minutes=1)
    )
    reponse = client.get(chemin)
    assert reponse.status_code == 410 and "Ce lien a expiré" in reponse.content.decode()
    assert client.get(chemin[:-5] + "xxxx/").status_code == 410
    assert not Emargement.objects.exists()


def test_lien_par_sms(settings, seance_validee, dossier, alice, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "memoire"
    canaux.boite_sms.clear()
    dossier.beneficiaire.mobile = "+33612345678"
    dossier.beneficiaire.consentement_sms = True
    dossier.beneficiaire.save()
    participation = seance_validee.participations.select_related("dossier__beneficiaire").get(
        dossier=dossier
    )
    _lien_envoye(participation, alice, django_capture_on_commit_callbacks, canal="sms")
    assert canaux.boite_sms[-1].adresse == "+33612345678"
    assert "/emargement/" in canaux.boite_sms[-1].corps


def test_sms_refuse_sans_consentement(seance_validee, dossier, alice):
    participation = seance_validee.participations.get(dossier=dossier)
    with pytest.raises(ValidationError) as exc:
        services.envoyer_lien(
            participation=participation, demi_journee="matin", canal="sms", par=alice
        )
    assert exc.value.message_dict["canal"] == ["Le bénéficiaire n'a pas de numéro de mobile."]


def test_page_seance_tablette(client, seance_validee, dossier, alice, signature):
    client.force_login(alice)
    participation = seance_validee.participations.get(dossier=dossier)
    url = reverse("seances:signer_tablette", args=[seance_validee.pk, "matin", participation.pk])
    page = client.get(url).content.decode()
    assert "seances/signature.js" in page and "<canvas" in page and "onclick" not in page
    reponse = client.post(url, {"signature": ""})
    assert reponse.status_code == 400 and "Signez dans le cadre" in reponse.content.decode()
    assert client.post(url, {"signature": data_url(signature)}).status_code == 302
    detail = client.get(reverse("seances:detail", args=[seance_validee.pk])).content.decode()
    assert "signé" in detail


def test_correction_d_une_signature_par_la_page(
    client, seance_validee, dossier, alice, bob, signature
):
    participation = seance_validee.participations.get(dossier=dossier)
    originale = services.signer_sur_place(
        seance=seance_validee,
        participation=participation,
        demi_journee="matin",
        image=signature,
        par=alice,
    )
    url = reverse("seances:corriger_signature", args=[seance_validee.pk, originale.pk])
    client.force_login(bob)  # neither the animateur nor a responsable
    assert client.get(url).status_code == 403
    client.force_login(alice)
    reponse = client.post(url, {"signature": data_url(png_signature(250, 90)), "raison": ""})
    assert reponse.status_code == 400 and "Ce champ est obligatoire." in reponse.content.decode()
    client.post(url, {"signature": data_url(png_signature(250, 90)), "raison": "Tracé raté"})
    correction = Emargement.objects.get(corrige=originale)
    assert correction.raison_correction == "Tracé raté"
    assert Emargement.objects.get(pk=originale.pk).empreinte == originale.empreinte
    page = client.get(reverse("seances:detail", args=[seance_validee.pk])).content.decode()
    assert "correction : Tracé raté" in page


def test_page_seance_etat_du_lien_et_requetes_constantes(
    client,
    seance_validee,
    dossier,
    autre_dossier,
    alice,
    signature,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(alice)
    url = reverse("seances:detail", args=[seance_validee.pk])
    with CaptureQueriesContext(connection) as avant:
        client.get(url)
    participation = seance_validee.participations.get(dossier=dossier)
    _lien_envoye(participation, alice, django_capture_on_commit_callbacks)
    for demi_journee in ("matin", "apres_midi"):
        services.signer_sur_place(
            seance=seance_validee,
            participation=None,
            demi_journee=demi_journee,
            image=signature,
            par=alice,
        )
    with django_assert_num_queries(len(avant.captured_queries)):
        page = client.get(url).content.decode()
    assert "Lien E-mail du" in page and "envoyé" in page


def test_lien_refuse_si_la_presence_a_ete_corrigee_en_absence(
    client, seance_validee, dossier, alice, signature, django_capture_on_commit_callbacks
):
    participation = seance_validee.participations.get(dossier=dossier)
    jeton = _lien_envoye(participation, alice, django_capture_on_commit_callbacks)
    services.corriger_seance(
        seance=seance_validee,
        par=alice,
        raison="Il n'était pas là",
        presences={
            p.pk: services.SaisiePresence(
                "absent_non_justifie" if p == participation else p.presence
            )
            for p in seance_validee.participations.all()
        },
    )
    chemin = reverse("seances:signer", args=[services.jeton_signe(jeton)])
    reponse = client.post(chemin, {"demi_journee": "matin", "signature": data_url(signature)})
    assert reponse.status_code == 400
    assert "pas enregistrée : contactez votre conseiller" in reponse.content.decode()
    assert not Emargement.objects.exists()
