// Double-submit safety (issue 21): every form sent by POST carries a one-time token
// (`_once`, made when the page was loaded, so a second click, a reload or a back-and-resend
// sends the same one and the server does the work once), and its buttons say it is sending.
// htmx forms are left to htmx; `data-once="off"` opts a form out.
(function () {
  "use strict";
  function token() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function buttons(form) {
    return form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"]');
  }
  function release(form) {
    delete form.dataset.sending;
    buttons(form).forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    if (form.dataset.once === "off" || form.target) return;
    if (form.hasAttribute("hx-post") || form.hasAttribute("data-hx-post")) return;
    if (event.defaultPrevented) return;
    if (form.dataset.sending === "1") {
      event.preventDefault();
      return;
    }
    var field = form.querySelector('input[name="_once"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "_once";
      field.value = form.dataset.onceToken || (form.dataset.onceToken = token());
      form.appendChild(field);
    }
    form.dataset.sending = "1";
    // After the browser has read the form: a disabled button's name and value are not sent.
    window.setTimeout(function () {
      buttons(form).forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      });
    }, 0);
    // A download answers without leaving the page: the buttons come back.
    window.setTimeout(function () { release(form); }, 20000);
  });
  // Back to a page that was being sent (the browser's page cache): it can be sent again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll('form[data-sending="1"]').forEach(release);
  });
})();
