"""Groups Administrateur, Responsable, Conseiller, Gestionnaire with their permissions.

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
# Billing staff: every team's dossiers (read), invoices, credit notes and payments.
GESTIONNAIRE = [
    "dossiers.view_dossier",
    "dossiers.voir_toutes_equipes",
    "dossiers.view_beneficiaire",
    "dossiers.view_prestation",
    "dossiers.view_financeur",
    "dossiers.change_financeur",
    "evenements.view_evenement",
    "evenements.view_actiondeclenchee",
    "evenements.piloter_actions",
    "facturation.view_convention",
    "facturation.view_financementdossier",
    "facturation.add_financementdossier",
    "facturation.view_echeance",
    "facturation.facturer",
    "facturation.view_facture",
    "facturation.view_reglement",
]
# Caseworkers see the billing tab of their dossiers, read-only.
LECTURE_FACTURATION = [
    "facturation.view_convention",
    "facturation.view_financementdossier",
    "facturation.view_echeance",
    "facturation.view_facture",
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
    "axes",  # unlock a locked-out login by deleting its access attempts
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

    Group.objects.get_or_create(name="Conseiller")[0].permissions.set(
        permissions(CONSEILLER + LECTURE_FACTURATION)
    )
    Group.objects.get_or_create(name="Responsable")[0].permissions.set(
        permissions(RESPONSABLE + LECTURE_FACTURATION)
    )
    Group.objects.get_or_create(name="Gestionnaire")[0].permissions.set(permissions(GESTIONNAIRE))
    administrateur = Group.objects.get_or_create(name="Administrateur")[0]
    administrateur.permissions.set(
        Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    )
