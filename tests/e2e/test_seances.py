"""A collective séance in a real browser: plan it for three dossiers, validate it with one
absent, the bénéficiaire signs through the e-mailed link on a phone, the summary updates."""

import re

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import BeneficiaireFactory, DossierFactory, TypeSeanceFactory


def test_seance_collective_validation_et_signature_sur_telephone(
    page, navigateur, live_server, connecter, alice, dossier
):
    TypeSeanceFactory(prestation=dossier.prestation, libelle="Atelier CV", collective=True)
    autres = [
        DossierFactory(
            prestation=dossier.prestation,
            equipe=dossier.equipe,
            referent=alice,
            beneficiaire=BeneficiaireFactory(nom=nom, prenom=prenom),
        )
        for nom, prenom in (("Zola", "Inès"), ("Yilmaz", "Hugo"))
    ]
    beneficiaire = dossier.beneficiaire
    connecter("alice")
    page.goto(f"/dossiers/{dossier.pk}/")
    page.get_by_role("link", name="Séances").click()
    page.get_by_role("link", name="+ Nouvelle séance").click()
    page.get_by_label("Type de séance").select_option(label="Atelier CV")
    page.get_by_label("Date").fill(timezone.localdate().isoformat())
    page.get_by_label("Heure de début").fill("09:00")
    page.get_by_label("Heure de fin").fill("12:00")
    page.get_by_label("Lieu").fill("Salle Rhône")
    page.get_by_label("Autres participants (séance collective)").select_option(
        label=[str(d.beneficiaire) for d in autres]
    )
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Séance « Atelier CV")).to_be_visible()

    # validate with Hugo absent
    ligne_absent = page.locator("tr", has_text="YILMAZ Hugo")
    ligne_absent.get_by_label("Absent non justifié").check()
    page.get_by_role("button", name="Valider la séance").click()
    expect(page.locator("#etat-seance")).to_have_text("Réalisée")
    # the first séance of "À venir" dossiers proposes their Entrée (never silent): the two
    # present participants together, Hugo (absent) not
    offre = page.locator("#entrees-participants")
    expect(offre).to_contain_text("2 participants présents")
    expect(offre).not_to_contain_text("YILMAZ")
    expect(page.locator("#proposition-entree")).to_have_count(0)
    offre.get_by_role("button", name="Enregistrer l'entrée des participants").click()
    page.get_by_role("button", name="Enregistrer les 2 entrées").click()
    expect(page.locator("#bilan-masse")).to_have_text("2 entrées enregistrées")
    page.get_by_role("link", name="Retour").click()
    expect(page.locator("#entrees-participants")).to_have_count(0)

    # send the personal link by e-mail for the morning slot
    creneau = page.locator(f"tr:has-text('{beneficiaire}') td.creneau").first
    creneau.get_by_role("button", name="Envoyer le lien").click()
    expect(page.get_by_text(f"Lien de signature envoyé à {beneficiaire.email}")).to_be_visible()
    message = next(m for m in reversed(mail.outbox) if m.to == [beneficiaire.email])
    chemin = re.search(r"https?://[^/]+(/emargement/\S+/)", message.body).group(1)

    # the bénéficiaire, on a phone, no login
    telephone = navigateur.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    mobile = telephone.new_page()
    mobile.goto(chemin)
    expect(mobile.get_by_role("heading", name="Signer ma présence")).to_be_visible()
    mobile.get_by_role("button", name="Valider ma signature").click()
    expect(mobile.get_by_text("Signez dans le cadre avant de valider.")).to_be_visible()
    cadre = mobile.locator("#pad-signature").bounding_box()
    mobile.mouse.move(cadre["x"] + 20, cadre["y"] + cadre["height"] * 0.7)
    mobile.mouse.down()
    for i in range(1, 12):
        mobile.mouse.move(
            cadre["x"] + 20 + i * (cadre["width"] - 40) / 11,
            cadre["y"] + cadre["height"] * (0.3 if i % 2 else 0.7),
        )
    mobile.mouse.up()
    mobile.get_by_role("button", name="Valider ma signature").click()
    expect(mobile.locator("#signature-enregistree")).to_be_visible()
    mobile.goto(chemin)
    expect(mobile.get_by_text("Ce lien a déjà servi")).to_be_visible()
    telephone.close()

    page.reload()
    expect(page.locator(f"tr:has-text('{beneficiaire}') td.creneau").first).to_contain_text("signé")
    page.goto(f"/dossiers/{dossier.pk}/")
    expect(page.locator("#resume-heures-realisees")).to_have_text("3,00 h")
    expect(page.locator("#resume-taux-presence")).to_have_text("100 %")
    page.goto(f"/dossiers/{autres[1].pk}/")
    expect(page.locator("#resume-heures-realisees")).to_have_text("0,00 h")
    expect(page.locator("#resume-taux-presence")).to_have_text("0 %")
