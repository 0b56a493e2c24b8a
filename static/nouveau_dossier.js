// Nouveau dossier: the new-bénéficiaire fields only matter when no existing one is chosen.
// A static file, not an inline script: the Content-Security-Policy allows only 'self'.
document.addEventListener("DOMContentLoaded", () => {
  const choix = document.getElementById("id_beneficiaire");
  const bloc = document.getElementById("nouveau-beneficiaire");
  if (!choix || !bloc) return;
  const montrer = () => { bloc.hidden = choix.value !== ""; };
  choix.addEventListener("change", montrer);
  montrer();
});
