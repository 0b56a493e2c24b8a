"""Several rows, each with its own values, written in one UPDATE statement; and such a
write sent with the next statement, in one round trip (ecritures_groupees)."""

import contextlib
import threading

from django.db import connection

_etat = threading.local()  # inside ecritures_groupees(): the writes waiting for a ride


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
    sql = f"UPDATE {nom(meta.db_table)} SET {', '.join(affectations)} WHERE {' AND '.join(filtres)}"
    en_attente = getattr(_etat, "passagers", None)
    if en_attente is not None and jeton is None and not conditions:  # no count to read
        en_attente.append((sql, parametres))
        return len(objets)
    with connection.cursor() as curseur:
        curseur.execute(sql, parametres)
        return curseur.rowcount


def plusieurs_par_appel(connexion) -> bool:
    """Whether the driver takes several statements in one execute(): psycopg 3's client-side
    binding cursor, Django's default on PostgreSQL (not with `server_side_binding`)."""
    if connexion.vendor != "postgresql":
        return False
    try:
        from psycopg import ClientCursor
    except ImportError:  # psycopg2
        return False
    connexion.ensure_connection()
    return issubclass(connexion.connection.cursor_factory, ClientCursor)


@contextlib.contextmanager
def ecritures_groupees():
    """Within the block, mettre_a_jour() does not send an unconditional UPDATE alone: it is
    appended to the block's next INSERT, so both make one round trip (the INSERT's result
    comes first, as its caller expects). Any other statement first sends the waiting writes
    on their own: a read sees them, a savepoint comes after them. Those left at the end of
    the block are sent then. Inside a transaction: an error in the INSERT fails both. Where
    the driver takes one statement per call, nothing changes."""
    if not plusieurs_par_appel(connection) or getattr(_etat, "passagers", None) is not None:
        yield
        return
    passagers: list[tuple[str, list]] = []

    def embarquer(execute, sql, parametres, many, context):
        if passagers:
            en_route = list(passagers)
            passagers.clear()
            if not many and parametres is not None and sql.startswith("INSERT"):
                sql = ";\n".join([sql, *(s for s, _ in en_route)])
                parametres = [*parametres, *(p for _, ps in en_route for p in ps)]
            else:
                for sql_seule, parametres_seuls in en_route:
                    execute(sql_seule, parametres_seuls, False, context)
        return execute(sql, parametres, many, context)

    _etat.passagers = passagers
    try:
        with connection.execute_wrapper(embarquer):
            yield
    finally:
        _etat.passagers = None
    for sql, parametres in passagers:  # no statement came after them
        with connection.cursor() as curseur:
            curseur.execute(sql, parametres)


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
