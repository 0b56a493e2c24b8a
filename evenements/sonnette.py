"""The wake-up ("sonnette"): while one message waits in the queue, it stands for every row
made due meanwhile, so a burst of events publishes a handful of messages, not one each.

A publisher sets the key (SET NX, with an expiry) after its commit and publishes only if it
set it; a worker deletes the key as it takes a message, before it claims. A row committed
before the key was deleted is seen by that claim; one committed after finds no key and
publishes. A batch that may have left due rows behind rings again (executer_lot). The key
expires after DUREE_SECONDES, so a lost message (worker killed before the delete, publish
that failed and could not undo the key) costs at most that long, and the sweep publishes
directly in any case.
"""

import logging

import redis
from django.conf import settings

journal = logging.getLogger(__name__)
DUREE_SECONDES = 30
_clients: dict[str, redis.Redis] = {}


def _client() -> redis.Redis | None:
    url = settings.REDIS_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _clients[url]


def _cle(file: str) -> str:
    return f"parcours:sonnette:{file}"


# Set the wake-up if none waits and, only then, push the messages: one round trip, atomic.
_SONNER = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('LPUSH', KEYS[2], unpack(ARGV, 2))
  return 1
end
return 0
"""
_scripts: dict[str, object] = {}


def sonner(file: str, messages: list[str]) -> bool | None:
    """tirer() and the publish together, for a broker on this Redis: if no wake-up waits in
    `file`, set it and push `messages` (evenements.courrier) into the queue, both or
    neither. True: pushed; False: a wake-up waits, nothing pushed; None: no Redis here (the
    caller publishes through Celery). A RedisError propagates: nothing was set or pushed."""
    client = _client()
    if client is None:
        return None
    script = _scripts.get(settings.REDIS_URL)
    if script is None:
        script = _scripts[settings.REDIS_URL] = client.register_script(_SONNER)
    return bool(script(keys=[_cle(file), file], args=[DUREE_SECONDES, *messages]))


def tirer(file: str) -> bool:
    """True when the caller must publish a wake-up: none is waiting in `file` (or the key
    cannot be read: publish, as without a wake-up)."""
    client = _client()
    if client is None:
        return True
    try:
        return bool(client.set(_cle(file), 1, nx=True, ex=DUREE_SECONDES))
    except redis.RedisError as exc:
        journal.warning("Sonnette illisible (%s) : message publié", exc)
        return True


def relacher(file: str) -> None:
    """The waiting wake-up is taken (or was never published): rows made due from now on
    publish again."""
    client = _client()
    if client is None:
        return
    try:
        client.delete(_cle(file))
    except redis.RedisError as exc:  # it expires on its own
        journal.warning("Sonnette non relâchée (%s)", exc)
