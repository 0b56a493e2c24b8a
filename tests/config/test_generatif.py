"""Generative: hostile values posted to every form of the app, as every role.

Hypothesis draws a form (app and admin), a role (alice, rose, charlie, admin) and, for each
field, nothing, a valid value, a hostile one (long, NUL, control characters, unicode, huge
numbers, impossible dates, markup) or the id of another team's object. After each request:
- never a 5xx (the test client re-raises a view's exception, which fails the example);
- nothing of the other team changed (the administrator sees every team: not checked);
- a form sent back without saving says why, in French, next to a field or above the form.
Bounded (HYPOTHESIS_EXEMPLES, 150 by default) and derandomised under CI, so CI is repeatable.
"""

import html
import os
import re
from dataclasses import dataclass

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dossiers.models import Beneficiaire, Dossier
from evenements.models import ActionDeclenchee, Evenement, Motif
from evenements.services import enregistrer_evenement
from tests.conftest import EN_CI
from tests.factories import DossierFactory

EXEMPLES = int(os.environ.get("HYPOTHESIS_EXEMPLES", "150"))

HOSTILES = st.one_of(
    st.text(max_size=30),
    st.text(
        alphabet=st.characters(codec="utf-8", categories=["Cc", "Zl", "Zp", "Lo", "So", "Mn"]),
        min_size=1,
        max_size=300,
    ),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "Dupont\r",
            "Léa\r\nMarie",
            "\u2028\u2029\x85",
            "\ufeff\u200b",
            "-1",
            "0",
            "1e309",
            "NaN",
            "Infinity",
            "12,50",
            "0001-01-01",
            "9999-12-31",
            "2026-02-30",
            "31/12/1899",
            "01/01/0001",
            "<script>alert(1)</script>",
            "{{ 7|add:1 }}{% debug %}",
            "' OR 1=1 --",
            "../../etc/passwd",
            "https://evil.example/",
            "//evil.example",
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from([121, 201, 255, 501, 2_001, 20_001]).map(lambda n: "é" * n),
)


@dataclass
class Formulaire:
    nom: str
    methode: str
    url: str
    champs: dict  # name -> list of valid values
    fixes: dict | None = None  # always sent (e.g. the autocomplete's target)


@pytest.fixture
def monde(equipe_a, equipe_b, alice, bob, rose, charlie, administrateur, types):
    """Team A's and team B's dossiers, each with events and actions."""
    aujourd_hui = timezone.localdate()
    a = DossierFactory(equipe=equipe_a, referent=alice)
    b = DossierFactory(equipe=equipe_b, referent=charlie)
    evenements = {}
    for dossier, auteur in ((a, alice), (b, charlie)):
        entree = enregistrer_evenement(
            dossier=dossier, type_evenement=types["entree"], auteur=auteur, date=aujourd_hui
        )
        etape = enregistrer_evenement(
            dossier=dossier,
            type_evenement=types["validation-etape"],
            auteur=auteur,
            valeurs={"etape": "Objectif 1"},
        )
        evenements[dossier.pk] = (entree, etape)
    clients = {}
    for nom, utilisateur in {
        "alice": alice,
        "rose": rose,
        "charlie": charlie,
        "admin": administrateur,
    }.items():
        client = Client()
        client.force_login(utilisateur)
        clients[nom] = client
    return {
        "a": a,
        "b": b,
        "evenements": evenements,
        "clients": clients,
        "equipes": {"alice": equipe_a, "rose": equipe_a, "charlie": equipe_b},
        "types": types,
    }


