// What every page does that the Content-Security-Policy forbids inline (no onchange=, no
// hx-on): the language switch sends its form when changed, and a form marked
// data-reset-on-success is emptied after a successful htmx request.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")) {
    target.form.submit();
  }
});
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.hasAttribute("data-reset-on-success") && event.detail.successful) {
    form.reset();
  }
});
