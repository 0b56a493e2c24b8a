"""The wake-up pushed with its messages in one round trip (evenements.sonnette.sonner), and
those messages built as Celery builds them (evenements.courrier), on a real Redis."""

import base64
import json
import uuid

import pytest
import redis

from evenements import courrier, pipeline, sonnette
from evenements.tasks import executer_action


@pytest.fixture
def redis_reel(redis_url, settings, celery_en_processus):
    settings.REDIS_URL = redis_url
    celery_en_processus.conf.task_always_eager = False  # the fixture restores it
    client = redis.Redis.from_url(redis_url)
    file = f"test-courrier-{uuid.uuid4().hex[:8]}"
    yield client, file
    client.delete(file, f"parcours:sonnette:{file}")


def _sans_identifiants(message: dict) -> dict:
    """The message without what differs on every publish (its ids, its delivery tag)."""
    entetes, proprietes = dict(message["headers"]), dict(message["properties"])
    assert entetes["id"] == entetes["root_id"] == proprietes["correlation_id"]
    for nom in ("id", "root_id"):
        entetes.pop(nom)
    for nom in ("correlation_id", "delivery_tag"):
        assert proprietes.pop(nom)
    # apply_async copies its `argsrepr` option into the properties too; the worker reads
    # the header's.
    proprietes.pop("argsrepr", None)
    return {**message, "headers": entetes, "properties": proprietes}


def test_le_message_est_celui_qu_apply_async_ecrit(redis_reel):
    client, file = redis_reel
    executer_action.apply_async(args=[[4, 5]], queue=file, retry=False, argsrepr="[[4, 5]]")
    de_celery = json.loads(client.rpop(file))
    le_notre = json.loads(courrier.corps(executer_action, [[4, 5]], file))
    assert _sans_identifiants(le_notre) == _sans_identifiants(de_celery)
    assert json.loads(base64.b64decode(le_notre["body"]))[0] == [[4, 5]]
    assert le_notre["headers"]["task"] == "evenements.executer_action"
    assert le_notre["properties"]["delivery_info"]["routing_key"] == file


def test_sonner_pousse_les_messages_seulement_si_aucun_reveil_n_attend(redis_reel):
    client, file = redis_reel
    premiers = [
        courrier.corps(executer_action, [[1]], file),
        courrier.corps(executer_action, [[2]], file),
    ]
    assert sonnette.sonner(file, premiers) is True
    assert client.llen(file) == 2
    assert 0 < client.ttl(f"parcours:sonnette:{file}") <= sonnette.DUREE_SECONDES
    assert sonnette.sonner(file, [courrier.corps(executer_action, [[3]], file)]) is False
    assert client.llen(file) == 2  # the waiting wake-up stands for it
    sonnette.relacher(file)  # a worker took it
    assert sonnette.sonner(file, [courrier.corps(executer_action, [[3]], file)]) is True
    assert client.llen(file) == 3


def test_un_message_refuse_ne_laisse_pas_de_reveil(redis_reel):
    """Pushed first, then the wake-up set: a push Redis refuses leaves no wake-up standing
    for messages that are not there."""
    client, file = redis_reel
    client.set(file, "pas une liste")
    with pytest.raises(redis.ResponseError):
        sonnette.sonner(file, [courrier.corps(executer_action, [[1]], file)])
    assert not client.exists(f"parcours:sonnette:{file}")


def test_redis_injoignable_rien_n_est_pose(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with pytest.raises(redis.RedisError):
        sonnette.sonner("file", ["message"])


def test_sans_redis_l_appelant_publie_par_celery(settings):
    settings.REDIS_URL = ""
    assert sonnette.sonner("file", ["message"]) is None


def test_la_remise_d_une_saisie_passe_par_le_script(
    redis_reel, celery_en_processus, monkeypatch, settings
):
    """With the broker on this Redis, pipeline.envoyer pushes through sonner(), not Celery's
    publish; while its wake-up waits, the next rows publish nothing."""
    client, file = redis_reel
    app = celery_en_processus
    anciens = (app.conf.task_default_queue, app.conf.broker_url)
    app.conf.task_default_queue, app.conf.broker_url = file, settings.REDIS_URL

    def interdit(*args, **kwargs):
        raise AssertionError("publié par apply_async")

    monkeypatch.setattr(executer_action, "apply_async", interdit)
    try:
        pipeline.envoyer([11, 12], notees=True)
        pipeline.envoyer([13], notees=True)
    finally:
        app.conf.task_default_queue, app.conf.broker_url = anciens
    messages = client.lrange(file, 0, -1)
    assert len(messages) == 1
    assert json.loads(base64.b64decode(json.loads(messages[0])["body"]))[0] == [[11, 12]]
