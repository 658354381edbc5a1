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
    // Enter in a score or note box moves on to the next box (which saves this one), as
    // in a spreadsheet. Left alone it would press 提交 and ask to submit the whole sheet.
    form.addEventListener("keydown", function (event) {
      var field = event.target;
      if (event.key !== "Enter" || event.isComposing || field.tagName !== "INPUT") return;
      if (field.type === "submit" || field.type === "button") return;
      event.preventDefault();
      var fields = Array.prototype.filter.call(form.elements, function (el) {
        return (el.tagName === "INPUT" || el.tagName === "SELECT" || el.tagName === "TEXTAREA") &&
          el.type !== "hidden" && !el.disabled;
      });
      var next = fields[fields.indexOf(field) + 1];
      if (next) next.focus(); else field.blur();
    });
    document.body.addEventListener("htmx:afterRequest", function (event) {
      var saved = event.detail.xhr && event.detail.xhr.status < 300;  // not a 409 conflict
      if (saved && form.contains(event.detail.elt)) unsaved = false;
    });
    window.addEventListener("beforeunload", function (event) {
      if (unsaved) { event.preventDefault(); event.returnValue = ""; }
    });
  }
})();
