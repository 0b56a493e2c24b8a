from django.contrib.admin.apps import AdminConfig


class ParcoursAdminConfig(AdminConfig):
    """The Django admin as the Administrateur group's configuration console."""

    default_site = "config.admin_site.ParcoursAdminSite"

    def ready(self) -> None:
        super().ready()
        from django.contrib import admin
        from django_celery_beat import models as beat

        # The daily schedule is created by a migration; nobody needs to edit it by hand.
        for modele in (
            beat.PeriodicTask,
            beat.IntervalSchedule,
            beat.CrontabSchedule,
            beat.SolarSchedule,
            beat.ClockedSchedule,
        ):
            if admin.site.is_registered(modele):
                admin.site.unregister(modele)
