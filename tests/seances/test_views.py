"""Séances in the UI: tab, séance page, forms, agenda, résumé card; rights and query counts."""

import datetime

import pytest
from django.urls import reverse

from dossiers.models import Statut
from seances.models import EtatSeance, Presence
from tests.conftest import jours
from tests.factories import BeneficiaireFactory, DossierFactory

H = datetime.time


@pytest.fixture
def connecte(client, alice):
    client.force_login(alice)
    return client


def test_onglet_seances_liste_prevu_et_realise(connecte, planifier, valider, dossier, aujourd_hui):
    passee = planifier([dossier], aujourd_hui - jours(1))
    valider(passee, **{f"d{dossier.pk}": (Presence.PRESENT, 30, 0)})
    planifier([dossier], aujourd_hui + jours(3))
    reponse = connecte.get(reverse("seances:onglet", args=[dossier.pk]))
    assert reponse.status_code == 200
    contenu = reponse.content.decode()
    assert "+ Nouvelle séance" in contenu
    assert 'id="heures-prevues">6,00 h' in contenu
    assert 'id="heures-realisees">2,50 h' in contenu
    assert 'id="taux-presence">83 %' in contenu
    assert "Temps conseiller" in contenu
    assert reponse.context["onglet"] == "seances"


def test_onglet_nombre_de_requetes_constant(
    connecte, planifier, valider, dossier, autre_dossier, aujourd_hui, django_assert_num_queries
):
    def requetes():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as contexte:
            assert connecte.get(reverse("seances:onglet", args=[dossier.pk])).status_code == 200
        return len(contexte.captured_queries)

    planifier([dossier, autre_dossier], aujourd_hui - jours(1))
    avant = requetes()
    for n in range(2, 12):
        seance = planifier([dossier, autre_dossier], aujourd_hui - jours(n))
        valider(seance)
    with django_assert_num_queries(avant):
        connecte.get(reverse("seances:onglet", args=[dossier.pk]))


def test_autre_equipe_recoit_404(client, charlie, planifier, dossier, aujourd_hui):
    seance = planifier([dossier], aujourd_hui)
    client.force_login(charlie)
    assert client.get(reverse("seances:onglet", args=[dossier.pk])).status_code == 404
    assert client.get(reverse("seances:detail", args=[seance.pk])).status_code == 404


def test_creer_une_seance_collective_par_le_formulaire(
    connecte, dossier, autre_dossier, atelier, alice, aujourd_hui
):
    reponse = connecte.post(
        reverse("seances:nouvelle", args=[dossier.pk]),
        {
            "type_seance": atelier.pk,
            "date": aujourd_hui.isoformat(),
            "heure_debut": "09:00",
            "heure_fin": "12:00",
            "lieu": "Salle 1",
            "animateur": alice.pk,
            "autres_dossiers": [autre_dossier.pk],
        },
    )
    seance = dossier.participations.get().seance
    assert reponse.status_code == 302 and reponse.url == reverse("seances:detail", args=[seance.pk])
    assert seance.participations.count() == 2


def test_fin_avant_debut_message_a_cote_du_champ(connecte, dossier, atelier, alice, aujourd_hui):
    reponse = connecte.post(
        reverse("seances:nouvelle", args=[dossier.pk]),
        {
            "type_seance": atelier.pk,
            "date": aujourd_hui.isoformat(),
            "heure_debut": "14:00",
            "heure_fin": "13:00",
            "lieu": "Salle 1",
            "animateur": alice.pk,
        },
    )
    assert reponse.status_code == 200
    assert reponse.context["form"].errors["heure_fin"] == [
        "L'heure de fin doit être après l'heure de début."
    ]
    assert not dossier.participations.exists()


def test_valider_avec_presences_dans_un_formulaire(
    connecte, planifier, dossier, autre_dossier, aujourd_hui
):
    seance = planifier([dossier, autre_dossier], aujourd_hui)
    p1 = seance.participations.get(dossier=dossier)
    p2 = seance.participations.get(dossier=autre_dossier)
    reponse = connecte.post(
        reverse("seances:valider", args=[seance.pk]),
        {
            f"presence-{p1.pk}": "present",
            f"retard-{p1.pk}": "10",
            f"presence-{p2.pk}": "absent_non_justifie",
            f"motif-{p2.pk}": "Pas prévenu",
        },
    )
    assert reponse.status_code == 302
    seance.refresh_from_db()
    p2.refresh_from_db()
    assert seance.etat == EtatSeance.REALISEE
    assert (p2.presence, p2.motif) == ("absent_non_justifie", "Pas prévenu")


