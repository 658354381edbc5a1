// Ask before submitting a form marked data-confirm="question" (or sent by a button marked
// so: one form may hold a harmless and a destructive button). A static file, not an
// onsubmit="" attribute: the Content-Security-Policy allows no inline script.
document.addEventListener(
  "submit",
  (event) => {
    const button = event.submitter && event.submitter.dataset ? event.submitter.dataset.confirm : null;
    const question = button || (event.target.dataset ? event.target.dataset.confirm : null);
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);
