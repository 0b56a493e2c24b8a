"""The seed's built-in event types and the default reference lists (DARES categories).

Used by a data migration and by the tests (a transactional test flushes migrated data).
"""

MOTIFS = {
    "abandon": [
        ("raisons-personnelles", "Raisons personnelles"),
        ("raisons-familiales", "Raisons familiales"),
        ("raisons-de-sante", "Raisons de santé"),
        ("reprise-emploi", "Reprise d'emploi"),
        ("niveau-inadapte", "Niveau inadapté"),
        ("difficultes-relationnelles", "Difficultés relationnelles"),
        ("raisons-financieres", "Raisons financières"),
        ("eloignement-geographique", "Éloignement géographique"),
        ("autre-formation", "Autre formation"),
        ("formation-imposee", "Formation imposée"),
        ("changement-situation", "Changement de situation"),
        ("perte-motivation", "Perte de motivation"),
        ("autre", "Autre"),
    ],
    "rupture": [
        ("rupture-contrat", "Rupture du contrat de formation"),
        ("arret-financeur", "Arrêt décidé par le financeur"),
        ("incompatibilite", "Incompatibilité avec le bénéficiaire"),
        ("autre", "Autre"),
    ],
    "sortie_positive": [
        ("emploi-durable", "Emploi durable (CDI, CDD de 6 mois ou plus)"),
        ("emploi-transition", "Emploi de transition (CDD de moins de 6 mois, intérim)"),
        ("formation-qualifiante", "Formation qualifiante"),
        ("creation-entreprise", "Création ou reprise d'entreprise"),
        ("objectifs-atteints", "Objectifs du parcours atteints"),
        ("autre", "Autre sortie positive"),
    ],
}

TYPES = [
    # code, libellé, effet, statuts, motif, liste, champs
    ("entree", "Entrée en prestation", "entree", ["a_venir"], "non_demande", "", []),
    (
        "changement-phase",
        "Changement de phase",
        "changement_phase",
        ["en_cours"],
        "non_demande",
        "",
        [
            (
                "nouvelle_phase",
                "Nouvelle phase",
                "phase",
                True,
                "La phase dans laquelle entre le bénéficiaire.",
            )
        ],
    ),
    (
        "validation-etape",
        "Validation d'étape",
        "validation_etape",
        ["en_cours"],
        "non_demande",
        "",
        [("etape", "Étape ou objectif validé", "texte", True, "L'objectif intermédiaire atteint.")],
    ),
    (
        "sortie-positive",
        "Sortie positive",
        "sortie_positive",
        ["en_cours"],
        "facultatif",
        "sortie_positive",
        [],
    ),
    ("abandon", "Abandon", "abandon", ["en_cours"], "obligatoire", "abandon", []),
    ("rupture", "Rupture", "rupture", ["en_cours"], "facultatif", "rupture", []),
]


# The seed: "Ajoutez toujours un commentaire détaillé, surtout pour les abandons et ruptures".
COMMENTAIRE_OBLIGATOIRE = {"abandon", "rupture"}


def commentaire_obligatoire(apps, schema_editor=None):
    TypeEvenement = apps.get_model("evenements", "TypeEvenement")
    TypeEvenement.objects.filter(code__in=COMMENTAIRE_OBLIGATOIRE).update(
        commentaire_obligatoire=True
    )


def creer(apps, schema_editor=None):
    Motif = apps.get_model("evenements", "Motif")
    TypeEvenement = apps.get_model("evenements", "TypeEvenement")
    ChampSupplementaire = apps.get_model("evenements", "ChampSupplementaire")
    for liste, motifs in MOTIFS.items():
        for ordre, (code, libelle) in enumerate(motifs, start=1):
            Motif.objects.get_or_create(
                liste=liste, code=code, defaults={"libelle": libelle, "ordre": ordre}
            )
    for ordre, (code, libelle, effet, statuts, motif, liste, champs) in enumerate(TYPES, start=1):
        type_evenement, cree = TypeEvenement.objects.get_or_create(
            code=code,
            defaults={
                "libelle": libelle,
                "effet": effet,
                "statuts_autorises": statuts,
                "motif": motif,
                "liste_motifs": liste,
                "ordre": ordre * 10,
                "commentaire_obligatoire": code in COMMENTAIRE_OBLIGATOIRE,
            },
        )
        if cree:
            for rang, (ccode, clibelle, nature, obligatoire, aide) in enumerate(champs, start=1):
                ChampSupplementaire.objects.create(
                    type_evenement=type_evenement,
                    code=ccode,
                    libelle=clibelle,
                    nature=nature,
                    obligatoire=obligatoire,
                    aide=aide,
                    ordre=rang,
                )
