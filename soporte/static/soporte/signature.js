// On-site signature pad for the bitácora.
//
// The customer draws on a <canvas> with a finger, a pen or a mouse (pointer events; the
// canvas has `touch-action: none` so drawing never scrolls the page). Strokes are kept in
// coordinates relative to the canvas width, so turning the tablet redraws them at the new
// size instead of losing them. On submit the drawing goes to the hidden `drawing` field as a
// PNG data URL; the server decodes it and seals it with the countersignature.
(function () {
  "use strict";

  var INK = "#1b2a4a";
  var PAPER = "#ffffff";
  var MAX_RATIO = 2; // sharper than this only makes the PNG heavier

  function setUp(form) {
    var canvas = form.querySelector("canvas[data-signature-pad]");
    var output = form.querySelector("input[name=drawing]");
    var clearButton = form.querySelector("[data-signature-clear]");
    var submitButton = form.querySelector("[data-signature-submit]");
    if (!canvas || !output) return;
    var context = canvas.getContext("2d");
    var strokes = [];
    var current = null;
    var restored = null; // a drawing sent back by the server after a refused attempt

    function lineWidth() {
      return Math.max(2, canvas.clientWidth / 220);
    }

    function hasDrawing() {
      return strokes.length > 0 || restored !== null;
    }

    function update() {
      if (submitButton) submitButton.disabled = !hasDrawing();
      canvas.parentElement.classList.toggle("signed", hasDrawing());
    }

    function toCanvas(point) {
      var width = canvas.clientWidth;
      return { x: point.x * width, y: point.y * width };
    }

    function drawStroke(stroke) {
      var points = stroke.map(toCanvas);
      context.beginPath();
      context.moveTo(points[0].x, points[0].y);
      if (points.length === 1) {
        context.lineTo(points[0].x + 0.1, points[0].y + 0.1);
      }
      // Quadratic curves through the midpoints: smooth lines from a finger's jagged samples.
      for (var i = 1; i < points.length - 1; i++) {
        var midX = (points[i].x + points[i + 1].x) / 2;
        var midY = (points[i].y + points[i + 1].y) / 2;
        context.quadraticCurveTo(points[i].x, points[i].y, midX, midY);
      }
      if (points.length > 1) {
        var last = points[points.length - 1];
        context.lineTo(last.x, last.y);
      }
      context.stroke();
    }

    function redraw() {
      var width = canvas.clientWidth;
      var height = canvas.clientHeight;
      context.fillStyle = PAPER;
      context.fillRect(0, 0, width, height);
      if (restored) context.drawImage(restored, 0, 0, width, height);
      context.strokeStyle = INK;
      context.lineWidth = lineWidth();
      context.lineCap = "round";
      context.lineJoin = "round";
      strokes.forEach(drawStroke);
    }

    function resize() {
      var ratio = Math.min(window.devicePixelRatio || 1, MAX_RATIO);
      canvas.width = Math.round(canvas.clientWidth * ratio);
      canvas.height = Math.round(canvas.clientHeight * ratio);
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      redraw();
    }

    function pointFrom(event) {
      var box = canvas.getBoundingClientRect();
      return { x: (event.clientX - box.left) / box.width, y: (event.clientY - box.top) / box.width };
    }

    canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== undefined && event.button > 0) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      current = [pointFrom(event)];
      strokes.push(current);
      redraw();
      update();
    });

    canvas.addEventListener("pointermove", function (event) {
      if (!current) return;
      event.preventDefault();
      var samples = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      if (!samples.length) samples = [event];
      samples.forEach(function (sample) {
        current.push(pointFrom(sample));
      });
      redraw();
    });

    function finish() {
      current = null;
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("lostpointercapture", finish);

    if (clearButton) {
      clearButton.addEventListener("click", function () {
        strokes = [];
        restored = null;
        output.value = "";
        redraw();
        update();
      });
    }

    form.addEventListener("submit", function (event) {
      if (!hasDrawing()) {
        event.preventDefault();
        canvas.focus();
        return;
      }
      output.value = canvas.toDataURL("image/png");
      if (submitButton) submitButton.setAttribute("aria-busy", "true");
    });

    if (output.value.indexOf("data:image/png;base64,") === 0) {
      var image = new Image();
      image.onload = function () {
        restored = image;
        redraw();
        update();
      };
      image.src = output.value;
    }

    window.addEventListener("resize", resize);
    resize();
    update();
  }

  function start() {
    document.querySelectorAll("form[data-signature-form]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
