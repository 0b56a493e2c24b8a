"""Parcours settings: one module, driven by environment variables (django-environ).

Without any variable set, Parcours runs embedded: SQLite, actions executed in-process
after commit, e-mail on the console, files on local disk. Production sets DATABASE_URL,
REDIS_URL, EMAIL_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=false.
"""

import datetime
import re
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY est obligatoire quand DEBUG est désactivé : "
            "exportez SECRET_KEY (au moins 50 caractères aléatoires) ou DEBUG=true en local."
        )
    SECRET_KEY = "insecure-dev-only-key-never-use-in-production-" + "x" * 20

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.apps.ParcoursAdminConfig",  # the admin, for the Administrateur group only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "django_htmx",
    "simple_history",
    "phonenumber_field",
    "axes",
    "dossiers",
    "evenements",
    "seances",
    "notifications",
    "documents",
    "facturation",
    "pilotage",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.SansOctetNul",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "config.securite.InactiviteMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.securite.contexte",
                "notifications.contexte.alertes",
            ],
            "builtins": ["config.francais"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'parcours.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)  # the embedded default keeps its file in var/
    # Writers wait for each other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out user or address
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dossiers:liste"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# E-mail: console by default; smtp://user:pass@host:587/?tls=True in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# A stuck SMTP dialogue must end well before the action's lease (ACTIONS_BAIL_SECONDES).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=60)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Parcours <noreply@parcours.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: with REDIS_URL unset, Parcours runs embedded (actions run in-process after commit).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker outlives any broker outage and resumes by itself (see config/celery.py).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CONSUMER = "config.celery:ConsumerTolerant"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    # Publishing after commit must not hang a request when Redis is down: give up fast,
    # the row stays "à exécuter" and the sweep sends it later.
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Automatic actions (see evenements/pipeline.py).
ACTIONS_MAX_TENTATIVES = env.int("ACTIONS_MAX_TENTATIVES", default=5)
ACTIONS_DELAI_BASE_SECONDES = env.int("ACTIONS_DELAI_BASE_SECONDES", default=30)
ACTIONS_BAIL_SECONDES = env.int("ACTIONS_BAIL_SECONDES", default=300)
# A worker that takes an action also claims up to this many other due ones and runs them as
# one batch (one claim, their data in bulk, one SMTP connection). 0: one at a time.
ACTIONS_LOT = env.int("ACTIONS_LOT", default=50)
# The sweep re-sends a row only if its message was handed to the broker longer ago than this.
ACTIONS_RETRANSMISSION_SECONDES = env.int("ACTIONS_RETRANSMISSION_SECONDES", default=300)
# Embedded mode: a thread of the web process sweeps planned and retried actions.
PLANIFICATEUR_EMBARQUE = env.bool("PLANIFICATEUR_EMBARQUE", default=False) and not REDIS_URL

# Séances: half-day cut-off of the émargement, remote signing links, signature images.
EMARGEMENT_COUPURE = env.str("EMARGEMENT_COUPURE", default="13:00")
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", EMARGEMENT_COUPURE):
    raise ImproperlyConfigured(f"EMARGEMENT_COUPURE doit être HH:MM : {EMARGEMENT_COUPURE!r}")
EMARGEMENT_LIEN_HEURES = env.int("EMARGEMENT_LIEN_HEURES", default=72)
EMARGEMENT_IMAGE_MAX_OCTETS = env.int("EMARGEMENT_IMAGE_MAX_OCTETS", default=300_000)
# Absolute address of the site, for links sent by e-mail or SMS.
URL_PUBLIQUE = env.str("URL_PUBLIQUE", default="http://127.0.0.1:8000").rstrip("/")

# SMS: console | memoire | fichier:///chemin | brevo://CLE@api.brevo.com?expediteur=Parcours
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
if not (
    SMS_BACKEND in ("console", "memoire") or SMS_BACKEND.startswith(("fichier://", "brevo://"))
):
    raise ImproperlyConfigured(f"SMS_BACKEND inconnu : {SMS_BACKEND!r}")

# Revision reasons are as long as the forms allow (simple-history's default column is 100).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True


# Plausible dates, checked by the services and model validators whatever the way in.
# Events: from EVENEMENT_DATE_MIN to today + EVENEMENT_ANNEES_A_VENIR years (planned events).
# Birth dates: from NAISSANCE_DATE_MIN to today minus NAISSANCE_AGE_MIN years (the youngest
# public of training schemes: apprenticeship from 15, "prépa" schemes from 14).
def _date(nom: str, defaut: str) -> datetime.date:
    valeur = env.str(nom, default=defaut)
    try:
        return datetime.date.fromisoformat(valeur)
    except ValueError:
        raise ImproperlyConfigured(f"{nom} : date AAAA-MM-JJ attendue, pas {valeur!r}") from None


EVENEMENT_DATE_MIN = _date("EVENEMENT_DATE_MIN", "1990-01-01")
EVENEMENT_ANNEES_A_VENIR = env.int("EVENEMENT_ANNEES_A_VENIR", default=2)
NAISSANCE_DATE_MIN = _date("NAISSANCE_DATE_MIN", "1900-01-01")
NAISSANCE_AGE_MIN = env.int("NAISSANCE_AGE_MIN", default=14)

PHONENUMBER_DEFAULT_REGION = "FR"
PHONENUMBER_DB_FORMAT = "E164"

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_HTTPONLY = True
# A bulk recording posts one field per dossier: its cap (evenements.masse.MAXIMUM_PAR_LOT,
# 1,000) must be reachable so that one more gets the French message, not a bare 400.
# Still a bound: Django's default is 1,000 fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2500
# Shared office computers: the session ends with the browser, or after this idle time
# (config.securite.InactiviteMiddleware keeps an active session alive).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_INACTIVITE_MINUTES = env.int("SESSION_INACTIVITE_MINUTES", default=30)
if SESSION_INACTIVITE_MINUTES < 1:
    raise ImproperlyConfigured("SESSION_INACTIVITE_MINUTES doit valoir au moins 1.")
SESSION_COOKIE_AGE = SESSION_INACTIVITE_MINUTES * 60

# Login throttling (django-axes): per user name and per client address, on the app's and
# the admin's login alike. Administrators unlock in the admin or with `manage.py axes_reset`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.securite.reponse_verrouillage"
AXES_CLIENT_IP_CALLABLE = "config.securite.adresse_client"
AXES_VERBOSE = False
# Behind N reverse proxies that append to X-Forwarded-For, the client is the Nth from the end.
PROXIES_DE_CONFIANCE = env.int("PROXIES_DE_CONFIANCE", default=0)

# Content-Security-Policy (django-csp 4): no inline script or style; the few scripts carry
# the request's nonce. data: images only for the empty favicon.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Embedded mode runs tasks in the web process: keep Celery's per-task lines out of it.
    "loggers": {
        "celery.app.trace": {"level": "INFO" if REDIS_URL else "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},  # one INFO line per rendering step
    },
}
