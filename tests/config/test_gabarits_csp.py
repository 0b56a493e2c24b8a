"""No template relies on what the Content-Security-Policy blocks.

The browser test walks the main pages; this reads every template of the project, so a page
the walk does not reach cannot bring an inline style, script or event handler either.
"""

import re
from pathlib import Path

from django.conf import settings

INTERDITS = {
    "attribut style": re.compile(r"\sstyle\s*=", re.I),
    "balise <style>": re.compile(r"<style[\s>]", re.I),
    "gestionnaire on…=": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on": re.compile(r"\shx-on", re.I),
    "URL javascript:": re.compile(r"javascript:", re.I),
}
SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


def _gabarits():
    racines = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    racines += [
        Path(settings.BASE_DIR) / app / "templates"
        for app in ("dossiers", "evenements", "seances", "notifications", "documents")
        + ("facturation", "pilotage")
    ]
    for racine in racines:
        yield from (p for p in racine.rglob("*.html") if "/pdf/" not in p.as_posix())


def test_aucun_gabarit_n_a_de_script_ou_de_style_en_ligne():
    gabarits = list(_gabarits())
    assert len(gabarits) > 15
    fautes = []
    for gabarit in gabarits:
        texte = gabarit.read_text()
        for nom, motif in INTERDITS.items():
            if motif.search(texte):
                fautes.append(f"{gabarit}: {nom}")
        for attributs in SCRIPT.findall(texte):
            permis = ("src=", "csp_nonce", 'type="application/json"')
            if not any(p in attributs for p in permis):
                fautes.append(f"{gabarit}: <script> en ligne sans nonce")
    assert fautes == []
