"""Demo séances (used by `charger_demo`): every write goes through seances.services."""

import datetime
import io
import random

from django.apps import apps
from PIL import Image, ImageDraw

from seances import services
from seances.models import Objectif, Presence, TypeSeance
from seances.referentiel import creer_types
from seances.selectors import seances_avec_participants
from seances.services import SaisiePresence

OBJECTIFS = {
    "bilan-competences": [
        ("Analyse du parcours réalisée", 0),
        ("Compétences et intérêts identifiés", 1),
        ("Projet professionnel formalisé", 2),
    ],
    "accompagnement-emploi": [
        ("CV et lettre à jour", 0),
        ("Projet professionnel validé", 1),
        ("Candidatures envoyées", 2),
        ("Entretiens d'embauche obtenus", 2),
    ],
    "formation-bureautique": [
        ("Bases du traitement de texte", 0),
        ("Tableur maîtrisé", 0),
        ("Certification obtenue", 1),
    ],
}
CRENEAUX = [datetime.time(9), datetime.time(10, 30), datetime.time(14), datetime.time(15, 30)]


def preparer_prestation(prestation) -> None:
    """Default types de séance and the objectifs of a demo prestation."""
    creer_types(apps, prestation)
    phases = list(prestation.phases.order_by("ordre"))
    for ordre, (libelle, rang_phase) in enumerate(OBJECTIFS.get(prestation.code, []), start=1):
        phase = phases[min(rang_phase, len(phases) - 1)] if phases else None
        Objectif.objects.get_or_create(
            prestation=prestation, libelle=libelle, defaults={"ordre": ordre, "phase": phase}
        )


def signature_png(hasard: random.Random) -> bytes:
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    points = [(20 + k * 26, hasard.randint(25, 95)) for k in range(11)]
    ImageDraw.Draw(image).line(points, fill=(17, 24, 39, 255), width=3)
    tampon = io.BytesIO()
    image.save(tampon, format="PNG")
    return tampon.getvalue()


