// Live SLA countdowns ("vence en 1 h 20 min", "vencido hace 5 min") and "mark all" in queues.
// The server renders every text once; this only keeps it current. Time is measured on the
// server's clock: the offset to the browser's clock is taken when the page loads.
(function () {
  "use strict";
  const labelsNode = document.getElementById("sla-labels");
  const labels = labelsNode ? JSON.parse(labelsNode.textContent) : null;
  const offset = labels && labels.now ? Date.parse(labels.now) - Date.now() : 0;

  function span(seconds) {
    const days = Math.floor(seconds / 86400);
    const hours = Math.floor((seconds % 86400) / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    if (days) return days + " d " + hours + " h";
    if (hours) return hours + " h " + minutes + " min";
    if (minutes) return minutes + " min";
    return (seconds % 60) + " s";
  }

  function tick() {
    if (!labels) return;
    const now = Date.now() + offset;
    document.querySelectorAll("[data-due]").forEach(function (node) {
      const due = Date.parse(node.dataset.due);
      if (Number.isNaN(due)) return;
      const seconds = Math.trunc((due - now) / 1000);
      const text = seconds >= 0
        ? labels.due.replace("%(span)s", span(seconds))
        : labels.overdue.replace("%(span)s", span(-seconds));
      if (node.textContent !== text) node.textContent = text;
      if (seconds < 0 && !node.classList.contains("sla-breached")) {
        node.classList.remove("sla-ok", "sla-warning");
        node.classList.add("sla-breached");
      }
    });
  }

  // "Mark all" follows the table it heads, also after htmx swaps in another page.
  document.addEventListener("change", function (event) {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.matches("[data-check-all]")) return;
    const table = box.closest("table");
    if (!table) return;
    table.querySelectorAll('tbody input[type="checkbox"]').forEach(function (item) {
      item.checked = box.checked;
    });
  });

  tick();
  setInterval(tick, 1000);
})();
