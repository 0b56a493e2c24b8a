"""SMS backends. Brevo's HTTP API is outside our walls: a stand-in answers on loopback."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from evenements.natures import ErreurTransitoire
from notifications.canaux import ErreurDefinitive, Message, SmsFichier, canal_sms


class FauxBrevo(BaseHTTPRequestHandler):
    recus: list = []
    statut = 201

    def do_POST(self):  # noqa: N802 - http.server's naming
        corps = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FauxBrevo.recus.append({"chemin": self.path, "cle": self.headers["api-key"], **corps})
        self.send_response(FauxBrevo.statut)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        reponse = {"messageId": 4242} if FauxBrevo.statut < 300 else {"message": "erreur"}
        self.wfile.write(json.dumps(reponse).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def brevo(settings):
    serveur = HTTPServer(("127.0.0.1", 0), FauxBrevo)
    fil = threading.Thread(target=serveur.serve_forever, daemon=True)
    fil.start()
    FauxBrevo.recus, FauxBrevo.statut = [], 201
    settings.SMS_BACKEND = (
        f"brevo://CLE-SECRETE@127.0.0.1:{serveur.server_port}?schema=http&expediteur=Parcours"
    )
    yield FauxBrevo
    serveur.shutdown()


MESSAGE = Message(cle="12-3-1:+33612345678", adresse="+33612345678", sujet="", corps="Bonjour")


def test_brevo_envoie_et_rend_l_identifiant(brevo):
    assert canal_sms().envoyer(MESSAGE) == "4242"
    (recu,) = brevo.recus
    assert recu["chemin"] == "/v3/transactionalSMS/sms" and recu["cle"] == "CLE-SECRETE"
    assert recu["recipient"] == "33612345678" and recu["sender"] == "Parcours"
    assert recu["content"] == "Bonjour" and recu["type"] == "transactional"


def test_brevo_5xx_est_transitoire(brevo):
    brevo.statut = 503
    with pytest.raises(ErreurTransitoire, match="503"):
        canal_sms().envoyer(MESSAGE)


def test_brevo_4xx_est_definitif(brevo):
    brevo.statut = 400
    with pytest.raises(ErreurDefinitive, match="400"):
        canal_sms().envoyer(MESSAGE)


def test_brevo_injoignable_est_transitoire(settings):
    settings.SMS_BACKEND = "brevo://CLE@127.0.0.1:1?schema=http"
    with pytest.raises(ErreurTransitoire, match="injoignable"):
        canal_sms().envoyer(MESSAGE)


def test_fichier_ajoute_une_ligne_json(tmp_path):
    chemin = tmp_path / "sms.jsonl"
    SmsFichier(str(chemin)).envoyer(MESSAGE)
    SmsFichier(str(chemin)).envoyer(MESSAGE)
    lignes = chemin.read_text(encoding="utf-8").splitlines()
    assert len(lignes) == 2 and json.loads(lignes[0])["adresse"] == "+33612345678"


def test_sms_backend_inconnu_arrete_le_demarrage():
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "true", "SMS_BACKEND": "pigeon://"}
    resultat = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert resultat.returncode != 0 and "SMS_BACKEND inconnu" in resultat.stderr
