"""Personal links other apps send (e.g. seances' signing links) through our channels."""

from notifications.canaux import Message, canal


def expedier(*, canal: str, cle: str, adresse: str, sujet: str, corps: str) -> str:
    return _canal(canal).envoyer(Message(cle=cle, adresse=adresse, sujet=sujet, corps=corps))


_canal = canal
