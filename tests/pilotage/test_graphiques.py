"""Server-made SVG charts: readable values, escaped labels (a motif is admin-typed text)."""

from pilotage import graphiques


def test_libelles_echappes_et_valeurs_lisibles():
    svg = graphiques.barres_horizontales(
        "Sorties", [("<script>alert(1)</script>", 3), ("Emploi", 12.5)], unite=" %"
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "12,5 %" in svg
    assert svg.count("<rect") == 2


def test_barres_groupees_une_barre_par_serie_et_par_mois():
    svg = graphiques.barres_groupees(
        "Entrées et sorties", ["janv.", "févr."], [("Entrées", [4, 0]), ("Sorties", [1, 2])]
    )
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert svg.count("<title>janv. — Entrées : 4</title>") == 1
    assert svg.count("<rect") == 4 + 2  # four bars, two legend keys
