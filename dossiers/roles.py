"""Groups Administrateur, Responsable, Conseiller with their permissions.

Used by a data migration and by the tests (a transactional test flushes migrated data).
"""

CONSEILLER = [
    "dossiers.view_dossier",
    "dossiers.add_dossier",
    "dossiers.view_beneficiaire",
    "dossiers.add_beneficiaire",
    "dossiers.change_beneficiaire",
    "dossiers.view_prestation",
    "dossiers.view_phase",
    "dossiers.view_equipe",
    "dossiers.view_financeur",
    "evenements.view_evenement",
    "evenements.add_evenement",
    "evenements.change_evenement",
    "evenements.view_typeevenement",
    "evenements.view_motif",
    "evenements.view_actiondeclenchee",
    "notifications.view_envoi",
    "seances.view_seance",
    "seances.add_seance",
    "seances.change_seance",
    "seances.view_participation",
    "seances.change_participation",
    "seances.view_typeseance",
    "seances.view_motifannulation",
    "seances.view_objectif",
    "seances.view_emargement",
    "seances.add_emargement",
    "seances.add_jetonemargement",
    "documents.view_document",
    "documents.add_document",
    "documents.change_document",
    "documents.view_modeledocument",
]
RESPONSABLE = CONSEILLER + [
    "dossiers.change_dossier",
    "evenements.delete_evenement",
    "evenements.modifier_tout_evenement",
    "evenements.piloter_actions",
    "pilotage.voir_pilotage",
    "pilotage.telecharger_declarations",
    "seances.corriger_toute_seance",
    "documents.delete_document",
]
ADMIN_APPS = [
    "dossiers",
    "evenements",
    "seances",
    "notifications",
    "documents",
    "facturation",
    "pilotage",
    "auth",
]


def creer_groupes(apps, schema_editor=None):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(noms):
        # A permission of a model created by a later migration is granted by that later
        # migration, which runs this function again.
        for nom in noms:
            app, codename = nom.split(".")
            yield from Permission.objects.filter(content_type__app_label=app, codename=codename)

    Group.objects.get_or_create(name="Conseiller")[0].permissions.set(permissions(CONSEILLER))
    Group.objects.get_or_create(name="Responsable")[0].permissions.set(permissions(RESPONSABLE))
    administrateur = Group.objects.get_or_create(name="Administrateur")[0]
    administrateur.permissions.set(
        Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    )
