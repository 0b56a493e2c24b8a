"""Charts as SVG strings made on the server: the same markup serves the page and the PDF.

Hand-written (no JS, no CDN): grouped vertical bars and horizontal bars, with a <title>
per bar so the value is readable on hover and by screen readers; each chart sits next to
its table, which carries the exact figures.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

COULEURS = ("#1f4e8c", "#15803d", "#b91c1c", "#b45309", "#6b21a8", "#0e7490")


def _nombre(valeur) -> str:
    return f"{valeur:g}".replace(".", ",")


def barres_groupees(
    titre: str, etiquettes: list[str], series: list[tuple[str, list[float]]]
) -> SafeString:
    """Vertical bars, one group per label, one bar per series (e.g. entries and exits)."""
    largeur, hauteur, marge_g, marge_b, marge_h = 720, 260, 40, 48, 28
    maximum = max([v for _, valeurs in series for v in valeurs] + [1])
    zone_l = largeur - marge_g - 10
    zone_h = hauteur - marge_b - marge_h
    pas = zone_l / max(len(etiquettes), 1)
    barre = max(pas * 0.8 / max(len(series), 1), 1)
    parties = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {largeur} {hauteur}" '
        f'role="img" aria-label="{escape(titre)}" class="graphique-pilotage" width="100%">',
        f"<title>{escape(titre)}</title>",
        f'<line x1="{marge_g}" y1="{hauteur - marge_b}" x2="{largeur - 10}" '
        f'y2="{hauteur - marge_b}" stroke="#9ca3af"/>',
        f'<text x="{marge_g - 6}" y="{marge_h + 4}" text-anchor="end" font-size="11">'
        f"{_nombre(maximum)}</text>",
        f'<text x="{marge_g - 6}" y="{hauteur - marge_b}" text-anchor="end" '
        'font-size="11">0</text>',
    ]
    for i, etiquette in enumerate(etiquettes):
        x0 = marge_g + i * pas + pas * 0.1
        for j, (nom, valeurs) in enumerate(series):
            valeur = valeurs[i]
            h = zone_h * valeur / maximum
            parties.append(
                f'<rect x="{x0 + j * barre:.1f}" y="{hauteur - marge_b - h:.1f}" '
                f'width="{barre:.1f}" height="{h:.1f}" fill="{COULEURS[j % len(COULEURS)]}">'
                f"<title>{escape(etiquette)} — {escape(nom)} : {_nombre(valeur)}</title></rect>"
            )
        parties.append(
            f'<text x="{x0 + pas * 0.4:.1f}" y="{hauteur - marge_b + 14}" text-anchor="middle" '
            f'font-size="10">{escape(etiquette)}</text>'
        )
    for j, (nom, _) in enumerate(series):
        x = marge_g + j * 150
        parties.append(
            f'<rect x="{x}" y="{hauteur - 18}" width="12" height="12" '
            f'fill="{COULEURS[j % len(COULEURS)]}"/>'
            f'<text x="{x + 16}" y="{hauteur - 8}" font-size="11">{escape(nom)}</text>'
        )
    parties.append("</svg>")
    return mark_safe("".join(parties))  # noqa: S308 - every text above is escaped


def barres_horizontales(
    titre: str, lignes: list[tuple[str, float]], unite: str = "", couleurs: list[str] | None = None
) -> SafeString:
    """One horizontal bar per label (outcomes, rates per prestation)."""
    largeur, ligne_h, marge_g = 720, 22, 260
    hauteur = max(len(lignes), 1) * ligne_h + 20
    maximum = max([v for _, v in lignes] + [1])
    zone_l = largeur - marge_g - 70
    parties = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {largeur} {hauteur}" '
        f'role="img" aria-label="{escape(titre)}" class="graphique-pilotage" width="100%">',
        f"<title>{escape(titre)}</title>",
    ]
    for i, (etiquette, valeur) in enumerate(lignes):
        y = 10 + i * ligne_h
        w = zone_l * valeur / maximum
        texte = escape(etiquette if len(etiquette) <= 42 else etiquette[:40] + "…")
        parties.append(
            f'<text x="{marge_g - 6}" y="{y + 14}" text-anchor="end" font-size="11">{texte}</text>'
            f'<rect x="{marge_g}" y="{y + 3}" width="{w:.1f}" height="{ligne_h - 6}" '
            f'fill="{couleurs[i] if couleurs else COULEURS[i % len(COULEURS)]}">'
            f"<title>{escape(etiquette)} : "
            f"{_nombre(valeur)}{escape(unite)}</title></rect>"
            f'<text x="{marge_g + w + 4:.1f}" y="{y + 14}" font-size="11">'
            f"{_nombre(valeur)}{escape(unite)}</text>"
        )
    parties.append("</svg>")
    return mark_safe("".join(parties))  # noqa: S308 - every text above is escaped
