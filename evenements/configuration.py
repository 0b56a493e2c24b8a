"""The configuration every recording reads — which types a prestation offers, a type's
extra fields, a prestation's phases, the actions a type triggers — kept per process.

Safe invalidation: the database renews a token on every write to those tables (triggers,
migration 0011: the admin, queryset updates and raw SQL alike). A recording reads the token
in the same statement as its row lock (`avec_jeton`) and uses the snapshot kept for that
token; any other token starts an empty one. Without a token (another database, or the row
emptied by a flush) nothing is kept: every read goes to the database.

A snapshot is filled lazily, one query per item on first use, and shared read-only: what
it holds is never handed to callers (see `attacher_champs`).
"""

from django.db.models import Q, QuerySet, Subquery

from dossiers.models import Phase
from evenements.models import ActionConfiguree, ChampSupplementaire, JetonConfiguration

__all__ = ["Configuration", "avec_jeton", "courante", "pour"]


def avec_jeton(dossiers: QuerySet) -> QuerySet:
    """The queryset with `jeton_configuration`: one scalar subquery, no extra round trip."""
    return dossiers.annotate(
        jeton_configuration=Subquery(JetonConfiguration.objects.filter(pk=1).values("jeton"))
    )


class Configuration:
    def __init__(self, jeton: str | None):
        self.jeton = jeton
        self._offerts: dict[int, frozenset[int]] = {}
        self._champs: dict[int, list[ChampSupplementaire]] = {}
        self._phases: dict[int, list[Phase]] = {}
        self._actions: dict[int, list[ActionConfiguree]] = {}

    def types_offerts(self, prestation_id: int) -> frozenset[int]:
        """Ids of the active types offered for the prestation (see types_disponibles)."""
        if prestation_id not in self._offerts:
            from evenements.models import TypeEvenement

            offerts_a_la_prestation = TypeEvenement.prestations.through.objects.filter(
                prestation_id=prestation_id
            ).values("typeevenement_id")
            self._offerts[prestation_id] = frozenset(
                TypeEvenement.objects.filter(actif=True)
                .filter(Q(toutes_prestations=True) | Q(pk__in=offerts_a_la_prestation))
                .values_list("pk", flat=True)
            )
        return self._offerts[prestation_id]

    def champs(self, type_id: int) -> list[ChampSupplementaire]:
        if type_id not in self._champs:
            self._champs[type_id] = list(
                ChampSupplementaire.objects.filter(type_evenement_id=type_id)
            )
        return self._champs[type_id]

    def attacher_champs(self, type_evenement) -> None:
        """Give the caller's type its fields, as prefetch_related("champs") would (unless it
        has them already): the kept field rows, in a list of its own."""
        cache = getattr(type_evenement, "_prefetched_objects_cache", None)
        if cache is None:
            cache = type_evenement._prefetched_objects_cache = {}
        if "champs" in cache:
            return
        champs = type_evenement.champs.all()
        champs._result_cache = list(self.champs(type_evenement.pk))
        champs._prefetch_done = True
        cache["champs"] = champs

    def phases(self, prestation_id: int) -> list[Phase]:
        """The prestation's phases in their order (as dossier.prestation.phases.all())."""
        if prestation_id not in self._phases:
            self._phases[prestation_id] = list(Phase.objects.filter(prestation_id=prestation_id))
        return list(self._phases[prestation_id])

    def actions(self, type_id: int) -> list[ActionConfiguree]:
        """The active configured actions of a type (base rows: kind, date rules, order)."""
        if type_id not in self._actions:
            self._actions[type_id] = list(
                ActionConfiguree.objects.filter(type_evenement_id=type_id, actif=True)
            )
        return list(self._actions[type_id])


_courante = Configuration(None)


def courante() -> Configuration | None:
    """The snapshot this process used last (None before the first): the likely one."""
    return _courante if _courante.jeton is not None else None


def pour(jeton: str | None) -> Configuration:
    """The snapshot for this token (a fresh, unkept one when there is no token)."""
    global _courante
    if jeton is None:
        return Configuration(None)
    courante = _courante
    if courante.jeton != jeton:
        courante = _courante = Configuration(jeton)
    return courante
