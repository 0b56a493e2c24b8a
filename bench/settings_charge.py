"""Settings of the load test (bench/charge.py): production's, served on plain-HTTP loopback.

Everything comes from config.settings unchanged and from the environment the bench sets
(DEBUG=false, a generated SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, whitenoise's manifest storage
over a fresh collectstatic, PostgreSQL, Redis, SECURE_SSL_REDIRECT=false through its existing
variable). Only two things differ, and only here, never in production:

- the cookies are not marked Secure: there is no TLS on loopback, and a client does not send
  a Secure cookie back over http (production keeps SESSION_COOKIE_SECURE and
  CSRF_COOKIE_SECURE on, whatever the environment says);
- the URLconf adds the bare view the load is compared with (bench/urls_charge.py): it exists
  only when DJANGO_SETTINGS_MODULE selects this module.
"""

from config.settings import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ROOT_URLCONF = "bench.urls_charge"