def test_premiere_seance_propose_l_entree_en_un_clic(connecte, planifier, dossier, aujourd_hui):
    seance = planifier([dossier], aujourd_hui - jours(2))
    p = seance.participations.get()
    connecte.post(reverse("seances:valider", args=[seance.pk]), {f"presence-{p.pk}": "present"})
    page = connecte.get(reverse("seances:detail", args=[seance.pk])).content.decode()
    assert "Enregistrer l'entrée au" in page
    dossier.refresh_from_db()
    assert dossier.statut == Statut.A_VENIR
    connecte.post(reverse("seances:enregistrer_entree", args=[seance.pk, dossier.pk]))
    dossier.refresh_from_db()
    assert dossier.statut == Statut.EN_COURS and dossier.date_entree == seance.date
    page = connecte.get(reverse("seances:detail", args=[seance.pk])).content.decode()
    assert "Enregistrer l'entrée au" not in page


def test_retard_negatif_et_seance_annulee_messages_francais(
    connecte, planifier, dossier, aujourd_hui
):
    seance = planifier([dossier], aujourd_hui)
    p = seance.participations.get()
    reponse = connecte.post(
        reverse("seances:valider", args=[seance.pk]),
        {f"presence-{p.pk}": "present", f"retard-{p.pk}": "-5"},
    )
    assert reponse.status_code == 400
    assert "supérieure ou égale à 0" in reponse.content.decode()
    reponse = connecte.post(reverse("seances:annuler", args=[seance.pk]), {"motif": ""})
    assert reponse.status_code == 400
    assert "Ce champ est obligatoire." in reponse.content.decode()


def test_validation_en_masse_depuis_l_onglet(connecte, planifier, dossier, aujourd_hui):
    seances = [planifier([dossier], aujourd_hui - jours(n)) for n in (1, 2)]
    reponse = connecte.post(
        reverse("seances:valider_masse", args=[dossier.pk]),
        {"seances": [s.pk for s in seances]},
        follow=True,
    )
    assert "2 séance(s) validée(s)" in reponse.content.decode()
    etats = set(dossier.participations.values_list("seance__etat", flat=True))
    assert etats == {EtatSeance.REALISEE}


def test_seul_l_animateur_ou_un_responsable_voit_la_correction(
    client, planifier, valider, dossier, aujourd_hui, bob, rose
):
    seance = planifier([dossier], aujourd_hui)
    valider(seance)
    client.force_login(bob)
    page = client.get(reverse("seances:detail", args=[seance.pk])).content.decode()
    assert "Corriger la séance validée" not in page
    p = seance.participations.get()
    assert (
        client.post(
            reverse("seances:corriger", args=[seance.pk]),
            {f"presence-{p.pk}": "excuse", "raison": "x"},
        ).status_code
        == 403
    )
    client.force_login(rose)
    reponse = client.post(
        reverse("seances:corriger", args=[seance.pk]),
        {f"presence-{p.pk}": "excuse", "raison": "Justificatif reçu"},
    )
    assert reponse.status_code == 302
    p.refresh_from_db()
    assert p.presence == Presence.EXCUSE


def test_agenda_de_la_semaine_et_navigation_htmx(
    connecte, planifier, dossier, autre_dossier, aujourd_hui, django_assert_num_queries
):
    lundi = aujourd_hui - datetime.timedelta(days=aujourd_hui.weekday())
    planifier([dossier, autre_dossier], lundi + jours(1))
    planifier([dossier], lundi + jours(3), debut=H(14), fin=H(16))
    planifier([dossier], lundi + jours(8))  # next week
    reponse = connecte.get(reverse("seances:agenda"))
    contenu = reponse.content.decode()
    assert contenu.count('class="seance prevue"') == 2
    assert str(dossier.beneficiaire) in contenu
    suivante = connecte.get(
        reverse("seances:agenda"),
        {"semaine": (lundi + jours(7)).isoformat()},
        HTTP_HX_REQUEST="true",
    )
    assert "<html" not in suivante.content.decode()
    assert suivante.content.decode().count('class="seance prevue"') == 1
    for n in range(5):
        planifier([dossier], lundi + jours(2), debut=H(8 + 2 * n), fin=H(9 + 2 * n))
    with django_assert_num_queries(_requetes_agenda(connecte)):
        connecte.get(reverse("seances:agenda"))


