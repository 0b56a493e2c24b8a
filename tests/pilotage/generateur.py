"""A seeded generator of dossier histories through the services (the one way in):
entries, phase changes, exits of every kind with motifs, deleted and corrected events."""

import datetime
import random

from evenements.models import Motif
from evenements.services import enregistrer_evenement, modifier_evenement, supprimer_evenement
from tests.factories import BeneficiaireFactory, DossierFactory


def _saisir(dossier, types, code, auteur, date, **kwargs):
    return enregistrer_evenement(
        commentaire="Commentaire du conseiller.",
        dossier=dossier,
        type_evenement=types[code],
        auteur=auteur,
        date=date,
        **kwargs,
    )


def generer(
    *,
    graine: int,
    nombre: int,
    types,
    auteur,
    equipe,
    prestations,
    financeurs,
    aujourd_hui: datetime.date,
):
    hasard = random.Random(graine)
    motifs = {
        liste: list(Motif.objects.filter(liste=liste))
        for liste in ("abandon", "rupture", "sortie_positive")
    }
    dossiers = []
    for _ in range(nombre):
        prestation = hasard.choice(prestations)
        dossier = DossierFactory(
            beneficiaire=BeneficiaireFactory(),
            prestation=prestation,
            financeur=hasard.choice(financeurs),
            equipe=equipe,
            referent=auteur,
        )
        dossiers.append(dossier)
        if hasard.random() < 0.15:
            continue  # never entered
        entree = aujourd_hui - datetime.timedelta(days=hasard.randint(5, 400))
        evenement_entree = _saisir(dossier, types, "entree", auteur, entree)
        jour = entree
        phases = list(prestation.phases.all())
        a_change_de_phase = False
        if hasard.random() < 0.6 and len(phases) > 1:
            jour = jour + datetime.timedelta(days=hasard.randint(1, 3))
            if jour < aujourd_hui:
                _saisir(
                    dossier,
                    types,
                    "changement-phase",
                    auteur,
                    jour,
                    valeurs={"nouvelle_phase": hasard.choice(phases[1:]).pk},
                )
                a_change_de_phase = True
        tirage = hasard.random()
        if tirage < 0.65 and jour < aujourd_hui:
            sortie = min(jour + datetime.timedelta(days=hasard.randint(1, 200)), aujourd_hui)
            code, liste = hasard.choice(
                [
                    ("sortie-positive", "sortie_positive"),
                    ("abandon", "abandon"),
                    ("rupture", "rupture"),
                ]
            )
            motif = (
                hasard.choice(motifs[liste]) if hasard.random() < 0.9 or code == "abandon" else None
            )
            evenement = _saisir(dossier, types, code, auteur, sortie, motif=motif)
            if hasard.random() < 0.1:  # a mistaken exit, deleted
                supprimer_evenement(evenement=evenement, par=auteur, raison="Saisie erronée")
            elif hasard.random() < 0.1:  # a corrected motif
                autre = hasard.choice(motifs[liste])
                modifier_evenement(
                    evenement=evenement,
                    par=auteur,
                    raison="Correction du motif",
                    commentaire="Commentaire du conseiller.",
                    type_evenement=types[code],
                    date=sortie,
                    motif=autre,
                )
        elif tirage < 0.75 and not a_change_de_phase:
            supprimer_evenement(evenement=evenement_entree, par=auteur, raison="Doublon")
    return dossiers


def ajouter_seances(*, graine: int, dossiers, auteur, types, aujourd_hui: datetime.date):
    """Individual séances around each parcours (before entry, during, after exit), validated
    with random presences, some cancelled; some validated steps (objectives)."""
    from seances import services
    from seances.models import MotifAnnulation, Objectif, Presence
    from seances.services import SaisiePresence
    from tests.factories import TypeSeanceFactory

    hasard = random.Random(graine)
    motif, _ = MotifAnnulation.objects.get_or_create(
        code="absence-formateur", defaults={"libelle": "Absence du formateur"}
    )
    types_seance = {}
    for dossier in dossiers:
        prestation = dossier.prestation
        if prestation.pk not in types_seance:
            types_seance[prestation.pk] = [
                TypeSeanceFactory(prestation=prestation, collective=False, nature=nature)
                for nature in ("face_a_face", "autonomie", "conseiller_seul")
            ]
            for i, phase in enumerate(prestation.phases.all()[:3]):
                Objectif.objects.create(prestation=prestation, phase=phase, libelle=f"Objectif {i}")
        for _ in range(hasard.randint(0, 6)):
            date = aujourd_hui - datetime.timedelta(days=hasard.randint(0, 420))
            debut = datetime.time(hasard.choice([9, 10, 14]))
            fin = datetime.time(debut.hour + hasard.randint(1, 3), hasard.choice([0, 30]))
            seance = services.creer_seance(
                type_seance=hasard.choice(types_seance[prestation.pk]),
                date=date,
                heure_debut=debut,
                heure_fin=fin,
                animateur=auteur,
                dossiers=[dossier],
                par=auteur,
                lieu="Salle",
            ).seance
            tirage = hasard.random()
            if tirage < 0.15:
                services.annuler_seance(seance=seance, par=auteur, motif=motif)
            elif tirage < 0.85:
                participation = seance.participations.get()
                presence = hasard.choice(
                    [Presence.PRESENT, Presence.PRESENT, Presence.ABSENT_JUSTIFIE, Presence.EXCUSE]
                )
                retard = hasard.choice([0, 0, 15]) if presence == Presence.PRESENT else 0
                services.valider_seance(
                    seance=seance,
                    par=auteur,
                    presences={participation.pk: SaisiePresence(presence, retard, 0)},
                )
        dossier.refresh_from_db()
        if dossier.statut == "en_cours" and hasard.random() < 0.5:
            enregistrer_evenement(
                commentaire="Commentaire du conseiller.",
                dossier=dossier,
                type_evenement=types["validation-etape"],
                auteur=auteur,
                date=aujourd_hui,
                valeurs={"etape": "Étape validée"},
            )
