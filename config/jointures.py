"""Joins planned in the order Django writes them, for the queries where that order is the
right one.

PostgreSQL plans a query by trying every order of its joins (up to join_collapse_limit, 8).
The dossier pages load a dossier with its bénéficiaire, prestation, référent, équipe, phase
and financeur, scoped to the user's teams: eight tables. Measured on the load test's data,
PostgreSQL spends 9–15 ms planning the dossier header query and 38 ms planning the dossier
list query (a LIMIT makes it weigh more plans), and 0.2–0.6 ms running them: planning was
the largest single cost of every dossier page. Django writes the joins from the queried
table outwards along foreign keys, each joined row found by its primary key, which is the
plan PostgreSQL ends up choosing for these queries anyway; with join_collapse_limit = 1 it
keeps that order and plans in under a millisecond.
"""

import contextlib

from django.db import connection


@contextlib.contextmanager
def dans_l_ordre_ecrit():
    """Within the block, PostgreSQL keeps the join order of the SQL (other databases: no
    effect). Evaluate the querysets inside the block.

    Set on the driver's connection, not through a Django cursor: it is a planner setting, not
    a query, and does not count in the queries a page makes."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    connection.connection.execute("SET join_collapse_limit = 1")
    try:
        yield
    finally:
        # In an aborted transaction the RESET fails, and the rollback undoes the SET. (The
        # driver's own error: this connection is the driver's, not wrapped by Django.)
        with contextlib.suppress(connection.Database.Error):
            connection.connection.execute("RESET join_collapse_limit")
