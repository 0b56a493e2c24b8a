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


# If no wake-up waits: push the messages, then set it (a script runs alone: no other client
# comes between the check and the set; a failed push aborts it before the set).
_SONNER = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('LPUSH', KEYS[2], unpack(ARGV, 2))
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
return 1
"""
_scripts: dict[str, object] = {}


def sonner(file: str, messages: list[str]) -> bool | None:
    """tirer() and the publish together, for a broker on this Redis, in one round trip: if
    no wake-up waits in `file`, push `messages` (evenements.courrier) into the queue and set
    it. True: pushed; False: a wake-up waits, nothing pushed; None: no Redis here (the
    caller publishes through Celery). A RedisError propagates: no wake-up was set (a reply
    lost after the script ran is retried by the client and answers False: pushed all the
    same, the rows are noted as handed over either way)."""
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
