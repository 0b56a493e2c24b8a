"""URLconf of the load test only (selected by bench/settings_charge.py): the product's URLs
plus one bare view, the floor the pages are compared with."""

from django.db import connection
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as urls_du_produit


def vue_nue(request):
    """The same stack (gunicorn, middleware, session, logged-in user, database connection)
    and one trivial query: what any page costs before it does its own work."""
    with connection.cursor() as curseur:
        curseur.execute("SELECT 1")
        curseur.fetchone()
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bench/vue-nue/", vue_nue, name="bench_vue_nue"), *urls_du_produit]
