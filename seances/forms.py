from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from config import pieces
from config.saisie import SaisieNettoyee
from dossiers.droits import dossiers_visibles, equipes_de, voit_toutes_les_equipes
from dossiers.models import STATUTS_OUVERTS, Dossier
from seances.models import MotifAnnulation, Presence, TypeSeance
from seances.services import SaisiePresence

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
HEURE = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
TAILLE_JUSTIFICATIF = 5 * 1024 * 1024


def animateurs_possibles(user, dossier: Dossier):
    utilisateurs = get_user_model().objects.filter(is_active=True)
    if voit_toutes_les_equipes(user):
        return utilisateurs.order_by("last_name", "username")
    return (
        utilisateurs.filter(equipes__in={dossier.equipe_id, *equipes_de(user)})
        .distinct()
        .order_by("last_name", "username")
    )


class SeanceForm(SaisieNettoyee, forms.Form):
    type_seance = forms.ModelChoiceField(
        label="Type de séance", queryset=TypeSeance.objects.none(), empty_label="— choisir —"
    )
    date = forms.DateField(label="Date", widget=DATE)
    heure_debut = forms.TimeField(label="Heure de début", widget=HEURE)
    heure_fin = forms.TimeField(label="Heure de fin", widget=HEURE)
    lieu = forms.CharField(label="Lieu", required=False, max_length=200)
    a_distance = forms.BooleanField(label="À distance", required=False)
    animateur = forms.ModelChoiceField(label="Animateur", queryset=None)
    autres_dossiers = forms.ModelMultipleChoiceField(
        label="Autres participants (séance collective)",
        queryset=Dossier.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Bénéficiaires de la même prestation, dossiers ouverts.",
    )
    commentaire = forms.CharField(
        label="Commentaire", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, dossier: Dossier, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        self.fields["type_seance"].queryset = TypeSeance.objects.filter(
            prestation_id=dossier.prestation_id, actif=True
        ).order_by("ordre", "libelle")
        self.fields["animateur"].queryset = animateurs_possibles(user, dossier)
        self.fields["autres_dossiers"].queryset = (
            dossiers_visibles(user)
            .filter(prestation_id=dossier.prestation_id, statut__in=STATUTS_OUVERTS)
            .exclude(pk=dossier.pk)
            .select_related("beneficiaire")
            .order_by("beneficiaire__nom", "beneficiaire__prenom")
        )
        self.fields["autres_dossiers"].label_from_instance = lambda d: str(d.beneficiaire)
        self.fields["animateur"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["date"].initial = timezone.localdate()


class ModificationSeanceForm(SaisieNettoyee, forms.Form):
    date = forms.DateField(label="Date", widget=DATE)
    heure_debut = forms.TimeField(label="Heure de début", widget=HEURE)
    heure_fin = forms.TimeField(label="Heure de fin", widget=HEURE)
    lieu = forms.CharField(label="Lieu", required=False, max_length=200)
    a_distance = forms.BooleanField(label="À distance", required=False)
    animateur = forms.ModelChoiceField(label="Animateur", queryset=None)
    commentaire = forms.CharField(
        label="Commentaire", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, seance, user, **kwargs):
        super().__init__(*args, **kwargs)
        dossier = seance.participations.all()[0].dossier
        possibles = animateurs_possibles(user, dossier).values("pk")
        self.fields["animateur"].queryset = (
            get_user_model()
            .objects.filter(Q(pk__in=possibles) | Q(pk=seance.animateur_id))
            .order_by("last_name", "username")
        )
        self.fields["animateur"].label_from_instance = lambda u: u.get_full_name() or u.username


class PresencesForm(SaisieNettoyee, forms.Form):
    """One row per participant: presence, lateness, early departure, motif, justificatif."""

    def __init__(self, *args, participations, correction: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.participations = participations
        for p in participations:
            self.fields[f"presence-{p.pk}"] = forms.ChoiceField(
                label=f"Présence de {p.dossier.beneficiaire}",
                choices=Presence.choices,
                initial=p.presence or Presence.PRESENT,
                widget=forms.RadioSelect,
            )
            qui = p.dossier.beneficiaire
            self.fields[f"retard-{p.pk}"] = forms.IntegerField(
                label="Retard (min)",
                min_value=0,
                initial=p.retard_minutes,
                required=False,
                widget=forms.NumberInput(attrs={"aria-label": f"Retard de {qui} (minutes)"}),
            )
            self.fields[f"depart-{p.pk}"] = forms.IntegerField(
                label="Départ anticipé (min)",
                min_value=0,
                initial=p.depart_anticipe_minutes,
                required=False,
                widget=forms.NumberInput(
                    attrs={"aria-label": f"Départ anticipé de {qui} (minutes)"}
                ),
            )
            self.fields[f"motif-{p.pk}"] = forms.CharField(
                label="Motif",
                max_length=250,
                required=False,
                initial=p.motif,
                widget=forms.TextInput(attrs={"aria-label": f"Motif pour {qui}"}),
            )
            self.fields[f"justificatif-{p.pk}"] = forms.FileField(
                label="Justificatif",
                required=False,
                help_text=f"{pieces.AUTORISES}, 5 Mo au plus.",
                widget=forms.FileInput(attrs={"aria-label": f"Justificatif de {qui}"}),
            )
        if correction:
            self.fields["raison"] = forms.CharField(
                label="Raison de la correction",
                max_length=500,
                help_text="Conservée dans l'historique de la séance.",
            )

    def lignes(self):
        return [
            {
                "participation": p,
                "presence": self[f"presence-{p.pk}"],
                "retard": self[f"retard-{p.pk}"],
                "depart": self[f"depart-{p.pk}"],
                "motif": self[f"motif-{p.pk}"],
                "justificatif": self[f"justificatif-{p.pk}"],
            }
            for p in self.participations
        ]

    def clean(self):
        donnees = super().clean()
        for p in self.participations:
            fichier = donnees.get(f"justificatif-{p.pk}")
            if not fichier:
                continue
            if fichier.size > TAILLE_JUSTIFICATIF:
                self.add_error(f"justificatif-{p.pk}", "Le justificatif dépasse 5 Mo.")
                continue
            contenu = fichier.read()
            fichier.seek(0)
            try:
                pieces.verifier(fichier.name, contenu)
            except ValidationError as exc:
                self.add_error(f"justificatif-{p.pk}", exc.message_dict["fichier"])
        return donnees

    def presences(self) -> dict:
        d = self.cleaned_data
        return {
            p.pk: SaisiePresence(
                presence=d[f"presence-{p.pk}"],
                retard_minutes=d.get(f"retard-{p.pk}") or 0,
                depart_anticipe_minutes=d.get(f"depart-{p.pk}") or 0,
                motif=d.get(f"motif-{p.pk}") or "",
                justificatif=d.get(f"justificatif-{p.pk}"),
            )
            for p in self.participations
        }


class AnnulationForm(SaisieNettoyee, forms.Form):
    motif = forms.ModelChoiceField(
        label="Motif d'annulation",
        queryset=MotifAnnulation.objects.filter(actif=True),
        empty_label="— choisir —",
    )
    commentaire = forms.CharField(label="Commentaire", required=False, max_length=500)


class SignatureForm(SaisieNettoyee, forms.Form):
    # A PNG data URL: base64 (4/3 of the image's size limit) behind its short prefix.
    signature = forms.CharField(
        widget=forms.HiddenInput,
        required=False,
        max_length=settings.EMARGEMENT_IMAGE_MAX_OCTETS * 4 // 3 + 100,
    )


class CorrectionSignatureForm(SignatureForm):
    raison = forms.CharField(
        label="Raison de la correction",
        max_length=500,
        help_text="Conservée avec la nouvelle signature ; l'originale n'est pas modifiée.",
    )


class LienForm(SaisieNettoyee, forms.Form):
    canal = forms.ChoiceField(
        label="Envoyer par", choices=[("email", "E-mail"), ("sms", "SMS")], initial="email"
    )
