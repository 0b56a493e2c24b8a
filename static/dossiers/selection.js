// Dossier list: "tout sélectionner sur cette page" as a box in the table's header.
// Without JavaScript the page offers a link that reloads it with every box checked.
document.addEventListener("DOMContentLoaded", () => {
  const tout = document.getElementById("tout-cocher");
  if (!tout) return;
  const cases = () => Array.from(document.querySelectorAll("input.selection-dossier"));
  const nombre = document.getElementById("nombre-coches");
  const accorder = () => {
    const cochees = cases().filter((c) => c.checked).length;
    tout.checked = cochees > 0 && cochees === cases().length;
    tout.indeterminate = cochees > 0 && cochees < cases().length;
    if (nombre) {
      nombre.textContent = cochees === 0 ? "Aucun dossier coché"
        : cochees === 1 ? "1 dossier coché" : `${cochees} dossiers cochés`;
    }
  };
  tout.hidden = false;
  document.querySelectorAll(".actions-groupees .sans-js").forEach((lien) => { lien.hidden = true; });
  tout.addEventListener("change", () => {
    cases().forEach((c) => { c.checked = tout.checked; });
    accorder();
  });
  cases().forEach((c) => c.addEventListener("change", accorder));
  accorder();
});
