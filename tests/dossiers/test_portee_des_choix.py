"""Every queryset offered to a user goes through the team scope.

The walk visits every page of the application (every URL pattern outside the admin, with
the visiting user's own dossier, event and action, and each event type's form) as users of
team B, and asserts that nothing of team A is offered or shown: no <option>, no name, no count.
A new page is walked automatically; a new kind of URL parameter must be added to PARAMETRES.
"""

import datetime
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from evenements.models import ActionDeclenchee, TypeEvenement
from evenements.services import enregistrer_evenement
from seances.services import creer_seance
from tests.factories import (
    BeneficiaireFactory,
    DossierFactory,
    TypeSeanceFactory,
    UtilisateurFactory,
)

HORS_APPLICATION = {"admin", "login", "logout", "healthz"}
# Team A's names: none may appear on any page a team B user opens.
TRACES_A = ["secreta", "agent-alpha", "agent-bravo", "agent-rose", "zone-alpha"]


def _motifs(resolver, prefixe=""):
    for motif in resolver.url_patterns:
        if isinstance(motif, URLResolver):
            if motif.namespace == "admin":
                continue
            espace = f"{prefixe}{motif.namespace}:" if motif.namespace else prefixe
            yield from _motifs(motif, espace)
        elif isinstance(motif, URLPattern) and motif.name:
            yield f"{prefixe}{motif.name}", motif


def _urls(objets: dict) -> list[str]:
    urls = []
    for nom, motif in _motifs(get_resolver()):
        if nom in HORS_APPLICATION:
            continue
        parametres = list(motif.pattern.regex.groupindex)
        inconnus = [p for p in parametres if p not in objets]
        assert not inconnus, f"{nom} : ajoutez {inconnus} à PARAMETRES dans ce test"
        combinaisons = [{}]
        for parametre in parametres:
            combinaisons = [{**c, parametre: v} for c in combinaisons for v in objets[parametre]]
        urls += [reverse(nom, kwargs=c) for c in combinaisons]
    return urls


@pytest.fixture
def equipe_a_nommee(dossier, alice, bob, rose, types):
    """Team A, with distinctive names on everything it owns."""
    for user, nom in ((alice, "Agent-Alpha"), (bob, "Agent-Bravo"), (rose, "Agent-Rose")):
        user.last_name = nom
        user.save()
    dossier.beneficiaire.nom = "Secreta"
    dossier.beneficiaire.save()
    dossier.equipe.nom = "Zone-Alpha"
    dossier.equipe.save()
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    autre = DossierFactory(
        equipe=dossier.equipe, referent=bob, beneficiaire=BeneficiaireFactory(nom="Secreta")
    )
    enregistrer_evenement(dossier=autre, type_evenement=types["entree"], auteur=bob)
    _seance(dossier, alice, lieu="Zone-Alpha")
    return dossier


def _seance(dossier, animateur, lieu):
    type_seance = TypeSeanceFactory(prestation=dossier.prestation)
    return creer_seance(
        type_seance=type_seance,
        date=timezone.localdate(),
        heure_debut=datetime.time(9),
        heure_fin=datetime.time(11),
        animateur=animateur,
        dossiers=[dossier],
        par=animateur,
        lieu=lieu,
    ).seance


@pytest.fixture(params=["Conseiller", "Responsable"])
def visiteur_b(request, equipe_b, charlie):
    if request.param == "Conseiller":
        return charlie
    return UtilisateurFactory(username="victor", groupe="Responsable", equipes=[equipe_b])


def test_rien_de_l_equipe_a_n_est_propose_ni_montre_a_l_equipe_b(
    client, equipe_a_nommee, visiteur_b, equipe_b, types
):
    dossier_b = DossierFactory(equipe=equipe_b, referent=visiteur_b)
    evenement_b = enregistrer_evenement(
        dossier=dossier_b, type_evenement=types["entree"], auteur=visiteur_b
    )
    action_b = ActionDeclenchee.objects.filter(evenement=evenement_b).first()
    seance_b = _seance(dossier_b, visiteur_b, lieu="Salle B")
    parametres = {
        "pk": [dossier_b.pk, evenement_b.pk, seance_b.pk] + ([action_b.pk] if action_b else []),
        "dossier_pk": [dossier_b.pk],
        "operation": ["relancer"],
        "demi_journee": ["matin"],
        "participation_pk": [seance_b.participations.get().pk],
        "emargement_pk": [0],
        "jeton": ["inconnu"],
        "seance_pk": [seance_b.pk],
        "action": ["annuler"],
        "cle": ["synthese", "prestations"],
    }
    urls = _urls(parametres)
    # Each event type's form, with its own choices (phases, financeurs, motifs).
    for type_evenement in TypeEvenement.objects.all():
        urls.append(
            reverse("evenements:nouveau", args=[dossier_b.pk])
            + f"?type_evenement={type_evenement.pk}"
        )
        urls.append(
            reverse("evenements:modifier", args=[evenement_b.pk])
            + f"?type_evenement={type_evenement.pk}"
        )

    client.force_login(visiteur_b)
    pages_avec_choix = 0
    for url in urls:
        reponse = client.get(url)
        assert reponse.status_code < 500, url
        if reponse.status_code != 200:
            continue
        page = reponse.content.decode()
        options = re.findall(r"<option[^>]*>([^<]*)</option>", page)
        pages_avec_choix += bool(options)
        for trace in TRACES_A:
            assert trace not in page.lower(), (url, trace)
    assert pages_avec_choix >= 4  # list filters, Nouveau dossier, event forms
    page = client.get(reverse("dossiers:liste")).content.decode()
    assert "<p>1 dossier</p>" in page  # counts are scoped too


