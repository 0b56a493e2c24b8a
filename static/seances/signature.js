// Signature pad: draw with finger, pen or mouse; the PNG goes into the hidden field on submit.
(function () {
  "use strict";
  var canvas = document.getElementById("pad-signature");
  if (!canvas) { return; }
  var form = document.getElementById("form-signature");
  var champ = form.querySelector("input[name=signature]");
  var ctx = canvas.getContext("2d");
  var dessine = false;
  var vide = true;

  ctx.lineWidth = 2.5;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#111827";

  function point(evenement) {
    var cadre = canvas.getBoundingClientRect();
    return {
      x: (evenement.clientX - cadre.left) * (canvas.width / cadre.width),
      y: (evenement.clientY - cadre.top) * (canvas.height / cadre.height)
    };
  }

  canvas.addEventListener("pointerdown", function (evenement) {
    evenement.preventDefault();
    canvas.setPointerCapture(evenement.pointerId);
    dessine = true;
    var p = point(evenement);
    ctx.beginPath();
    ctx.moveTo(p.x, p.y);
  });
  canvas.addEventListener("pointermove", function (evenement) {
    if (!dessine) { return; }
    var p = point(evenement);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    vide = false;
  });
  function lever() { dessine = false; }
  canvas.addEventListener("pointerup", lever);
  canvas.addEventListener("pointercancel", lever);

  document.getElementById("effacer-signature").addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    vide = true;
    champ.value = "";
  });

  form.addEventListener("submit", function () {
    champ.value = vide ? "" : canvas.toDataURL("image/png");
  });
})();
