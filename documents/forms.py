from django import forms

from documents import services
from documents.models import Document


class GenerationForm(forms.Form):
    modele = forms.ModelChoiceField(
        label="Modèle de document",
        queryset=None,
        empty_label="— choisir —",
        error_messages={"required": "Choisissez un modèle.", "invalid_choice": "Modèle inconnu."},
    )

    def __init__(self, *args, dossier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["modele"].queryset = services.modeles_pour(dossier)


class DepotForm(forms.Form):
    type_piece = forms.ChoiceField(
        label="Type de pièce",
        choices=[("", "— choisir —"), *Document.TypePiece.choices],
        error_messages={"required": "Choisissez le type de pièce."},
    )
    titre = forms.CharField(label="Titre", max_length=200, required=False)
    fichier = forms.FileField(
        label="Fichier",
        help_text="PDF, PNG, JPEG, ODT ou DOCX.",
        error_messages={"required": "Choisissez un fichier.", "empty": "Le fichier est vide."},
    )


class EnvoiForm(forms.Form):
    destinataire = forms.ChoiceField(
        label="Envoyer par e-mail à",
        choices=services.DESTINATAIRES,
        error_messages={"required": "Choisissez un destinataire."},
    )


class RaisonForm(forms.Form):
    raison = forms.CharField(
        label="Raison",
        max_length=300,
        error_messages={"required": "Indiquez la raison."},
    )
