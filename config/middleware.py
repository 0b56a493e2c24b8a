"""NUL bytes never reach a view.

PostgreSQL refuses NUL in text ("A string literal cannot contain NUL"), so a %00 in an admin
search, a list filter or an autocomplete term was a 500. No one types a NUL: it comes from a
bug or a probe. Stripping it here, once, covers every view present and future (admin and
third-party included); forms normalise the other control characters (config.saisie).
A NUL in the path is a 404; cookies carrying one are dropped (the session cookie is looked
up in the database).
"""

from django.http import Http404, QueryDict

NUL = "\x00"


def _contient_nul(donnees: QueryDict) -> bool:
    return any(NUL in cle or any(NUL in v for v in valeurs) for cle, valeurs in donnees.lists())


def _sans_nul(donnees: QueryDict) -> QueryDict:
    propre = QueryDict(mutable=True, encoding=donnees.encoding)
    for cle, valeurs in donnees.lists():
        propre.setlist(cle.replace(NUL, ""), [v.replace(NUL, "") for v in valeurs])
    propre._mutable = False
    return propre


class SansOctetNul:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info:
            raise Http404("Adresse invalide.")
        if _contient_nul(request.GET):
            request.GET = _sans_nul(request.GET)
        if request.method == "POST" and _contient_nul(request.POST):
            request.POST = _sans_nul(request.POST)
        for nom in [n for n, v in request.COOKIES.items() if NUL in n or NUL in v]:
            del request.COOKIES[nom]
        return self.get_response(request)