def test_nouveau_dossier_ne_propose_que_les_beneficiaires_de_mes_equipes(
    client, equipe_a_nommee, charlie, equipe_b
):
    mien = DossierFactory(equipe=equipe_b, referent=charlie).beneficiaire
    client.force_login(charlie)
    reponse = client.get(reverse("dossiers:nouveau"))
    choix = reponse.context["form"].fields["beneficiaire"].queryset
    assert list(choix) == [mien]
    # Posting another team's bénéficiaire by its id is refused like an unknown choice.
    reponse = client.post(
        reverse("dossiers:nouveau"),
        {
            "beneficiaire": equipe_a_nommee.beneficiaire.pk,
            "prestation": equipe_a_nommee.prestation.pk,
            "equipe": equipe_b.pk,
            "referent": charlie.pk,
        },
    )
    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert "Sélectionnez un choix valide" in page
    assert "secreta" not in page.lower() and f"n° {equipe_a_nommee.pk}" not in page


def test_le_refus_pour_dossier_ouvert_ne_nomme_pas_le_dossier_d_une_autre_equipe(
    client, equipe_a_nommee, charlie, equipe_b
):
    # The same person is followed by both teams (a shared bénéficiaire).
    DossierFactory(equipe=equipe_b, referent=charlie, beneficiaire=equipe_a_nommee.beneficiaire)
    client.force_login(charlie)
    reponse = client.post(
        reverse("dossiers:nouveau"),
        {
            "beneficiaire": equipe_a_nommee.beneficiaire.pk,
            "prestation": equipe_a_nommee.prestation.pk,
            "equipe": equipe_b.pk,
            "referent": charlie.pk,
        },
    )
    page = reponse.content.decode()
    assert "a déjà un dossier ouvert" in page and "dans une autre équipe" in page
    assert f"n° {equipe_a_nommee.pk}" not in page


def test_equipe_preselectionnee_et_referents_en_nom_complet(client, alice, bob, equipe_a):
    alice.first_name, alice.last_name = "Alice", "Martin"
    alice.save()
    client.force_login(alice)
    page = client.get(reverse("dossiers:nouveau")).content.decode()
    assert re.search(rf'<option value="{equipe_a.pk}" selected>Équipe A</option>', page)
    assert f'<option value="{alice.pk}" selected>Alice Martin</option>' in page
    assert f">{bob.get_full_name()}</option>" in page
    assert ">alice</option>" not in page
    liste = client.get(reverse("dossiers:liste")).content.decode()
    assert ">Alice Martin</option>" in liste


def test_rouvrir_un_dossier_ne_nomme_pas_le_dossier_ouvert_d_une_autre_equipe(
    equipe_a, equipe_b, alice, types
):
    from django.core.exceptions import ValidationError

    from evenements.services import supprimer_evenement

    victor = UtilisateurFactory(username="victor", groupe="Responsable", equipes=[equipe_b])
    dossier_b = DossierFactory(equipe=equipe_b, referent=victor)
    enregistrer_evenement(dossier=dossier_b, type_evenement=types["entree"], auteur=victor)
    sortie = enregistrer_evenement(
        dossier=dossier_b, type_evenement=types["sortie-positive"], auteur=victor
    )
    # Team A now follows the same person for the same prestation.
    dossier_a = DossierFactory(
        equipe=equipe_a,
        referent=alice,
        beneficiaire=dossier_b.beneficiaire,
        prestation=dossier_b.prestation,
    )
    with pytest.raises(ValidationError) as refus:
        supprimer_evenement(evenement=sortie, par=victor, raison="Erreur de saisie")
    message = " ".join(refus.value.messages)
    assert "un dossier d'une autre équipe" in message
    assert f"n° {dossier_a.pk}" not in message
