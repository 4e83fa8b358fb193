// Signature pad: the custody sergeant signs with a finger; the drawing goes into a hidden
// field as a PNG data URL. Without JavaScript the pad stays hidden (it cannot be drawn on) and
// the page says to sign by the typed name and the confirmation box instead; this script swaps
// that note for the pad.
(function () {
  "use strict";

  function setUp(root) {
    var box = root.querySelector("[data-signature-pad]");
    if (!box || box.dataset.ready) return;
    box.dataset.ready = "1";
    var canvas = box.querySelector("canvas");
    var input = box.querySelector("input[type=hidden]");
    var clear = box.querySelector(".signature__clear");
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var fallback = box.querySelector("[data-signature-fallback]");
    var pad = box.querySelector("[data-signature-drawing]");
    if (fallback) fallback.hidden = true;
    if (pad) pad.hidden = false;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.strokeStyle = "#0b0c0c";
    // A drawing sent with a refused form comes back in the hidden field: show it again.
    if (input.value.indexOf("data:image/png") === 0) {
      var image = new Image();
      image.onload = function () { ctx.drawImage(image, 0, 0); };
      image.src = input.value;
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - rect.left) * (canvas.width / rect.width),
        y: (event.clientY - rect.top) * (canvas.height / rect.height),
      };
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      var p = point(event);
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = point(event);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      event.preventDefault();
    });
    function finish() {
      if (!drawing) return;
      drawing = false;
      input.value = canvas.toDataURL("image/png");
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      input.value = "";
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  // Pages reached through hx-boost arrive without a DOMContentLoaded.
  document.addEventListener("htmx:load", function (event) { setUp(event.target); });
})();
