"""What a financeur report contains for a period: figures, lines, correctifs, attachments.

A report's figures are computed once, when it is first built, and stored on its outbox row
(`EnvoiRapport.instantane`): a retry re-sends the same figures, and a closed period is
never silently rewritten. A later correction of an event in an already-reported period
shows up in the next report as a "correctif" (before → after), then becomes the baseline.
"""

import datetime

from documents.rendu import rendre_html, rendre_pdf
from dossiers.models import Dossier
from pilotage import agregats, csv_export, graphiques, heures
from pilotage.filtres import Periode, finances_par
from pilotage.lignes import COLONNES_RAPPORT, lignes_rapport
from pilotage.models import EnvoiRapport, Periodicite, RapportConfiguration

# Fields of a line compared for correctifs, with their label.
CHAMPS_SUIVIS = {
    "statut": "Statut en fin de période",
    "date_entree": "Date d'entrée",
    "date_sortie": "Date de sortie",
    "motif": "Type de sortie ou motif",
    "heures_realisees": "Heures réalisées",
}
HORIZON_CORRECTIFS = 12  # earlier periods re-checked for corrections
LIGNES_PDF_MAX = 200  # dossier lines in the PDF; the CSV always has them all


def periode_close(periodicite: str, aujourd_hui: datetime.date) -> Periode:
    """The last period fully over on `aujourd_hui`."""
    if periodicite == Periodicite.HEBDOMADAIRE:
        lundi = aujourd_hui - datetime.timedelta(days=aujourd_hui.weekday() + 7)
        return Periode(lundi, lundi + datetime.timedelta(days=6))
    if periodicite == Periodicite.MENSUELLE:
        fin = aujourd_hui.replace(day=1) - datetime.timedelta(days=1)
        return Periode(fin.replace(day=1), fin)
    debut_trimestre = aujourd_hui.replace(month=(aujourd_hui.month - 1) // 3 * 3 + 1, day=1)
    fin = debut_trimestre - datetime.timedelta(days=1)
    return Periode(fin.replace(month=(fin.month - 1) // 3 * 3 + 1, day=1), fin)


def dossiers_du_financeur(configuration: RapportConfiguration):
    """Every team's dossiers funded by the financeur: the report is the financeur's view;
    a per-convention report keeps only the dossiers financed under that convention."""
    dossiers = Dossier.objects.filter(financeur_id=configuration.financeur_id)
    if configuration.convention_id:
        dossiers = finances_par(dossiers, configuration.convention_id)
    return dossiers


def _json(valeur):
    return valeur.isoformat() if isinstance(valeur, datetime.date) else valeur


def calculer(configuration: RapportConfiguration, periode: Periode) -> dict:
    """The figures of a period, JSON-ready (what is stored and sent)."""
    dossiers = dossiers_du_financeur(configuration)
    mois = agregats.par_mois(dossiers, periode)
    return {
        "debut": periode.debut.isoformat(),
        "fin": periode.fin.isoformat(),
        "totaux": agregats.totaux(dossiers, periode),
        "heures": heures.totaux(dossiers, periode),
        "prestations": agregats.par_prestation(dossiers, periode),
        "sorties": agregats.sorties_par_motif(dossiers, periode),
        "mois": [{**m, "mois": m["mois"].isoformat()} for m in mois],
        "lignes": [
            {k: _json(v) for k, v in ligne.items()} for ligne in lignes_rapport(dossiers, periode)
        ],
    }


def _par_dossier(lignes: list[dict]) -> dict[str, dict]:
    return {str(ligne["dossier"]): ligne for ligne in lignes}


def _reference(envoi: EnvoiRapport, suivants: list[EnvoiRapport]) -> dict[str, dict]:
    """What the financeur was last told about `envoi`'s period: its lines, updated by the
    correctifs sent since."""
    lignes = _par_dossier(envoi.instantane["lignes"])
    for suivant in suivants:
        for correctif in suivant.correctifs:
            if correctif["debut"] != envoi.debut.isoformat():
                continue
            if correctif["apres_ligne"] is None:
                lignes.pop(str(correctif["dossier"]), None)
            else:
                lignes[str(correctif["dossier"])] = correctif["apres_ligne"]
    return lignes


def correctifs(configuration: RapportConfiguration, avant: datetime.date) -> list[dict]:
    """Differences between what was sent for earlier periods and what the events say now."""
    envoyes = list(
        configuration.envois.filter(etat=EnvoiRapport.Etat.ENVOYE, debut__lt=avant)
        .exclude(instantane__isnull=True)
        .order_by("-debut")[:HORIZON_CORRECTIFS]
    )
    envoyes.reverse()
    sortie = []
    dossiers = dossiers_du_financeur(configuration)
    for i, envoi in enumerate(envoyes):
        periode = Periode(envoi.debut, envoi.fin)
        reference = _reference(envoi, envoyes[i + 1 :])
        actuelles = _par_dossier(
            [{k: _json(v) for k, v in ligne.items()} for ligne in lignes_rapport(dossiers, periode)]
        )
        for cle in sorted(set(reference) | set(actuelles), key=int):
            ancienne, nouvelle = reference.get(cle), actuelles.get(cle)
            if ancienne == nouvelle:
                continue
            ligne = nouvelle or ancienne
            differences = [
                {
                    "champ": libelle,
                    "avant": (ancienne or {}).get(c),
                    "apres": (nouvelle or {}).get(c),
                }
                for c, libelle in CHAMPS_SUIVIS.items()
                if (ancienne or {}).get(c) != (nouvelle or {}).get(c)
            ]
            if not differences:
                continue
            sortie.append(
                {
                    "debut": envoi.debut.isoformat(),
                    "fin": envoi.fin.isoformat(),
                    "dossier": int(cle),
                    "beneficiaire": f"{ligne['nom'].upper()} {ligne['prenom']}",
                    "differences": differences,
                    "apres_ligne": nouvelle,
                }
            )
    return sortie


def perimetre(configuration: RapportConfiguration) -> str:
    """The financeur, and the convention when the report covers only that one."""
    if configuration.convention_id:
        return f"{configuration.financeur} (convention {configuration.convention.numero})"
    return str(configuration.financeur)


def nom_fichier(envoi: EnvoiRapport, extension: str) -> str:
    financeur = envoi.configuration.financeur_id
    if envoi.configuration.convention_id:
        financeur = f"{financeur}-c{envoi.configuration.convention_id}"
    return f"rapport-{financeur}-{envoi.debut:%Y%m%d}-{envoi.fin:%Y%m%d}.{extension}"


def csv_du_rapport(instantane: dict) -> str:
    """One line per dossier, the columns of lignes.COLONNES_RAPPORT."""
    lignes = [
        [_date(ligne[c]) if c.startswith("date") else ligne[c] for c, _ in COLONNES_RAPPORT]
        for ligne in instantane["lignes"]
    ]
    return csv_export.contenu([libelle for _, libelle in COLONNES_RAPPORT], lignes)


def _date(valeur):
    return datetime.date.fromisoformat(valeur) if valeur else None


def contexte(configuration: RapportConfiguration, instantane: dict, correctifs_: list) -> dict:
    mois = instantane["mois"]
    graphique = graphiques.barres_groupees(
        "Entrées et sorties par mois",
        [_date(m["mois"]).strftime("%m/%Y") for m in mois],
        [("Entrées", [m["entrees"] for m in mois]), ("Sorties", [m["sorties"] for m in mois])],
    )
    lignes = [
        {
            **ligne,
            "date_entree": _date(ligne["date_entree"]),
            "date_sortie": _date(ligne["date_sortie"]),
        }
        for ligne in instantane["lignes"]
    ]
    periode = Periode(_date(instantane["debut"]), _date(instantane["fin"]))
    # The PDF lists the dossiers with a movement in the period (WeasyPrint lays out a few
    # hundred lines a second); every dossier is in the CSV.
    mouvements = [
        ligne
        for ligne in lignes
        if (ligne["date_entree"] and ligne["date_entree"] >= periode.debut) or ligne["date_sortie"]
    ]
    return {
        "configuration": configuration,
        "financeur": configuration.financeur,
        "convention": configuration.convention,
        "periode": periode,
        "totaux": instantane["totaux"],
        "heures": instantane.get("heures"),
        "prestations": instantane["prestations"],
        "sorties": instantane["sorties"],
        "graphique": graphique if configuration.graphique else "",
        "lignes": mouvements[:LIGNES_PDF_MAX] if configuration.lignes_par_dossier else [],
        "lignes_omises": max(len(mouvements) - LIGNES_PDF_MAX, 0),
        "nb_dossiers": len(lignes),
        "correctifs": [
            {**c, "debut": _date(c["debut"]), "fin": _date(c["fin"])} for c in correctifs_
        ],
    }


def html(configuration: RapportConfiguration, instantane: dict, correctifs_: list) -> str:
    """The report's HTML (documents renderer: organisation identity, fonts): the Aperçu
    shows it, the PDF is made from it."""
    return rendre_html(
        "pilotage/pdf/rapport.html", contexte(configuration, instantane, correctifs_)
    )


def pieces_jointes(envoi: EnvoiRapport) -> list[tuple[str, bytes, str]]:
    """(name, content, mimetype) of the e-mail's attachments."""
    pieces = [
        (nom_fichier(envoi, "csv"), csv_du_rapport(envoi.instantane).encode("utf-8"), "text/csv")
    ]
    pdf = rendre_pdf(html(envoi.configuration, envoi.instantane, envoi.correctifs))
    pieces.append((nom_fichier(envoi, "pdf"), pdf, "application/pdf"))
    return pieces


def texte_du_message(envoi: EnvoiRapport) -> str:
    colonnes = ", ".join(libelle for _, libelle in COLONNES_RAPPORT)
    totaux = envoi.instantane["totaux"]
    lignes = [
        "Bonjour,",
        "",
        f"Veuillez trouver ci-joint le rapport de la période "
        f"{Periode(envoi.debut, envoi.fin)} pour {perimetre(envoi.configuration)}.",
        "",
        f"Entrées : {totaux['entrees']} · Sorties positives : {totaux['sorties_positives']} · "
        f"Abandons : {totaux['abandons']} · Ruptures : {totaux['ruptures']} · "
        f"En cours en fin de période : {totaux['en_cours']}",
    ]
    if envoi.correctifs:
        lignes += [
            "",
            f"Correctifs : {len(envoi.correctifs)} dossier(s) d'une période déjà transmise "
            "ont été corrigés depuis (détail dans le PDF).",
        ]
    lignes += [
        "",
        f"Le fichier CSV (UTF-8, séparateur « ; ») contient une ligne par dossier : {colonnes}.",
        "",
        "Ce message est envoyé automatiquement par Parcours.",
    ]
    return "\n".join(lignes)