def formulaires(monde) -> list[Formulaire]:
    types = monde["types"]
    motifs = [str(m.pk) for m in Motif.objects.all()[:3]]
    ids_types = [str(t.pk) for t in types.values()]
    aujourd_hui = timezone.localdate()
    dates = [f"{aujourd_hui:%Y-%m-%d}", "2024-01-15"]
    dates_admin = [f"{aujourd_hui:%d/%m/%Y}"]
    trouves = []
    for dossier in (monde["a"], monde["b"]):
        d = dossier.pk
        saisie = {
            "type_evenement": ids_types,
            "date": dates,
            "commentaire": ["Entretien", "l'été"],
            "motif": motifs,
            "champ_etape": ["Objectif 2"],
            "champ_nouvelle_phase": [str(p.pk) for p in dossier.prestation.phases.all()],
        }
        trouves += [
            Formulaire(
                f"nouvel événement {d}", "post", f"/dossiers/{d}/evenements/nouveau/", saisie
            ),
            Formulaire(
                f"afficher {d}",
                "post",
                f"/dossiers/{d}/evenements/nouveau/",
                {"type_evenement": ids_types, "commentaire": ["x"]},
                {"afficher": "1"},
            ),
            Formulaire(
                f"onglet {d}",
                "get",
                f"/dossiers/{d}/evenements/",
                {"page": ["1", "2"], "supprimes": ["1"]},
            ),
            Formulaire(
                f"ordre {d}", "post", f"/dossiers/{d}/evenements/ordre/", {"ordre": ["asc", "desc"]}
            ),
            Formulaire(f"envois {d}", "get", f"/dossiers/{d}/envois/", {"page": ["1"]}),
        ]
        for evenement in monde["evenements"][d]:
            e = evenement.pk
            trouves += [
                Formulaire(
                    f"modifier {e}",
                    "post",
                    f"/evenements/{e}/modifier/",
                    {**saisie, "raison": ["Correction"], "version": ["1", "2", "3"]},
                ),
                Formulaire(
                    f"supprimer {e}",
                    "post",
                    f"/evenements/{e}/supprimer/",
                    {"raison": ["Doublon"], "version": ["1", "2"]},
                ),
                Formulaire(
                    f"déplacer {e}", "post", f"/evenements/{e}/deplacer/", {"sens": ["haut", "bas"]}
                ),
            ]
            for action in ActionDeclenchee.objects.filter(evenement=evenement)[:1]:
                for operation in ("relancer", "annuler", "executer", "compenser", "revue"):
                    trouves.append(
                        Formulaire(
                            f"{operation} {action.pk}",
                            "post",
                            f"/actions/{action.pk}/{operation}/",
                            {"suivant": ["/dossiers/"]},
                        )
                    )
            trouves.append(
                Formulaire(
                    f"admin événement {e}",
                    "post",
                    f"/admin/evenements/evenement/{e}/change/",
                    {
                        "type_evenement": ids_types,
                        "date": dates_admin,
                        "commentaire": ["Admin"],
                        "motif": motifs,
                        "raison": ["Correction"],
                        "version_lue": ["1", "2"],
                    },
                )
            )
    equipes = [str(monde["a"].equipe_id), str(monde["b"].equipe_id)]
    trouves += [
        Formulaire(
            "liste",
            "get",
            "/dossiers/",
            {
                "q": ["dupont", "Léa"],
                "statut": ["en_cours"],
                "prestation": [str(monde["a"].prestation_id)],
                "referent": [str(monde["a"].referent_id)],
                "equipe": equipes,
                "page": ["1", "2"],
            },
        ),
        Formulaire(
            "nouveau dossier",
            "post",
            "/dossiers/nouveau/",
            {
                "beneficiaire": [str(monde["a"].beneficiaire_id)],
                "prestation": [str(monde["a"].prestation_id), str(monde["b"].prestation_id)],
                "financeur": [str(monde["a"].financeur_id)],
                "equipe": equipes,
                "referent": [str(monde["a"].referent_id), str(monde["b"].referent_id)],
                "heures_prevues": ["35", "12.5"],
                "b-civilite": ["mme", "m"],
                "b-nom": ["Martin"],
                "b-prenom": ["Léa"],
                "b-date_naissance": ["1990-05-17"],
                "b-email": ["lea@example.org"],
                "b-mobile": ["0612345678"],
                "b-adresse": ["1 rue de la Paix"],
                "b-identifiant_externe": ["FT123"],
                "b-consentement_email": ["on"],
            },
        ),
        Formulaire(
            "admin bénéficiaire",
            "post",
            "/admin/dossiers/beneficiaire/add/",
            {
                "nom": ["Martin"],
                "prenom": ["Léa"],
                "date_naissance": ["17/05/1990"],
                "email": ["lea@example.org"],
                "mobile": ["0612345678"],
                "adresse": ["Lyon"],
                "identifiant_externe": ["X1"],
            },
        ),
        Formulaire(
            "admin financeur",
            "post",
            "/admin/dossiers/financeur/add/",
            {"raison_sociale": ["Région"], "emails_contact": ["a@example.org"], "actif": ["on"]},
        ),
        Formulaire(
            "admin nouvel événement",
            "post",
            "/admin/evenements/evenement/add/",
            {
                "dossier": [str(monde["a"].pk), str(monde["b"].pk)],
                "type_evenement": ids_types,
                "date": dates_admin,
                "commentaire": ["Admin"],
                "motif": motifs,
            },
        ),
        Formulaire(
            "admin liste des dossiers",
            "get",
            "/admin/dossiers/dossier/",
            {"q": ["martin"], "statut__exact": ["en_cours"], "equipe__id__exact": equipes},
        ),
        Formulaire(
            "admin liste des événements",
            "get",
            "/admin/evenements/evenement/",
            {"q": ["entr"], "date__gte": ["2024-01-01"], "type_evenement__id__exact": ids_types},
        ),
        Formulaire(
            "admin autocomplete",
            "get",
            "/admin/autocomplete/",
            {"term": ["mar"], "page": ["1"]},
            {"app_label": "evenements", "model_name": "evenement", "field_name": "dossier"},
        ),
    ]
    return trouves


