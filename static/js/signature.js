// Signature pad: the custody sergeant signs with a finger; the drawing goes into a hidden
// field as a PNG data URL. Without JavaScript the pad stays hidden and the sergeant signs
// by ticking the confirmation box instead.
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
    canvas.hidden = false;
    clear.hidden = false;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.strokeStyle = "#0b0c0c";

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
