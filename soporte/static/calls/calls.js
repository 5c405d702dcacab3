// Live call screens (the agent's console and the supervisors' wallboard).
//
// The server renders every panel; this script only (1) listens on the page's websocket and
// re-fetches the panel when something changed, (2) keeps ring counters and hold timers
// current between events, (3) sounds a short beep when a hold reaches its limit (H3), and
// (4) fills the transfer script (T4) as the agent types. Times are measured on the server's
// clock: the offset to the browser's clock is taken when the page loads.
(function () {
  "use strict";

  // --- pure rules, the same as the server's -------------------------------------------------

  // T1: rings = ceil(seconds / cadence period); a call rings once as soon as it starts.
  function ringCount(elapsedSeconds, period) {
    if (!(period > 0)) return 1;
    return Math.max(1, Math.ceil(Math.round((elapsedSeconds / period) * 1e6) / 1e6));
  }

  // H3: "ok", "warn" from the warning second, "over" from the limit on.
  function holdState(elapsedSeconds, warn, limit) {
    if (elapsedSeconds >= limit) return "over";
    if (elapsedSeconds >= warn) return "warn";
    return "ok";
  }

  const labelsNode = document.getElementById("calls-labels");
  const labels = labelsNode ? JSON.parse(labelsNode.textContent) : {};
  const RING_LIMIT = parseInt(labels.ring_limit || "3", 10);
  let offset = labels.now ? Date.parse(labels.now) - Date.now() : 0;

  function serverNow() {
    return Date.now() + offset;
  }

  function fill(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_m, key) {
      return key in values ? values[key] : "";
    });
  }

  // --- the beep (WebAudio; the first click on the page unlocks sound) ----------------------

  let audio = null;
  function unlockAudio() {
    if (audio) return;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try { audio = new Context(); } catch (_e) { audio = null; }
  }
  document.addEventListener("click", unlockAudio, { once: true, capture: true });

  function beep() {
    window.SoporteCalls.beeps += 1;
    if (!audio) return;
    try {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.15;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.35);
    } catch (_e) { /* no sound is better than a broken page */ }
  }

  // --- timers -------------------------------------------------------------------------------

  function tick() {
    const now = serverNow();
    document.querySelectorAll("[data-ring-started]").forEach(function (node) {
      const started = Date.parse(node.dataset.ringStarted);
      const period = parseFloat(node.dataset.ringPeriod);
      if (Number.isNaN(started)) return;
      const rings = ringCount(Math.max(0, (now - started) / 1000), period);
      const text = fill(labels.ring || "%(n)s", { n: rings });
      if (node.textContent !== text) node.textContent = text;
      node.dataset.rings = String(rings);
      node.classList.toggle("ring-late", rings >= RING_LIMIT);
    });
    document.querySelectorAll("[data-hold-started]").forEach(function (node) {
      const started = Date.parse(node.dataset.holdStarted);
      if (Number.isNaN(started)) return;
      const limit = parseInt(node.dataset.holdLimit, 10) || 60;
      const warn = parseInt(node.dataset.holdWarn, 10) || 45;
      const elapsed = Math.max(0, Math.floor((now - started) / 1000));
      const state = holdState(elapsed, warn, limit);
      const timer = node.querySelector("[data-hold-timer]") || node;
      let text;
      if (node.dataset.holdMode === "countdown") {
        text = state === "over"
          ? fill(labels.over, { s: elapsed - limit })
          : fill(labels.remaining, { s: limit - elapsed });
      } else {
        text = fill(labels.elapsed, { s: elapsed });
      }
      if (timer.textContent !== text) timer.textContent = text;
      const previous = node.dataset.state;
      if (previous !== state) {
        node.dataset.state = state;
        node.classList.remove("hold-ok", "hold-warn", "hold-over");
        node.classList.add("hold-" + state);
        const alarm = node.querySelector("[data-hold-alarm]");
        if (alarm) alarm.hidden = state !== "over";
        const warning = node.querySelector("[data-hold-warning]");
        if (warning) warning.hidden = state !== "warn";
        // One beep when the limit is reached while the page watches (not on every reload).
        if (state === "over" && previous && previous !== "over" && node.dataset.holdMode === "countdown") beep();
      }
    });
  }

  // --- the transfer script (T4) ------------------------------------------------------------

  function fillTransferScript(form) {
    const script = form.querySelector("[data-t4]");
    if (!script) return;
    const picked = form.querySelector('input[name="to_agent"]:checked');
    const reason = form.querySelector("[data-t4-reason]");
    const areaSelect = form.querySelector("[data-area-select]");
    let area = script.dataset.area || "";
    if (!area && picked) area = picked.dataset.areas || "";
    if (!area && areaSelect && areaSelect.value) area = areaSelect.selectedOptions[0].textContent.trim();
    let text = script.dataset.template;
    const swap = function (token, value) {
      if (value) text = text.split(token).join(value);
    };
    swap(script.dataset.tokenColleague, picked ? picked.dataset.name : "");
    swap(script.dataset.tokenArea, area);
    swap(script.dataset.tokenReason, reason ? reason.value.trim().replace(/\.$/, "") : "");
    script.textContent = text.split(/\[\[[^\]]*\]\]/).join("…");
  }

  document.addEventListener("input", function (event) {
    const form = event.target instanceof Element ? event.target.closest("form") : null;
    if (!form) return;
    if (form.closest("#calls")) form.dataset.dirty = "1";
    if (form.matches("[data-t4-form]")) fillTransferScript(form);
  });
  document.addEventListener("change", function (event) {
    const form = event.target instanceof Element ? event.target.closest("form[data-t4-form]") : null;
    if (form) fillTransferScript(form);
  });
  document.addEventListener("click", function (event) {
    const button = event.target instanceof Element ? event.target.closest("[data-close-dialog]") : null;
    if (button) {
      const dialog = button.closest("[data-dialog]");
      if (dialog) dialog.remove();
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("form[data-t4-form]").forEach(fillTransferScript);
    tick();
  });

  // --- live refresh over the websocket -----------------------------------------------------

  const root = document.getElementById("live-root");
  const state = document.querySelector("[data-live-state]");

  // Something is being typed or a dialog is open in the calls: refresh around it, not over it.
  function busy() {
    const calls = document.getElementById("calls");
    if (!calls) return false;
    if (calls.querySelector("[data-dialog], form[data-dirty], details[open].hold-form")) return true;
    const active = document.activeElement;
    return !!(active && calls.contains(active) && active.matches("input, textarea, select"));
  }

  // The echo of the agent's own button (its call event) changes nothing already on screen:
  // skipping it keeps the console from being redrawn while the agent types the next step.
  function alreadyShown(data) {
    if (!root || root.dataset.mode !== "console" || data.type !== "call.event") return false;
    const card = document.querySelector('#calls [data-call="' + data.id + '"]');
    if (!card) return data.state === "ended";
    return card.dataset.state === data.state && card.dataset.agent === String(data.agent_id || "");
  }

  let timer = null;
  let last = 0;

  function place(current, fresh) {
    if (!current || !fresh) return;
    const node = document.importNode(fresh, true);
    current.replaceWith(node);
    if (window.htmx) window.htmx.process(node);
  }

  // Fetch the panel, then decide at arrival whether the agent is busy: a refresh must never
  // wipe what is being typed (the answer can arrive after the agent started typing).
  function refresh() {
    timer = null;
    last = Date.now();
    if (!root) return;
    fetch(root.dataset.refresh, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        const doc = new DOMParser().parseFromString(html, "text/html");
        const target = root.dataset.target;
        if (root.dataset.mode === "console" && busy()) {
          ["#offers", "#callbacks"].forEach(function (id) {
            place(document.querySelector(id), doc.querySelector(id));
          });
        } else {
          place(document.querySelector(target), doc.querySelector(target));
        }
        document.querySelectorAll("form[data-t4-form]").forEach(fillTransferScript);
        tick();
        root.dataset.refreshed = String((parseInt(root.dataset.refreshed || "0", 10) || 0) + 1);
      })
      .catch(function () { /* the next event or the reconnection refreshes again */ });
  }

  // A button's own request may still be on its way when its echo arrives on the websocket:
  // judge the echo against the page once the request has been swapped in.
  let inflight = 0;
  let pending = [];
  document.addEventListener("htmx:beforeRequest", function () { inflight += 1; });
  document.addEventListener("htmx:afterRequest", function () {
    inflight = Math.max(0, inflight - 1);
    if (!inflight) setTimeout(flush, 0);
  });
  function flush() {
    if (inflight) return;
    const messages = pending;
    pending = [];
    if (messages.some(function (data) { return !alreadyShown(data); })) schedule();
  }

  // At most one refresh per `throttle` ms, and always one after the last event (trailing).
  function schedule() {
    if (timer) return;
    const throttle = parseInt(root.dataset.throttle || "300", 10);
    const wait = Math.max(0, throttle - (Date.now() - last));
    timer = setTimeout(refresh, wait);
  }

  let delay = 500;
  function connect() {
    if (!root || !root.dataset.ws) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(scheme + "://" + location.host + root.dataset.ws);
    ws.onopen = function () {
      delay = 500;
      root.dataset.live = "1";
      if (state) { state.textContent = state.dataset.on || "● en vivo"; state.classList.add("on"); }
    };
    ws.onmessage = function (msg) {
      let data = {};
      try { data = JSON.parse(msg.data); } catch (_e) { return; }
      root.dataset.lastEvent = data.type || "";
      pending.push(data);
      flush();
    };
    ws.onclose = function () {
      root.dataset.live = "0";
      if (state) { state.textContent = state.dataset.off || "○ reconectando…"; state.classList.remove("on"); }
      setTimeout(function () { connect(); schedule(); }, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }

  window.SoporteCalls = {
    ringCount: ringCount,
    holdState: holdState,
    beeps: 0,
    setServerOffset: function (ms) { offset = ms; tick(); },
    tick: tick,
  };

  tick();
  setInterval(tick, 250);
  connect();
  // The wallboard also refreshes now and then: today's figures and presence changed by hand.
  if (root && root.dataset.poll) setInterval(schedule, parseInt(root.dataset.poll, 10));
})();
