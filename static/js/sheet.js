// Score sheet: highlight, as the assessor types, every earlier-stage score that differs
// from the value being entered (the same rule the server applies when the page loads);
// autosave only what changed, retrying a failed save with back-off; on a phone,
// quick-score buttons, the camera, the bar's save state and the count of unfilled items.
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
  // A score outside 0 … the item's points (or not a number) is marked at its field as it
  // is typed, with the range below it in red: the server refuses it, and its message sits
  // far down a long page.
  function markRange(field) {
    if (!field.classList || !field.classList.contains("score-input") || field.tagName !== "INPUT") return;
    var raw = field.value.trim();
    var max = parseFloat(field.dataset.max);
    var value = Number(raw);
    var bad = raw !== "" && (isNaN(value) || value < 0 || (!isNaN(max) && value > max));
    field.classList.toggle("is-invalid", bad);
    if (bad) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
    var hint = field.parentNode.querySelector(".score-range");
    if (hint) {
      hint.classList.toggle("text-danger", bad);
      hint.classList.toggle("text-muted", !bad);
    }
  }
  document.addEventListener("input", function (event) { refresh(event.target); markRange(event.target); });
  document.addEventListener("change", function (event) { refresh(event.target); markRange(event.target); });
  document.querySelectorAll("input.score-input").forEach(markRange);

  var form = document.getElementById("sheet-form");
  if (!form) return;

  // -- what changed since the last save: only those lines are posted ---------------------
  // A line is its score and its note (v_/n_), or a veto's box and facts (veto_/facts_),
  // or the overall note. After a conflict every save posts the whole form until one
  // succeeds, so the conflict lists every line that differs.
  var dirty = {};
  var sendAll = false;
  var unsaved = false;
  var inFlight = 0;
  var afterSave = [];
  function lineOf(name) {
    var match = /^(?:v|n)_(.+)$/.exec(name || "");
    if (match) return ["v_" + match[1], "n_" + match[1]];
    match = /^(?:veto|facts)_(.+)$/.exec(name || "");
    if (match) return ["veto_" + match[1], "facts_" + match[1]];
    if (name === "note") return ["note"];
    return null;
  }
  function markDirty(field) {
    var names = lineOf(field.name);
    if (!names) return;
    dirty[names.join(" ")] = names;
    unsaved = true;
    setState("unsaved");
  }
  form.addEventListener("input", function (event) { markDirty(event.target); });
  form.addEventListener("change", function (event) { markDirty(event.target); });

  // What was typed while the page was still loading (before this script and htmx ran)
  // fired no event anyone heard: each field that differs from what the server rendered
  // is marked, and saved as soon as htmx is ready (its handler for the same event was
  // registered first, as its script comes first).
  function typedBeforeLoad(field) {
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") {
      // With no option marked selected the browser shows the first: that is the default.
      var marked = Array.prototype.find.call(field.options, function (o) { return o.defaultSelected; });
      var initial = marked || field.options[0];
      return field.value !== (initial ? initial.value : "");
    }
    return (field.tagName === "INPUT" || field.tagName === "TEXTAREA") && field.value !== field.defaultValue;
  }
  var early = Array.prototype.filter.call(form.elements, function (el) {
    return lineOf(el.name) && typedBeforeLoad(el);
  });
  early.forEach(function (field) {
    markDirty(field);
    refresh(field);  // the earlier stages' differing values, as if typed now
    markRange(field);
  });
  if (early.length) {
    document.addEventListener("DOMContentLoaded", function () { htmx.trigger(form, "change"); });
  }

  function isAutosave(detail) {
    return detail.elt === form && /\/autosave\/$/.test(detail.path || "");
  }
  document.body.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (!isAutosave(detail)) return;
    var sending = dirty;
    dirty = {};
    // Kept with this request (the same object comes back in htmx:afterRequest).
    detail.sheetSending = sending;
    detail.sheetPartial = !sendAll;
    if (sendAll) return;
    var keep = { csrfmiddlewaretoken: true, revision: true };
    var any = false;
    Object.keys(sending).forEach(function (key) {
      sending[key].forEach(function (name) { keep[name] = true; });
      any = true;
    });
    if (!any) { event.preventDefault(); return; }  // nothing changed: nothing to save
    var data = detail.formData || detail.parameters;
    Array.from(data.keys()).forEach(function (name) {
      if (!keep[name]) data.delete(name);
    });
    // An emptied note or an unchecked veto is still said: it clears what was stored.
    Object.keys(sending).forEach(function (key) {
      sending[key].forEach(function (name) {
        if (!data.has(name) && /^(?:n|facts)_|^note$/.test(name)) data.set(name, "");
      });
    });
  });
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (form.contains(event.detail.elt) || event.detail.elt === form) {
      inFlight += 1;
      setState("saving");
    }
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!(form.contains(elt) || elt === form || elt.id === "keep-mine")) return;
    if (form.contains(elt) || elt === form) inFlight = Math.max(0, inFlight - 1);
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var config = event.detail.requestConfig || {};
    var sent = config.sheetSending || {};
    var partial = Boolean(config.sheetPartial);
    if (status >= 200 && status < 300) {
      sendAll = false;
      saveRecovered();
      if (!partial) dirty = {};  // the whole form went (keep mine, submit): all of it saved
      if (!Object.keys(dirty).length) unsaved = false;
      else setState("unsaved");  // typed while the save was on its way
      var waiting = afterSave;
      afterSave = [];
      if (!inFlight && !unsaved) waiting.forEach(function (callback) { callback(); });
    } else if (status === 409 && partial) {
      // A partial save lost a race: ask again with the whole form, so the conflict
      // panel lists every line where this page differs from what is stored.
      Object.keys(sent).forEach(function (key) { dirty[key] = sent[key]; });
      sendAll = true;
      htmx.trigger(form, "change");
    } else {
      Object.keys(sent).forEach(function (key) { dirty[key] = sent[key]; });
      if (status === 0 || status >= 500) saveFailed(status);
    }
    countUnfilled();
  });

  // -- a save that failed (no network, the server briefly unavailable): the typed values
  // stay in the form and in `dirty`, the failure is shown, and the save is tried again
  // after a pause that doubles up to RETRY_MAX_MS, until one succeeds.
  var RETRY_FIRST_MS = 2000;
  var RETRY_MAX_MS = 30000;
  var retryDelay = 0;
  var retryTimer = null;
  var retries = 0;
  function saveFailed(status) {
    retryDelay = retryDelay ? Math.min(retryDelay * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
    retries += 1;
    unsaved = true;
    var why = status === 0 ? "网络中断" : "服务暂时不可用（" + status + "）";
    var text = "保存失败：" + why + "。您的输入已保留，" +
      Math.round(retryDelay / 1000) + " 秒后自动重试";
    setState("failed", text);
    var panel = document.querySelector("#sheet-status .card-body");
    var alert = document.getElementById("save-failure");
    if (panel && !alert) {
      alert = document.createElement("div");
      alert.id = "save-failure";
      alert.className = "alert alert-danger small py-1 mb-2";
      alert.setAttribute("role", "alert");
      panel.insertBefore(alert, panel.firstChild);
    }
    if (alert) alert.textContent = text + "（第 " + retries + " 次）。请勿关闭本页。";
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () {
      retryTimer = null;
      htmx.trigger(form, "change");
    }, retryDelay);
  }
  function saveRecovered() {
    // The successful response replaced the status panel (and the failure shown in it).
    clearTimeout(retryTimer);
    retryTimer = null;
    retryDelay = 0;
    retries = 0;
  }

  function setState(state, text) {
    var label = document.getElementById("bar-state");
    if (!label || label.dataset.state === "conflict") return;
    label.dataset.state = state;
    if (state === "failed") {
      label.className = "small text-danger fw-bold";
      label.textContent = text;
      return;
    }
    label.className = "small " + (state === "saving" ? "text-muted" : "text-warning");
    if (state === "saving") label.textContent = retries ? "正在重试保存…" : "保存中…";
    else label.textContent = retries ? "保存失败，输入已保留，等待重试" : "有未保存的输入";
  }

  // -- unfilled items: counted in the bar, which jumps to the next one ------------------
  function scoreFields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return /^v_/.test(el.name || "") && !el.disabled;
    });
  }
  function unfilled() {
    return scoreFields().filter(function (el) { return el.value.trim() === ""; });
  }
  function countUnfilled() {
    var button = document.getElementById("bar-unfilled");
    if (!button) return;
    var n = unfilled().length;
    document.getElementById("bar-unfilled-count").textContent = String(n);
    button.hidden = n === 0;
  }
  var lastJump = -1;
  document.body.addEventListener("click", function (event) {
    var button = event.target.closest("#bar-unfilled");
    if (!button) return;
    var all = scoreFields();
    var empty = unfilled();
    if (!empty.length) return;
    var next = empty.find(function (el) { return all.indexOf(el) > lastJump; }) || empty[0];
    lastJump = all.indexOf(next);
    var row = next.closest("tr");
    (row || next).scrollIntoView({ block: "center" });
    next.focus({ preventScroll: true });
  });
  document.body.addEventListener("htmx:afterSettle", countUnfilled);
  form.addEventListener("input", countUnfilled);
  form.addEventListener("change", countUnfilled);
  countUnfilled();

  // -- quick scores (0 / half / full, or a checklist level) ------------------------------
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-set]");
    if (!button) return;
    var field = form.elements.namedItem(button.dataset.set);
    if (!field) return;
    field.value = button.dataset.value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // -- evidence from the camera: saved first, then uploaded (the page reloads) ----------
  var cameraForm = document.getElementById("camera-form");
  var cameraFile = document.getElementById("camera-file");
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-camera]");
    if (!button || !cameraForm) return;
    document.getElementById("camera-code").value = button.dataset.camera;
    cameraFile.click();
  });
  if (cameraFile) {
    cameraFile.addEventListener("change", function () {
      if (!cameraFile.files.length) return;
      var upload = function () { unsaved = false; cameraForm.submit(); };
      if (!unsaved && !inFlight) { upload(); return; }
      afterSave.push(upload);
      htmx.trigger(form, "change");
    });
  }

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
  // Typed but not yet autosaved (the save waits for a pause in typing): ask before leaving.
  window.addEventListener("beforeunload", function (event) {
    if (unsaved) { event.preventDefault(); event.returnValue = ""; }
  });
})();