def _fin(debut: datetime.time, minutes: int) -> datetime.time:
    total = debut.hour * 60 + debut.minute + minutes
    return datetime.time(min(total // 60, 23), total % 60 if total // 60 < 24 else 59)


def _presences(seance, hasard) -> dict:
    saisies = {}
    for p in seance.participations.all():
        tirage = hasard.random()
        if tirage < 0.78:
            retard = hasard.choice([0, 0, 0, 0, 5, 10, 15])
            depart = hasard.choice([0, 0, 0, 0, 0, 15])
            saisies[p.pk] = SaisiePresence(Presence.PRESENT, retard, depart)
        elif tirage < 0.87:
            saisies[p.pk] = SaisiePresence(Presence.ABSENT_JUSTIFIE, motif="Rendez-vous médical")
        elif tirage < 0.94:
            saisies[p.pk] = SaisiePresence(Presence.ABSENT_NON_JUSTIFIE)
        else:
            saisies[p.pk] = SaisiePresence(Presence.EXCUSE, motif="Prévenu la veille")
    return saisies


def _signer(seance, animateur, hasard, aujourd_hui) -> None:
    """Signatures for recent séances: most present bénéficiaires sign, and the animateur."""
    if not seance.type_seance.emargement_requis or (aujourd_hui - seance.date).days > 30:
        return
    for demi_journee in seance.demi_journees():
        for p in seance.participations.all():
            if p.presence == Presence.PRESENT and hasard.random() < 0.85:
                services.signer_sur_place(
                    seance=seance,
                    participation=p,
                    demi_journee=demi_journee,
                    image=signature_png(hasard),
                    par=animateur,
                    adresse_ip="10.0.0.12",
                    agent="Tablette de l'accueil (démo)",
                )
        services.signer_sur_place(
            seance=seance,
            participation=None,
            demi_journee=demi_journee,
            image=signature_png(hasard),
            par=animateur,
            adresse_ip="10.0.0.12",
            agent="Tablette de l'accueil (démo)",
        )


def planifier_et_realiser(
    *, dossiers, type_seance, date, debut, animateur, hasard, aujourd_hui, lieu="Salle Rhône"
):
    seance = services.creer_seance(
        type_seance=type_seance,
        date=date,
        heure_debut=debut,
        heure_fin=_fin(debut, type_seance.duree_prevue_minutes),
        animateur=animateur,
        dossiers=dossiers,
        par=animateur,
        lieu="" if type_seance.nature == "a_distance" else lieu,
        a_distance=type_seance.nature == "a_distance",
    ).seance
    if date <= aujourd_hui:
        seance = seances_avec_participants().get(pk=seance.pk)
        services.valider_seance(seance=seance, par=animateur, presences=_presences(seance, hasard))
        seance = seances_avec_participants().get(pk=seance.pk)
        _signer(seance, animateur, hasard, aujourd_hui)
    return seance


def seances_du_parcours(
    *, dossier, debut, fin, animateur, hasard, aujourd_hui, i, apres_la_fin=0
) -> None:
    """A séance every 8-14 days from `debut` to `fin`; past ones validated. `apres_la_fin`
    extra séances stay planned after the exit (the "séances non réalisées" the tab shows)."""
    types = {t.libelle: t for t in TypeSeance.objects.filter(prestation=dossier.prestation_id)}
    suite = [
        "Séance individuelle",
        "Entretien à distance",
        "Travail en autonomie",
        "Séance individuelle",
        "Préparation et synthèse (conseiller)",
    ]
    date = debut
    rang = 0
    while date <= fin:
        if rang == 0:
            libelle = "Entretien préliminaire"
        elif date + datetime.timedelta(days=10) > fin and fin < aujourd_hui:
            libelle = "Bilan final"
        else:
            libelle = suite[(rang + i) % len(suite)]
        planifier_et_realiser(
            dossiers=[dossier],
            type_seance=types[libelle],
            date=date,
            debut=CRENEAUX[(rang + i) % len(CRENEAUX)],
            animateur=animateur,
            hasard=hasard,
            aujourd_hui=aujourd_hui,
        )
        rang += 1
        date += datetime.timedelta(days=hasard.randint(8, 14))
    for k in range(apres_la_fin):
        planifier_et_realiser(
            dossiers=[dossier],
            type_seance=types["Séance individuelle"],
            date=aujourd_hui + datetime.timedelta(days=3 + 7 * k),
            debut=CRENEAUX[(k + i) % len(CRENEAUX)],
            animateur=animateur,
            hasard=hasard,
            aujourd_hui=aujourd_hui,
        )


def ateliers_collectifs(*, prestation, dossiers, animateur, hasard, aujourd_hui) -> None:
    """Collective workshops for the open dossiers of a prestation: two done, one planned."""
    atelier = TypeSeance.objects.get(prestation=prestation, libelle="Atelier collectif")
    groupe = list(dossiers)[:6]
    if len(groupe) < 2:
        return
    for jours, debut in ((-9, datetime.time(14)), (-2, datetime.time(9)), (6, datetime.time(14))):
        planifier_et_realiser(
            dossiers=groupe,
            type_seance=atelier,
            date=aujourd_hui + datetime.timedelta(days=jours),
            debut=debut,
            animateur=animateur,
            hasard=hasard,
            aujourd_hui=aujourd_hui,
            lieu="Salle collective, 2e étage",
        )


def reunion_d_information(*, prestation, dossiers, animateur, aujourd_hui) -> None:
    """Yesterday's information meeting of a cohort still "À venir", everyone present: its
    page offers "Enregistrer l'entrée des participants" (left for the visitor to do)."""
    groupe = list(dossiers)[:4]
    if len(groupe) < 2:
        return
    seance = services.creer_seance(
        type_seance=TypeSeance.objects.get(prestation=prestation, libelle="Atelier collectif"),
        date=aujourd_hui - datetime.timedelta(days=1),
        heure_debut=datetime.time(10),
        heure_fin=datetime.time(11, 30),
        animateur=animateur,
        dossiers=groupe,
        par=animateur,
        lieu="Salle collective, 2e étage",
        commentaire="Réunion d'information collective",
    ).seance
    seance = seances_avec_participants().get(pk=seance.pk)
    services.valider_seance(
        seance=seance,
        par=animateur,
        presences={p.pk: SaisiePresence(Presence.PRESENT) for p in seance.participations.all()},
    )
