"""The per-phase chart: long phase names stay readable and never overlap."""

from types import SimpleNamespace

from seances.graphique import LARGEUR_CARACTERE, heures_par_phase


def _phase(libelle, prevues, realisees):
    chiffres = SimpleNamespace(minutes_prevues=prevues, minutes_realisees=realisees)
    return SimpleNamespace(libelle=libelle, chiffres=chiffres)


def _etendue(x, texte):
    demi = len(texte) * LARGEUR_CARACTERE / 2
    return x - demi, x + demi


def test_les_libelles_longs_ne_se_chevauchent_pas_et_restent_dans_le_dessin():
    phases = [
        _phase("Diagnostic approfondi des compétences", 600, 300),
        _phase("Construction du projet professionnel", 480, 480),
        _phase("Mise en situation en entreprise", 300, 0),
        _phase("Accompagnement vers l'emploi durable", 120, 60),
    ]
    g = heures_par_phase(phases)
    etiquettes = g["etiquettes"]
    assert [complet for *_, complet in etiquettes] == [p.libelle for p in phases]
    for x, _, texte, _ in etiquettes:
        gauche, droite = _etendue(x, texte)
        assert gauche >= 0 and droite <= g["largeur"], texte
        assert g["hauteur"] > max(y for _, y, _, _ in etiquettes)
    lignes = [y for _, y, _, _ in etiquettes]
    assert all(a != b for a, b in zip(lignes, lignes[1:], strict=False))  # neighbours alternate
    for (x1, y1, t1, _), (x2, y2, t2, _) in zip(etiquettes, etiquettes[2:], strict=False):
        assert y1 == y2 and _etendue(x1, t1)[1] < _etendue(x2, t2)[0], (t1, t2)
    assert etiquettes[0][2].endswith("…")


def test_un_libelle_court_est_garde_entier():
    g = heures_par_phase([_phase("Accueil", 60, 30)])
    assert g["etiquettes"][0][2] == "Accueil"
