"""Notification templates: a restricted engine, checked on save, guarded at preview and send."""

import pytest
from django.core import mail
from django.urls import reverse

from evenements.models import EtatAction
from evenements.services import enregistrer_evenement
from notifications import gabarits, rendu
from notifications.admin import ModeleNotificationForm
from notifications.canaux import boite_sms
from notifications.models import ModeleNotification


def formulaire(types, **champs):
    donnees = {
        "destinataire": "financeur",
        "canal": "email",
        "sujet": "Sujet",
        "corps": "Bonjour",
        "actif": "on",
        "delai_tolere_jours": 0,
        "ordre": 1,
        **champs,
    }
    return ModeleNotificationForm(
        data=donnees, instance=ModeleNotification(type_evenement=types["entree"])
    )


@pytest.mark.parametrize(
    "corps, extrait",
    [
        ('{% include "base.html" %}', "la balise « include » n'est pas permise"),
        ('{% extends "base.html" %}', "la balise « extends » n'est pas permise"),
        ("{% url 'admin:index' %}", "la balise « url » n'est pas permise"),
        ("{% load static %}", "la balise « load » n'est pas permise"),
        ("{% debug %}", "la balise « debug » n'est pas permise"),
        ("{% lorem 9999 w %}", "la balise « lorem » n'est pas permise"),
        ("{% csrf_token %}", "la balise « csrf_token » n'est pas permise"),
        ("{{ 1|divisibleby:0 }}", "le filtre « divisibleby » n'est pas permis"),
        ('{{ beneficiaire.nom|ljust:"999999999" }}', "le filtre « ljust » n'est pas permis"),
        ("{{ prestation.nom|safe }}", "le filtre « safe » n'est pas permis"),
        ("Bonjour {{ beneficiare.prenom }}", "Variable inconnue : {{ beneficiare.prenom }}"),
        (
            "{% if evenement.motif %}{{ evenement.motiff }}{% endif %}",
            "Variable inconnue : {{ evenement.motiff }}",
        ),
        (
            "{% for a in beneficiaire.nom %}{% for b in beneficiaire.nom %}"
            "{% for c in beneficiaire.nom %}x{% endfor %}{% endfor %}{% endfor %}",
            "pas plus de 2 boucles",
        ),
    ],
)
def test_gabarit_dangereux_refuse_a_l_enregistrement(types, corps, extrait):
    form = formulaire(types, corps=corps)
    assert not form.is_valid()
    assert extrait in form.errors["corps"][0]


def test_gabarit_utile_accepte(types):
    corps = (
        "Bonjour {{ beneficiaire.prenom|capfirst }},\n"
        "{% if evenement.motif %}Motif : {{ evenement.motif|lower }}{% endif %}"
        "{% firstof dossier.phase 'sans phase' %} {% now 'Y' %}"
    )
    assert formulaire(types, corps=corps).is_valid()


def test_le_texte_n_est_jamais_echappe():
    donnees = {**rendu.EXEMPLE, "beneficiaire": {"prenom": '<Zoé> & "Jo" O\'Brien'}}
    texte = rendu.rendre(
        "{{ prestation.nom }} — {{ beneficiaire.prenom }}{% if 1 %} l'été{% endif %}", donnees
    )
    assert texte == "Accompagnement vers l'emploi — <Zoé> & \"Jo\" O'Brien l'été"


def test_le_moteur_sait_aussi_echapper_pour_du_html():
    """What documents will need: the same engine, escaping on request."""
    source = "<p>{{ nom }}</p>"
    gabarits.verifier(source, [{"nom": "x"}], autoescape=True)
    assert gabarits.rendre(source, {"nom": "<b>l'été</b>"}, autoescape=True) == (
        "<p>&lt;b&gt;l&#x27;été&lt;/b&gt;</p>"
    )


def test_email_et_sms_en_texte_brut(django_capture_on_commit_callbacks, settings, dossier, types):
    settings.SMS_BACKEND = "memoire"
    boite_sms.clear()
    dossier.beneficiaire.consentement_sms = True
    dossier.beneficiaire.mobile = "+33612345678"
    dossier.beneficiaire.save()
    ModeleNotification.objects.create(
        type_evenement=types["entree"],
        destinataire="beneficiaire",
        canal="sms",
        corps="Parcours « {{ prestation.nom }} » : c'est parti !",
    )
    with django_capture_on_commit_callbacks(execute=True):
        enregistrer_evenement(
            dossier=dossier,
            type_evenement=types["entree"],
            auteur=dossier.referent,
            commentaire="Objectifs d'été",
        )
    corps = [m.body for m in mail.outbox]
    assert any("« Accompagnement vers l'emploi »" in c for c in corps)
    assert any("Commentaire : Objectifs d'été" in c for c in corps)
    assert not any("&#x27;" in c or "&amp;" in c for c in corps)
    assert [m.corps for m in boite_sms] == [
        "Parcours « Accompagnement vers l'emploi » : c'est parti !"
    ]


@pytest.fixture
def gabarit_casse(types):
    """Saved before the check existed (or straight into the database)."""
    return ModeleNotification.objects.create(
        type_evenement=types["entree"],
        destinataire="referent",
        canal="email",
        sujet="Sujet",
        corps='{% include "base.html" %}',
    )


def test_apercu_d_un_gabarit_casse_sans_erreur_500(client, administrateur, types, gabarit_casse):
    client.force_login(administrateur)
    url = reverse("admin:evenements_typeevenement_change", args=[types["entree"].pk])
    reponse = client.get(url)
    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert "Aperçu impossible" in page
    assert "la balise « include » n&#x27;est pas permise" in page


def test_envoi_d_un_gabarit_casse_echoue_avec_la_raison(
    django_capture_on_commit_callbacks, dossier, types, gabarit_casse
):
    with django_capture_on_commit_callbacks(execute=True):
        entree = enregistrer_evenement(
            dossier=dossier, type_evenement=types["entree"], auteur=dossier.referent
        )
    action = entree.actions.get(configuration=gabarit_casse)
    assert action.etat == EtatAction.ECHEC
    assert "la balise « include » n'est pas permise" in action.derniere_erreur
    # the other notifications of the event went out
    autres = entree.actions.exclude(configuration=gabarit_casse)
    assert {a.etat for a in autres} == {EtatAction.EXECUTEE}


def test_les_gabarits_par_defaut_passent_la_verification():
    from notifications.referentiel import DEFAUTS

    for _code, _destinataire, _liee, _delai, sujet, corps in DEFAUTS:
        rendu.verifier(sujet)  # raises GabaritInvalide
        rendu.verifier(corps)
        # What the recipient reads: the sample's names, never escaped.
        assert "&#x27;" not in rendu.rendre(corps, rendu.EXEMPLE)
        assert rendu.rendre(corps, rendu.EXEMPLE).strip()
