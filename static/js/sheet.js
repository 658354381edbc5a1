// Score sheet: highlight, as the assessor types, every earlier-stage score that differs
// from the value being entered (the same rule the server applies when the page loads).
(function () {
  "use strict";
  function valueOf(field) {
    if (field.type === "checkbox") return field.checked ? "是" : "否";
    return field.value.trim();
  }
  function normalize(text) {
    var number = Number(text);
    return text !== "" && !isNaN(number) ? String(number) : text;
  }
  function refresh(field) {
    var match = /^(?:v|veto)_(.+)$/.exec(field.name || "");
    if (!match) return;
    var mine = normalize(valueOf(field));
    document.querySelectorAll('[data-compare="' + CSS.escape(match[1]) + '"]').forEach(function (cell) {
      var shown = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent;
      var other = normalize(shown.trim());
      var differs = mine !== "" && other !== "" && other !== mine;
      cell.classList.toggle("table-warning", differs);
      cell.classList.toggle("fw-bold", differs);
    });
  }
  document.addEventListener("input", function (event) { refresh(event.target); });
  document.addEventListener("change", function (event) { refresh(event.target); });

  // Typed but not yet autosaved (the save waits for a pause in typing): ask before leaving.
  var unsaved = false;
  var form = document.getElementById("sheet-form");
  if (form) {
    form.addEventListener("input", function () { unsaved = true; });
    document.body.addEventListener("htmx:afterRequest", function (event) {
      var saved = event.detail.xhr && event.detail.xhr.status < 300;  // not a 409 conflict
      if (saved && form.contains(event.detail.elt)) unsaved = false;
    });
    window.addEventListener("beforeunload", function (event) {
      if (unsaved) { event.preventDefault(); event.returnValue = ""; }
    });
  }
})();
