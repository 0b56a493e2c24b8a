// "Tout sélectionner" of the échéances à facturer (no inline handler: the CSP forbids it).
document.addEventListener("DOMContentLoaded", () => {
  const tout = document.getElementById("tout");
  if (!tout) return;
  tout.addEventListener("change", () => {
    document.querySelectorAll("input[name=echeances]").forEach((c) => { c.checked = tout.checked; });
  });
});
