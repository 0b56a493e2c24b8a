from django import template
from django.urls import reverse

from dossiers import extensions

register = template.Library()


@register.inclusion_tag("dossiers/_onglets.html", takes_context=True)
def onglets_du_dossier(context, dossier):
    actif = context.get("onglet")
    liens = [
        (o.libelle, reverse(o.url_name, args=[dossier.pk]), o.cle == actif)
        for o in extensions.onglets(context["request"].user)
    ]
    return {"liens": liens}
