"""A task's message as Celery would write it into a Redis broker's queue, built here so the
hand-off of a recording can push it in the same round trip as its wake-up key
(evenements.sonnette.sonner).

Celery builds the headers and body (`create_task_message`, as `apply_async` does); the
envelope is kombu's Redis transport's (body in base64, delivery info, a delivery tag for
its acknowledgements). `apply_async` spends about 0.3 ms of Python routing and wrapping a
message and opens a Redis client per publish: more than the round trip (issue 12).
tests/evenements/test_courrier.py compares this message with the one `apply_async` writes,
on a real Redis, so a change of either library shows.
"""

import base64
import uuid

from kombu.serialization import dumps
from kombu.utils import json


def corps(tache, args: list, file: str) -> str:
    """The message `tache.apply_async(args=args, queue=file)` would push (no delay, default
    priority), as the JSON text kombu's Redis transport stores."""
    app = tache.app
    ident = str(uuid.uuid4())
    racine = parent = None
    courante = app.current_worker_task  # published from a task: the same lineage as Celery
    if courante is not None:
        racine, parent = courante.request.root_id or courante.request.id, courante.request.id
    entetes, proprietes, contenu, _ = app.amqp.create_task_message(
        ident,
        tache.name,
        args,
        {},
        reply_to=app.thread_oid,
        root_id=racine,
        parent_id=parent,
        ignore_result=tache.ignore_result,
        argsrepr=repr(args),
        kwargsrepr="{}",
    )
    type_mime, encodage, donnees = dumps(contenu, serializer="json")
    if isinstance(donnees, str):
        donnees = donnees.encode(encodage)
    enveloppe = {
        "body": base64.b64encode(donnees).decode("ascii"),
        "content-encoding": encodage,
        "content-type": type_mime,
        "headers": entetes,
        "properties": {
            **proprietes,
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": file},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": str(uuid.uuid4()),
        },
    }
    return json.dumps(enveloppe)