def _requetes_agenda(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as contexte:
        client.get(reverse("seances:agenda"))
    return len(contexte.captured_queries)


def test_agenda_requetes_constantes(
    connecte, planifier, dossier, aujourd_hui, django_assert_num_queries
):
    lundi = aujourd_hui - datetime.timedelta(days=aujourd_hui.weekday())
    planifier([dossier], lundi)
    avant = _requetes_agenda(connecte)
    for n in range(1, 7):
        autre = DossierFactory(
            prestation=dossier.prestation,
            equipe=dossier.equipe,
            referent=dossier.referent,
            beneficiaire=BeneficiaireFactory(),
        )
        planifier([dossier, autre], lundi + jours(n % 7), debut=H(13), fin=H(14))
    with django_assert_num_queries(avant):
        reponse = connecte.get(reverse("seances:agenda"))
    assert reponse.content.decode().count("13:00") >= 6  # every séance of the week shown


def test_resume_montre_les_heures_et_le_graphique(
    connecte, planifier, valider, dossier, types, alice, aujourd_hui
):
    from evenements.services import enregistrer_evenement

    enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(5)
    )
    phase = dossier.prestation.phases.first()
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["changement-phase"],
        auteur=alice,
        date=aujourd_hui - jours(5),
        valeurs={"nouvelle_phase": phase.pk},
    )
    valider(planifier([dossier], aujourd_hui - jours(1)), **{f"d{dossier.pk}": "absent_justifie"})
    valider(planifier([dossier], aujourd_hui - jours(2)))
    contenu = connecte.get(reverse("dossiers:resume", args=[dossier.pk])).content.decode()
    assert 'id="resume-heures-realisees">3,00 h' in contenu
    assert 'id="resume-taux-presence">50 %' in contenu
    assert "<svg" in contenu and f"{phase.libelle} : 3,00 h réalisées" in contenu
    assert 'id="indicateurs-par-phase"' in contenu


def test_modifier_une_seance_prevue_garde_l_historique(
    connecte, planifier, valider, dossier, alice, aujourd_hui
):
    seance = planifier([dossier], aujourd_hui + jours(2))
    url = reverse("seances:modifier", args=[seance.pk])
    donnees = {
        "date": (aujourd_hui + jours(3)).isoformat(),
        "heure_debut": "14:00",
        "heure_fin": "13:30",
        "lieu": "Salle 2",
        "animateur": alice.pk,
    }
    reponse = connecte.post(url, donnees)
    assert reponse.status_code == 200
    assert reponse.context["form"].errors["heure_fin"] == [
        "L'heure de fin doit être après l'heure de début."
    ]
    donnees["heure_fin"] = "16:00"
    assert connecte.post(url, donnees).status_code == 302
    seance.refresh_from_db()
    assert (seance.date, seance.duree_minutes, seance.lieu) == (
        aujourd_hui + jours(3),
        120,
        "Salle 2",
    )
    assert seance.history.count() == 2 and seance.history.first().history_change_reason == (
        "Modification"
    )
    passee = planifier([dossier], aujourd_hui)
    valider(passee)
    reponse = connecte.get(reverse("seances:modifier", args=[passee.pk]), follow=True)
    assert "Seule une séance prévue se modifie." in reponse.content.decode()


def test_justificatif_verifie_a_l_envoi_et_lu_par_les_droits_du_dossier(
    settings, tmp_path, client, connecte, planifier, dossier, charlie, aujourd_hui
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    seance = planifier([dossier], aujourd_hui)
    p = seance.participations.get()
    url = reverse("seances:valider", args=[seance.pk])
    faux = SimpleUploadedFile("certificat.pdf", b"MZ\x90\x00 not a pdf")
    reponse = connecte.post(
        url, {f"presence-{p.pk}": "absent_justifie", f"justificatif-{p.pk}": faux}
    )
    assert reponse.status_code == 400
    assert "pas un PDF valide" in reponse.content.decode()
    seance.refresh_from_db()
    assert seance.etat == EtatSeance.PREVUE  # nothing saved

    pdf = b"%PDF-1.4\n% certificat medical\n"
    vrai = SimpleUploadedFile("certificat.pdf", pdf)
    reponse = connecte.post(
        url, {f"presence-{p.pk}": "absent_justifie", f"justificatif-{p.pk}": vrai}
    )
    assert reponse.status_code == 302
    page = connecte.get(reverse("seances:detail", args=[seance.pk])).content.decode()
    lien = reverse("seances:justificatif", args=[p.pk])
    assert f'href="{lien}"' in page and "/media/" not in page
    fichier = connecte.get(lien)
    assert fichier["Content-Type"] == "application/pdf"
    assert fichier["Content-Disposition"].startswith("attachment")
    assert b"".join(fichier.streaming_content) == pdf

    client.force_login(charlie)  # another team: as if it did not exist
    assert client.get(lien).status_code == 404
