"""CSV for French spreadsheets: UTF-8 with a BOM (Excel then reads accents right), `;` as
separator and `,` as decimal mark (what a French-locale Excel or LibreOffice expects),
dates as JJ/MM/AAAA. One helper so every export of Parcours reads the same."""

import csv
import datetime
import io
from collections.abc import Iterable
from decimal import Decimal

from django.http import HttpResponse

BOM = "\ufeff"


def cellule(valeur) -> str:
    if valeur is None:
        return ""
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, float | Decimal):
        return f"{valeur:.2f}".replace(".", ",")
    if isinstance(valeur, datetime.datetime):
        return valeur.strftime("%d/%m/%Y %H:%M")
    if isinstance(valeur, datetime.date):
        return valeur.strftime("%d/%m/%Y")
    return str(valeur)


def contenu(entetes: list[str], lignes: Iterable[Iterable]) -> str:
    tampon = io.StringIO()
    tampon.write(BOM)
    ecrivain = csv.writer(tampon, delimiter=";", lineterminator="\r\n")
    ecrivain.writerow(entetes)
    for ligne in lignes:
        ecrivain.writerow([cellule(v) for v in ligne])
    return tampon.getvalue()


def reponse(nom_fichier: str, entetes: list[str], lignes: Iterable[Iterable]) -> HttpResponse:
    reponse = HttpResponse(
        contenu(entetes, lignes).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    reponse["Content-Disposition"] = f'attachment; filename="{nom_fichier}"'
    return reponse
