"""Demo reports: one monthly report per demo financeur, so the Rapports page is not empty.

Called by `charger_demo`. Inactive (beat never sends them) and addressed to the financeur's
reserved `.invalid` contacts, which `envois` refuses to send off the machine anyway.
"""

from pilotage.models import Periodicite, RapportConfiguration


def preparer(*, financeurs) -> list[RapportConfiguration]:
    configurations = []
    for financeur in financeurs:
        configuration, _ = RapportConfiguration.objects.get_or_create(
            financeur=financeur,
            convention=None,
            periodicite=Periodicite.MENSUELLE,
            defaults={"destinataires": financeur.emails_contact.strip(), "actif": False},
        )
        configurations.append(configuration)
    return configurations
