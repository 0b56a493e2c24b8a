"""The "Calcul final des indicateurs" action kind: at an exit event, freeze the figures."""

from django.utils import timezone

from evenements.models import ActionDeclenchee


class NatureCalculFinal:
    code = "calcul_final"
    libelle = "Calcul final des indicateurs"
    parametres = "calculfinal"

    def decrire(self, configuration, dossier=None) -> str:
        return "calculer et figer les durées, heures réalisées et taux du parcours"

    def executer(self, action: ActionDeclenchee) -> str:
        from dossiers.models import Dossier
        from seances.models import IndicateursFinaux
        from seances.selectors import indicateurs_du_dossier

        dossier = Dossier.objects.get(pk=action.evenement.dossier_id)
        total = indicateurs_du_dossier(dossier)["total"]
        valeurs = total.en_dict()
        valeurs["duree_jours"] = dossier.duree_jours()
        IndicateursFinaux.objects.update_or_create(
            action=action,
            defaults={"dossier": dossier, "valeurs": valeurs, "calcule_le": timezone.now()},
        )
        presence = "—" if total.taux_presence is None else f"{total.taux_presence} %"
        realisees = str(total.heures_realisees).replace(".", ",")
        prevues = str(total.heures_prevues).replace(".", ",")
        return (
            f"Heures réalisées : {realisees} h sur {prevues} h prévues ; "
            f"taux de présence : {presence}"
        )

    def compensation(self, action: ActionDeclenchee) -> str:
        return "Recalculer les indicateurs finaux"

    def compenser(self, action: ActionDeclenchee, correction) -> str:
        return self.executer(correction)
