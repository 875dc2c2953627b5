/* A panel member's sheet: the total shown as points are typed, and the draft saved on the
   server a moment after each change (JSON, CSRF header, as the exam page). Without a
   connection the draft waits in this browser and is sent again when the connection comes
   back; sealing is the form's own submit, checked by the server. */
(function () {
  "use strict";
  var form = document.getElementById("sheet-form");
  if (!form) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var url = form.dataset.draftUrl;
  var key = "panel-sheet:" + url;
  var status = document.getElementById("sheet-status");
  var totalOut = document.getElementById("sheet-total");
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[name^='criterion_']"));
  var comment = form.querySelector("textarea[name='comment']");
  var timer = null;

  function number(text) {
    var value = parseFloat(String(text).replace(",", "."));
    return isNaN(value) ? 0 : value;
  }

  function collect() {
    var points = {};
    inputs.forEach(function (input) { points[input.name.slice("criterion_".length)] = input.value; });
    return { points: points, comment: comment ? comment.value : "" };
  }

  function showTotal() {
    var total = inputs.reduce(function (sum, input) { return sum + number(input.value); }, 0);
    totalOut.textContent = total.toFixed(2).replace(".", ",");
  }

  function send() {
    var body = collect();
    try { window.localStorage.setItem(key, JSON.stringify(body)); } catch (e) { /* private mode */ }
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) {
        try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
        status.textContent = form.dataset.savedText + " " + new Date().toLocaleTimeString();
      } else {
        var reasons = Object.keys(result.data.errors || {}).map(function (k) { return result.data.errors[k]; });
        status.textContent = form.dataset.errorText + ": " + reasons.join(" ");
      }
    }).catch(function () {
      status.textContent = form.dataset.offlineText;
    });
  }

  function changed() {
    showTotal();
    window.clearTimeout(timer);
    timer = window.setTimeout(send, 800);
  }

  // A draft kept here while offline, newer than the page: put it back and send it.
  try {
    var kept = JSON.parse(window.localStorage.getItem(key) || "null");
    if (kept) {
      inputs.forEach(function (input) {
        var id = input.name.slice("criterion_".length);
        if (kept.points && kept.points[id] !== undefined && kept.points[id] !== "") { input.value = kept.points[id]; }
      });
      if (comment && kept.comment) { comment.value = kept.comment; }
      send();
    }
  } catch (e) { /* nothing kept */ }

  inputs.forEach(function (input) { input.addEventListener("input", changed); });
  if (comment) { comment.addEventListener("input", changed); }
  window.addEventListener("online", send);
  form.addEventListener("submit", function () { try { window.localStorage.removeItem(key); } catch (e) { /* none */ } });
  showTotal();
})();
