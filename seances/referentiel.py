"""Default reference data of the séances: motifs d'annulation, the types de séance every
prestation starts with, and the "Calcul final des indicateurs" action of the exit types.

Used by a data migration, the demo command and the tests (a transactional test flushes
migrated data). Idempotent.
"""

MOTIFS_ANNULATION = [
    ("absence-animateur", "Absence de l'animateur"),
    ("absence-beneficiaire", "Absence prévue du bénéficiaire"),
    ("report", "Séance reportée"),
    ("fin-de-parcours", "Séance non réalisée : fin du parcours"),
    ("effectif-insuffisant", "Effectif insuffisant"),
    ("autre", "Autre"),
]

# libellé, minutes, nature, collective, facturable, émargement, phase ("premiere"/"derniere")
TYPES_PAR_DEFAUT = [
    ("Entretien préliminaire", 60, "face_a_face", False, True, True, "premiere"),
    ("Séance individuelle", 90, "face_a_face", False, True, True, None),
    ("Atelier collectif", 180, "face_a_face", True, True, True, None),
    ("Entretien à distance", 60, "a_distance", False, True, True, None),
    ("Travail en autonomie", 120, "autonomie", False, True, False, None),
    ("Préparation et synthèse (conseiller)", 60, "conseiller_seul", False, False, False, None),
    ("Bilan final", 90, "face_a_face", False, True, True, "derniere"),
]

TYPES_DE_SORTIE = ("sortie_positive", "abandon", "rupture")


def creer_types(apps, prestation) -> None:
    """The default types de séance of one prestation (its first/last phase when it has any)."""
    TypeSeance = apps.get_model("seances", "TypeSeance")
    Phase = apps.get_model("dossiers", "Phase")
    phases = list(Phase.objects.filter(prestation_id=prestation.pk).order_by("ordre", "pk"))
    for ordre, (libelle, minutes, nature, collective, facturable, emargement, phase) in enumerate(
        TYPES_PAR_DEFAUT, start=1
    ):
        choisie = None
        if phases and phase == "premiere":
            choisie = phases[0]
        elif phases and phase == "derniere":
            choisie = phases[-1]
        TypeSeance.objects.get_or_create(
            prestation_id=prestation.pk,
            libelle=libelle,
            defaults={
                "duree_prevue_minutes": minutes,
                "nature": nature,
                "collective": collective,
                "facturable": facturable,
                "emargement_requis": emargement,
                "phase": choisie,
                "ordre": ordre * 10,
            },
        )


def creer(apps, schema_editor=None) -> None:
    MotifAnnulation = apps.get_model("seances", "MotifAnnulation")
    TypeEvenement = apps.get_model("evenements", "TypeEvenement")
    CalculFinal = apps.get_model("seances", "CalculFinal")
    Prestation = apps.get_model("dossiers", "Prestation")
    for ordre, (code, libelle) in enumerate(MOTIFS_ANNULATION, start=1):
        MotifAnnulation.objects.get_or_create(
            code=code, defaults={"libelle": libelle, "ordre": ordre}
        )
    for type_evenement in TypeEvenement.objects.filter(effet__in=TYPES_DE_SORTIE):
        if not CalculFinal.objects.filter(type_evenement=type_evenement).exists():
            # Written explicitly: a migration's historical model has no custom save().
            CalculFinal.objects.create(
                type_evenement=type_evenement, nature="calcul_final", ordre=0
            )
    for prestation in Prestation.objects.all():
        creer_types(apps, prestation)
