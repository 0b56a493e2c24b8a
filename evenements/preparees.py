"""Hot read statements of the recording path, compiled once per process.

Building a queryset's SQL costs more Python than the round trip it makes (issue 12). These
statements keep one shape and change only one value (a primary key): the ORM compiles each
the first time, later calls send the same SQL with the new value and map the rows as the
queryset would (same instances, same converters, same captured queries). Never for a
statement whose shape depends on the call.
"""

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError

from config.lots import plusieurs_par_appel

# Stands for the value while compiling: it must appear exactly once in the parameters.
_VALEUR = -918_273_645


class _Compilee:
    def __init__(self, requete: QuerySet, alias: str):
        compilateur = requete.query.get_compiler(using=alias)
        self.sql, parametres = compilateur.as_sql()
        if list(parametres).count(_VALEUR) != 1:
            raise ValueError("la valeur doit paraître une seule fois dans la requête")
        self.parametres = list(parametres)
        self.position = self.parametres.index(_VALEUR)
        self.select = compilateur.select
        self.klass_info = compilateur.klass_info
        self.annotations = compilateur.annotation_col_map
        self.convertisseurs = compilateur.get_converters([s[0] for s in self.select])
        self.compilateur = compilateur
        # As the ORM: a lock needs a transaction, where the database has row locks.
        self.verrou = (
            requete.query.select_for_update and connections[alias].features.has_select_for_update
        )
        if self.klass_info is not None:
            champs = self.klass_info["select_fields"]
            self.debut, self.fin = champs[0], champs[-1] + 1
            self.noms = [s[0].target.attname for s in self.select[self.debut : self.fin]]
            self.liees = get_related_populators(self.klass_info, self.select, alias)

    def parametres_pour(self, valeur, connexion) -> list:
        if self.verrou and connexion.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        parametres = list(self.parametres)
        parametres[self.position] = valeur
        return parametres

    def convertir(self, lignes: list) -> list:
        if self.convertisseurs:
            converties = self.compilateur.apply_converters(lignes, self.convertisseurs)
            lignes = [tuple(ligne) for ligne in converties]
        return lignes


class Preparee:
    """`fabrique(valeur)`: the queryset, filtered on `valeur` (built once per database)."""

    def __init__(self, fabrique: Callable[[Any], QuerySet]):
        self.fabrique = fabrique
        self._compilees: dict[str, _Compilee] = {}

    def _compilee(self, alias: str) -> _Compilee:
        compilee = self._compilees.get(alias)
        if compilee is None:
            compilee = self._compilees[alias] = _Compilee(self.fabrique(_VALEUR), alias)
        return compilee

    def lignes(self, valeur, alias: str = "default") -> list[tuple]:
        """The rows, as values_list() gives them."""
        return lire_ensemble([(self, valeur)], alias)[0]

    def objets(self, valeur, alias: str = "default") -> list:
        """The model instances, as iterating the queryset gives them (select_related and
        annotations included)."""
        return self.instancier(self.lignes(valeur, alias), alias)

    def instancier(self, lignes: list[tuple], alias: str = "default") -> list:
        """Model instances from rows this statement returned (see lire_ensemble)."""
        compilee = self._compilee(alias)
        modele = compilee.klass_info["model"]
        objets = []
        for ligne in lignes:
            objet = modele.from_db(alias, compilee.noms, ligne[compilee.debut : compilee.fin])
            for liee in compilee.liees:
                liee.populate(ligne, objet)
            for nom, position in compilee.annotations.items():
                setattr(objet, nom, ligne[position])
            objets.append(objet)
        return objets


def lire_ensemble(lectures: list[tuple[Preparee, Any]], alias: str = "default") -> list[list]:
    """The rows of several prepared reads, each with its value, in one round trip where the
    driver allows several statements in one call (psycopg's client-side binding, Django's
    default on PostgreSQL); one call each elsewhere. The server runs them one after the
    other, each with a snapshot of its own: a read placed after a row lock sees whatever the
    lock waited for."""
    connexion = connections[alias]
    compilees = [preparee._compilee(alias) for preparee, _ in lectures]
    requetes = [
        (compilee.sql, compilee.parametres_pour(valeur, connexion))
        for compilee, (_, valeur) in zip(compilees, lectures, strict=True)
    ]
    resultats = []
    with connexion.cursor() as curseur:
        if len(requetes) > 1 and plusieurs_par_appel(connexion):
            curseur.execute(
                ";\n".join(sql for sql, _ in requetes), [p for _, ps in requetes for p in ps]
            )
            resultats.append(curseur.fetchall())
            while curseur.nextset():
                resultats.append(curseur.fetchall())
        else:
            for sql, parametres in requetes:
                curseur.execute(sql, parametres)
                resultats.append(curseur.fetchall())
    return [c.convertir(lignes) for c, lignes in zip(compilees, resultats, strict=True)]