def etat_de_l_equipe(equipe_pk: int) -> list:
    """Everything a team owns that a form could change, as plain values."""
    dossiers = Dossier.objects.filter(equipe_id=equipe_pk).order_by("pk")
    return [
        [model_to_dict(d) | {"statut": d.statut} for d in dossiers],
        list(Beneficiaire.objects.filter(dossiers__in=dossiers).order_by("pk").values()),
        list(Evenement.objects.filter(dossier__in=dossiers).order_by("pk").values()),
        list(
            ActionDeclenchee.objects.filter(evenement__dossier__in=dossiers)
            .order_by("pk")
            .values("pk", "etat", "tentatives")
        ),
    ]


ANGLAIS = re.compile(
    r"\b(This field|Enter a|Ensure this|Select a valid|is required|must be|Null characters|"
    r"Please correct|not a valid|Invalid)\b"
)


def erreurs_affichees(page: str) -> list[str]:
    blocs = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
    blocs += re.findall(r'<div class="erreurs"[^>]*>(.*?)</div>', page, re.S)
    blocs += re.findall(r'<p class="errornote">(.*?)</p>', page, re.S)
    textes = []
    for bloc in blocs:
        for morceau in re.split(r"</li>|</p>", bloc):
            texte = html.unescape(re.sub(r"<[^>]+>", " ", morceau)).strip()
            if texte:
                textes.append(texte)
    return textes


def valeur(champ_valides):
    return st.one_of(
        st.none(),
        st.sampled_from(champ_valides),
        HOSTILES,
    )


@settings(
    max_examples=EXEMPLES,
    deadline=None,
    derandomize=EN_CI,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(donnees=st.data())
def test_saisies_hostiles_sur_tous_les_formulaires(monde, donnees):
    cibles = formulaires(monde)
    formulaire = donnees.draw(st.sampled_from(cibles), label="formulaire")
    role = donnees.draw(st.sampled_from(["alice", "rose", "charlie", "admin"]), label="rôle")
    autre = monde["b" if role != "charlie" else "a"]
    etrangers = [
        str(pk)
        for pk in (
            autre.pk,
            autre.beneficiaire_id,
            autre.equipe_id,
            autre.referent_id,
            monde["evenements"][autre.pk][0].pk,
            ActionDeclenchee.objects.filter(evenement__dossier=autre).values("pk")[:1][0]["pk"],
        )
    ]
    envoi = dict(formulaire.fixes or {})
    for champ, valides in formulaire.champs.items():
        choisi = donnees.draw(st.one_of(valeur(valides), st.sampled_from(etrangers)), label=champ)
        if choisi is not None:
            envoi[champ] = choisi
    autre_equipe = (
        None
        if role == "admin"
        else (monde["b"].equipe_id if role != "charlie" else monde["a"].equipe_id)
    )
    avant = etat_de_l_equipe(autre_equipe) if autre_equipe else None

    client = monde["clients"][role]
    reponse = getattr(client, formulaire.methode)(formulaire.url, envoi)

    assert reponse.status_code < 500, (formulaire.nom, role, envoi)
    if avant is not None:
        assert etat_de_l_equipe(autre_equipe) == avant, (formulaire.nom, role, envoi)
    if reponse.status_code == 200 and "html" in reponse.get("Content-Type", ""):
        erreurs = erreurs_affichees(reponse.content.decode())
        anglais = [e for e in erreurs if ANGLAIS.search(e)]
        assert not anglais, (anglais, formulaire.nom, role, envoi)
        if formulaire.methode == "post" and "afficher" not in envoi:
            assert erreurs, ("refusé sans dire pourquoi", formulaire.nom, role, envoi)
