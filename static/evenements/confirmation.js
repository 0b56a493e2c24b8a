// Bulk confirmation: the button is disabled once the form has left (the form data, the
// button's "confirmer" included, is built before the timeout runs), so an impatient second
// click cannot send the batch twice. The server would refuse the second entries anyway;
// this spares the caseworker a confusing "déjà entré" summary.
document.addEventListener("DOMContentLoaded", () => {
  const formulaire = document.getElementById("confirmation-masse");
  if (!formulaire) return;
  formulaire.addEventListener("submit", (evenement) => {
    const bouton = evenement.submitter;
    if (!bouton || bouton.name !== "confirmer") return;
    window.setTimeout(() => {
      bouton.disabled = true;
      bouton.textContent = "Enregistrement en cours…";
    }, 0);
  });
});
