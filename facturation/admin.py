from django.contrib import admin

from facturation.models import Financeur


@admin.register(Financeur)
class FinanceurAdmin(admin.ModelAdmin):
    list_display = ["raison_sociale", "telephone", "actif"]
    list_filter = ["actif"]
    search_fields = ["raison_sociale", "emails_contact"]
