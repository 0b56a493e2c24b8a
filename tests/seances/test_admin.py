"""The admin is the configuration console of séances; séances themselves are read-only there."""

from django.urls import reverse

from evenements.models import TypeEvenement
from seances.models import CalculFinal, TypeSeance


def test_types_de_seance_configurables(client, administrateur, dossier):
    client.force_login(administrateur)
    reponse = client.post(
        reverse("admin:seances_typeseance_add"),
        {
            "prestation": dossier.prestation_id,
            "libelle": "Visite d'entreprise",
            "duree_prevue_minutes": 120,
            "nature": "face_a_face",
            "facturable": "on",
            "emargement_requis": "on",
            "actif": "on",
            "ordre": 5,
        },
    )
    assert reponse.status_code == 302
    type_seance = TypeSeance.objects.get(libelle="Visite d'entreprise")
    assert type_seance.emargement_requis and type_seance.nature == "face_a_face"


def test_calcul_final_sur_les_types_de_sortie(client, administrateur):
    sortie = TypeEvenement.objects.get(code="sortie-positive")
    assert CalculFinal.objects.filter(type_evenement=sortie, actif=True).exists()
    client.force_login(administrateur)
    page = client.get(reverse("admin:seances_calculfinal_changelist"))
    assert "Sortie positive" in page.content.decode()


def test_seances_en_lecture_seule_dans_l_admin(
    client, administrateur, planifier, dossier, aujourd_hui
):
    seance = planifier([dossier], aujourd_hui)
    client.force_login(administrateur)
    assert client.get(reverse("admin:seances_seance_change", args=[seance.pk])).status_code == 200
    assert client.get(reverse("admin:seances_seance_add")).status_code == 403
