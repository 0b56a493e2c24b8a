"""/healthz: the state of the database and, when configured, of the broker."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any failure means "down" for a load balancer
        return f"erreur : {exc.__class__.__name__}"


def _broker() -> str:
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
        return "ok"
    except Exception as exc:
        return f"erreur : {exc.__class__.__name__}"


@login_not_required
@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database()}
    if settings.REDIS_URL:
        checks["broker"] = _broker()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "erreur", **checks}, status=200 if healthy else 503
    )
