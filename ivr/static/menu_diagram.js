// The menu diagram: zoom (buttons, Ctrl + wheel around the pointer) and pan (drag with the
// mouse; touch scrolls natively). The SVG keeps its viewBox; zooming sets its pixel size,
// so at 100 % one unit of the drawing is one CSS pixel.
(function () {
  "use strict";
  var viewport = document.getElementById("diagram-viewport");
  var tools = document.getElementById("diagram-tools");
  var svg = viewport && viewport.querySelector("svg");
  if (!svg || !tools) return;
  var box = svg.viewBox.baseVal;
  var natural = { width: box.width, height: box.height };
  var level = document.getElementById("zoom-level");
  var MIN = 0.25, MAX = 3;
  var zoom = 1;

  function clamp(value) { return Math.min(MAX, Math.max(MIN, value)); }

  // Zoom to ``wanted`` keeping the drawing's point under (px, py) of the viewport in place.
  function setZoom(wanted, px, py) {
    wanted = clamp(Math.round(wanted * 100) / 100);
    if (px === undefined) { px = viewport.clientWidth / 2; py = viewport.clientHeight / 2; }
    var cx = (viewport.scrollLeft + px) / zoom;
    var cy = (viewport.scrollTop + py) / zoom;
    zoom = wanted;
    svg.setAttribute("width", String(Math.round(natural.width * zoom)));
    svg.setAttribute("height", String(Math.round(natural.height * zoom)));
    viewport.scrollLeft = cx * zoom - px;
    viewport.scrollTop = cy * zoom - py;
    level.textContent = Math.round(zoom * 100) + "%";
    viewport.dataset.zoom = String(zoom);
  }

  tools.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-zoom]");
    if (!button) return;
    var how = button.dataset.zoom;
    if (how === "in") setZoom(zoom * 1.25);
    else if (how === "out") setZoom(zoom / 1.25);
    else if (how === "reset") setZoom(1);
    else if (how === "fit") setZoom(Math.min(1, Math.floor((viewport.clientWidth - 4) / natural.width * 100) / 100), 0, 0);
  });

  viewport.addEventListener("wheel", function (event) {
    if (!event.ctrlKey && !event.metaKey) return; // a plain wheel scrolls (pans) as usual
    event.preventDefault();
    var rect = viewport.getBoundingClientRect();
    setZoom(zoom * (event.deltaY < 0 ? 1.15 : 1 / 1.15), event.clientX - rect.left, event.clientY - rect.top);
  }, { passive: false });

  viewport.addEventListener("keydown", function (event) {
    if (event.key === "+" || event.key === "=") { setZoom(zoom * 1.25); event.preventDefault(); }
    else if (event.key === "-") { setZoom(zoom / 1.25); event.preventDefault(); }
    else if (event.key === "0") { setZoom(1); event.preventDefault(); }
  });

  var drag = null;
  viewport.addEventListener("pointerdown", function (event) {
    if (event.pointerType !== "mouse" || event.button !== 0 || event.target.closest("a")) return;
    drag = { x: event.clientX, y: event.clientY, left: viewport.scrollLeft, top: viewport.scrollTop };
    viewport.setPointerCapture(event.pointerId);
    viewport.classList.add("dragging");
  });
  viewport.addEventListener("pointermove", function (event) {
    if (!drag) return;
    viewport.scrollLeft = drag.left - (event.clientX - drag.x);
    viewport.scrollTop = drag.top - (event.clientY - drag.y);
  });
  function stop() { drag = null; viewport.classList.remove("dragging"); }
  viewport.addEventListener("pointerup", stop);
  viewport.addEventListener("pointercancel", stop);

  tools.hidden = false;
  setZoom(1, 0, 0);
  // Open on the start: the drawing is centred vertically, so its top is often empty.
  var start = svg.querySelector(".edge.start");
  if (start && !location.hash) {
    var y = start.getBBox().y;
    viewport.scrollTop = Math.max(0, y - viewport.clientHeight / 2);
  }
})();
