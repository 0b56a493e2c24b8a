"""Reads with a rule: who sees what, and lists with their payment figures in one query."""

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from facturation.models import Affectation, Echeance, EtatEcheance, EtatFacture, Facture

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))


def _somme(queryset, champ: str):
    return Coalesce(
        Subquery(
            queryset.order_by().values("cle").annotate(s=Sum(champ)).values("s")[:1],
            output_field=DecimalField(max_digits=12, decimal_places=2),
        ),
        ZERO,
    )


def factures():
    """Invoices and avoirs with what was paid and credited (subqueries: no N+1)."""
    regle = Affectation.objects.filter(facture=OuterRef("pk")).annotate(cle=Value(1))
    credite = Facture.objects.filter(
        facture_origine=OuterRef("pk"), etat__in=[EtatFacture.VALIDEE, EtatFacture.ENVOYEE]
    ).annotate(cle=Value(1))
    return (
        Facture.objects.select_related("financeur", "facture_origine")
        .annotate(
            regle_annote=_somme(regle, "montant"), credite_annote=_somme(credite, "total_ttc")
        )
        .order_by("-date_emission", "-numero", "-pk")
    )


def echeances_a_facturer():
    return (
        Echeance.objects.filter(etat=EtatEcheance.A_FACTURER)
        .select_related(
            "dossier__beneficiaire",
            "dossier__prestation",
            "dossier__equipe",
            "financement__convention__financeur",
            "evenement__type_evenement",
        )
        .order_by("financement__convention__financeur__raison_sociale", "dossier_id", "ordre")
    )
