// Ask before submitting a form marked data-confirm="question". A static file, not an
// onsubmit="" attribute: the Content-Security-Policy allows no inline script.
document.addEventListener(
  "submit",
  (event) => {
    const question = event.target.dataset ? event.target.dataset.confirm : null;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);
