"""The Séances tab and the indicators card of the dossier's Résumé."""

from dossiers.extensions import Onglet, SectionResume, enregistrer_onglet, enregistrer_section


def _indicateurs(request, dossier):
    from evenements.selectors import histoire_de_la_page
    from seances import graphique
    from seances.selectors import indicateurs_du_dossier

    donnees = indicateurs_du_dossier(dossier, histoire=histoire_de_la_page(request, dossier))
    donnees["graphique"] = graphique.heures_par_phase(donnees["phases"])
    return donnees


def enregistrer() -> None:
    enregistrer_onglet(
        Onglet("seances", "Séances", "seances:onglet", ordre=20, permission="seances.view_seance")
    )
    enregistrer_section(
        SectionResume("indicateurs", "seances/_resume_indicateurs.html", _indicateurs, ordre=5)
    )
