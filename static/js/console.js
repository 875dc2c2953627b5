/* The invigilator's console: refresh the room's list with a small poll (no page reload). */
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) { return; }
  var url = root.dataset.liveUrl;
  var every = Number(root.dataset.every) || 10000;
  var errorBox = document.getElementById("console-error");
  var updated = document.getElementById("console-updated");

  function tag(text, status) {
    var span = document.createElement("span");
    span.className = "status-tag status-" + status;
    span.textContent = text;
    return span;
  }

  function render(data) {
    Object.keys(data.counts).forEach(function (status) {
      var cell = root.querySelector("[data-count='" + status + "']");
      if (cell) { cell.textContent = data.counts[status]; }
    });
    data.rows.forEach(function (row) {
      var tr = root.querySelector("tr[data-attempt='" + row.attempt + "']");
      if (!tr) { return; }
      var status = tr.querySelector("[data-field='status']");
      status.textContent = "";
      status.appendChild(tag(row.status_title, row.status));
      if (row.penalty_title) { status.appendChild(document.createTextNode(" ")); status.appendChild(tag(row.penalty_title, "not_eligible")); }
      tr.querySelector("[data-field='last_contact']").textContent = row.last_contact_text;
      tr.querySelector("[data-field='answered']").textContent = row.answered + "/" + row.items;
      tr.querySelector("[data-field='deadline']").textContent = row.deadline_text;
      tr.dataset.status = row.status;
    });
    var now = new Date(data.server_time);
    updated.textContent = now.toLocaleTimeString(document.documentElement.lang === "en" ? "en-GB" : "vi-VN");
    root.dataset.updated = data.server_time;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok || r.redirected) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) { errorBox.classList.add("d-none"); render(data); })
      .catch(function () { errorBox.classList.remove("d-none"); })
      .then(function () { setTimeout(poll, every); });
  }
  setTimeout(poll, every);
})();
