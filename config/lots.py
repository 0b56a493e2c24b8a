"""Several rows, each with its own values, written in one UPDATE statement."""

from django.db import connection


def mettre_a_jour(objets: list, champs, *, jeton: str | None = None, **conditions) -> int:
    """Each object's own values of `champs`, in one statement: what bulk_update writes,
    without the transaction it opens (alone, one statement commits on its own) and without
    building Case/When expressions, which costs more Python than the round trip.
    `conditions`: field = value, required of each row as well (e.g. still claimed);
    `jeton`: a field whose value in the database must still be each object's own (a row
    someone else took over since is left alone). Returns the number of rows written."""
    meta = type(objets[0])._meta
    nom = connection.ops.quote_name
    cle = nom(meta.pk.column)
    affectations, parametres = [], []
    for champ in sorted((meta.get_field(c) for c in champs), key=lambda c: c.name):
        cas, valeurs = _par_ligne(cle, objets, champ)
        affectations.append(f"{nom(champ.column)} = {cas}")
        parametres += valeurs
    filtres = [f"{cle} IN ({', '.join(['%s'] * len(objets))})"]
    parametres += [objet.pk for objet in objets]
    if jeton is not None:
        champ = meta.get_field(jeton)
        cas, valeurs = _par_ligne(cle, objets, champ)
        filtres.append(f"{nom(champ.column)} = {cas}")
        parametres += valeurs
    for nom_champ, valeur in conditions.items():
        champ = meta.get_field(nom_champ)
        filtres.append(f"{nom(champ.column)} = %s")
        parametres.append(champ.get_db_prep_save(valeur, connection))
    with connection.cursor() as curseur:
        curseur.execute(
            f"UPDATE {nom(meta.db_table)} SET {', '.join(affectations)} "
            f"WHERE {' AND '.join(filtres)}",
            parametres,
        )
        return curseur.rowcount


def _par_ligne(cle: str, objets: list, champ) -> tuple[str, list]:
    """`CASE pk WHEN … THEN … END` of each object's own value, and its parameters."""
    cas = f"CASE {cle} {' '.join(['WHEN %s THEN %s'] * len(objets))} END"
    if connection.features.requires_casted_case_in_updates:  # PostgreSQL: else typed text
        cas = f"CAST({cas} AS {champ.db_type(connection)})"
    parametres = []
    for objet in objets:
        valeur = champ.get_db_prep_save(getattr(objet, champ.attname), connection)
        parametres += [objet.pk, valeur]
    return cas, parametres
