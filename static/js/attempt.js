/* The exam page: autosave that loses nothing, a countdown kept in step with the server.
 *
 * Every change gets a sequence number (server-time milliseconds, strictly increasing per
 * question), is written to localStorage first, then sent (docs/api.md). The server keeps the
 * highest sequence per question, so retries and late duplicates are harmless. While offline
 * the queue waits in localStorage and is replayed when the network returns or the page
 * reloads. Several tabs on one paper share the queue: each change is a read-modify-write of
 * localStorage keeping the higher sequence, and a tab shows the answers another tab gives.
 * Answers stay in localStorage ("kept") after the server acknowledged them: when the server
 * shows an older answer or none (its last commits lost to a power cut, a restored backup),
 * the page sends its copy again, on load and with each clock sync.
 *
 * How a question's inputs become a response: a type registered in window.examQuestionTypes
 * (static/js/qtypes.js: read(fieldset), write(fieldset, value)) says it; otherwise, from the
 * controls of its template (templates/exams/qtypes/), named "q-<item id>":
 *   - inputs carrying data-key give an object {key: value} (matching, ordering…);
 *   - checkboxes give the list of checked values; radios the checked value (or null);
 *   - one text field, textarea or select gives its value (null when empty);
 *     several give the list of their values, in order.
 */
(function () {
  "use strict";
  var root = document.getElementById("attempt");
  if (!root) { return; }

  var saveUrl = root.dataset.saveUrl;
  var stateUrl = root.dataset.stateUrl;
  var resultUrl = root.dataset.resultUrl;
  var storeKey = "exam-attempt-" + root.dataset.attempt;
  var deadline = Date.parse(root.dataset.deadline);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var timer = document.getElementById("timer");
  var timerLive = document.getElementById("timer-live");
  var connection = document.getElementById("connection");
  var answeredCount = document.getElementById("answered-count");
  var unsavedWarning = document.getElementById("unsaved-warning");
  var sessionExpired = document.getElementById("session-expired");
  // The page's messages, translated by the template (templates/exams/paper.html).
  var messages = JSON.parse(root.dataset.messages);
  var clockOffset = 0;  // server time minus this computer's time, in ms
  var flushing = false;
  var retryDelay = 1000;
  var retryTimer = null;
  var finished = false;
  var shown = {};  // item -> seq of the response this page shows

  // --- the queue in localStorage, shared by every tab of this paper ----------------------
  function load() {
    try {
      var data = JSON.parse(localStorage.getItem(storeKey));
      if (data && data.pending && data.seq && data.flags) { data.kept = data.kept || {}; return data; }
    } catch (e) { /* unreadable: start afresh */ }
    return { pending: {}, seq: {}, flags: {}, kept: {} };
  }
  function update(change) {  // read, change, write: never overwrite another tab's newer entry
    var data = load();
    change(data);
    try { localStorage.setItem(storeKey, JSON.stringify(data)); } catch (e) { /* full or denied: the server still gets it */ }
    return data;
  }
  var store = load();

  function serverNow() { return Date.now() + clockOffset; }

  function setConnection(state) {
    connection.dataset.state = state;
    connection.textContent = messages[state];
  }

  // --- responses --------------------------------------------------------------------------
  function inputsOf(fieldset) {
    return Array.prototype.slice.call(fieldset.querySelectorAll("[name^='q-']"));
  }

  function custom(fieldset) {  // a question type with its own controls (static/js/qtypes.js)
    var types = window.examQuestionTypes || {};
    return types[fieldset.dataset.type];
  }

  function responseOf(fieldset) {
    if (custom(fieldset)) { return custom(fieldset).read(fieldset); }
    var inputs = inputsOf(fieldset);
    if (!inputs.length) { return null; }
    if (inputs.some(function (i) { return i.dataset.key; })) {
      var map = {};
      inputs.forEach(function (i) {
        if ((i.type === "radio" || i.type === "checkbox") && !i.checked) { return; }
        if (i.value !== "") { map[i.dataset.key] = i.value; }
      });
      return map;
    }
    if (inputs[0].type === "checkbox") {
      return inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (inputs[0].type === "radio") {
      var checked = inputs.filter(function (i) { return i.checked; })[0];
      return checked ? checked.value : null;
    }
    if (inputs.length === 1) { return inputs[0].value === "" ? null : inputs[0].value; }
    return inputs.map(function (i) { return i.value; });
  }

  function applyResponse(fieldset, response) {
    if (custom(fieldset)) { custom(fieldset).write(fieldset, response); return; }
    var inputs = inputsOf(fieldset);
    inputs.forEach(function (input, index) {
      var value = response;
      if (input.dataset.key) { value = response && typeof response === "object" ? response[input.dataset.key] : undefined; }
      else if (Array.isArray(response) && input.type !== "checkbox") { value = response[index]; }
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = Array.isArray(value) ? value.indexOf(input.value) >= 0 : String(value) === input.value;
      } else {
        input.value = value === null || value === undefined ? "" : value;
      }
    });
  }

  function isAnswered(response) {
    if (Array.isArray(response)) { return response.length > 0; }
    if (response && typeof response === "object") { return Object.keys(response).length > 0; }
    return response !== null && response !== undefined && response !== "";
  }

  function refreshNav() {
    var answered = 0;
    document.querySelectorAll("fieldset.question").forEach(function (fieldset) {
      var item = fieldset.dataset.item;
      var link = document.querySelector("[data-nav='" + item + "']");
      var done = isAnswered(responseOf(fieldset));
      var flagged = !!store.flags[item];
      answered += done ? 1 : 0;
      link.classList.toggle("answered", done);
      link.classList.toggle("flagged", flagged);
      // Colour is not enough: screen readers hear the state with the number.
      link.querySelector(".nav-status").textContent = ", " + (done ? messages.answered : messages.unanswered) + (flagged ? ", " + messages.flagged : "");
    });
    answeredCount.textContent = answered;
    var pending = Object.keys(store.pending).length > 0;
    unsavedWarning.classList.toggle("d-none", !pending || (navigator.onLine && connection.dataset.state === "online"));
  }

  function nextSeq(item, serverSeq) {
    var last = Math.max(store.seq[item] || 0, serverSeq || 0, shown[item] || 0);
    return Math.max(last + 1, Math.floor(serverNow()));
  }

  function onChange(fieldset) {
    if (finished) { return; }
    var item = fieldset.dataset.item;
    var entry = { item: Number(item), response: responseOf(fieldset), seq: nextSeq(item, Number(fieldset.dataset.seq)) };
    shown[item] = entry.seq;
    store = update(function (data) {
      if (!data.pending[item] || data.pending[item].seq < entry.seq) { data.pending[item] = entry; }
      if (!data.kept[item] || data.kept[item].seq < entry.seq) { data.kept[item] = entry; }
      data.seq[item] = Math.max(data.seq[item] || 0, entry.seq);
    });
    refreshNav();
    flush();
  }

  // Queue again each kept answer newer than the one the server holds (serverSeqs: item ->
  // seq). Returns how many.
  function requeueMissing(serverSeqs) {
    var count = 0;
    store = update(function (data) {
      Object.keys(data.kept).forEach(function (item) {
        var entry = data.kept[item];
        var queued = data.pending[item];
        if (!document.querySelector("fieldset[data-item='" + item + "']")) { return; }
        if (entry.seq > (serverSeqs[item] || 0) && !(queued && queued.seq >= entry.seq)) {
          data.pending[item] = entry;
          count += 1;
        }
      });
    });
    return count;
  }

  // --- sending ----------------------------------------------------------------------------
  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  }

  function flush() {
    store = load();
    var batch = Object.keys(store.pending).map(function (k) { return store.pending[k]; });
    if (flushing || batch.length === 0 || finished) { return Promise.resolve(batch.length === 0); }
    flushing = true;
    setConnection("saving");
    return fetch(saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify({ answers: batch })
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") >= 0;
      // The proxy's own error page (nginx's 502 or 504: no node answered) is a network
      // error, retried; any other page instead of JSON means the session is gone.
      if (!json && !response.redirected && response.status >= 500) { throw new Error("proxy"); }
      if (response.redirected || !json) { return { status: 401, body: {} }; }
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      flushing = false;
      // 409: the paper is closed. 429: answers to a closed paper beyond what the server
      // keeps as evidence; the body says the paper's status (docs/api.md).
      if (result.status === 409 || (result.status === 429 && result.body.status && result.body.status !== "in_progress")) { finish(); return false; }
      if (result.status === 401) {
        setConnection("error");
        sessionExpired.classList.remove("d-none");
        scheduleRetry();
        return false;
      }
      if (result.status !== 200) { throw new Error(result.body.error || "save failed"); }
      sessionExpired.classList.add("d-none");
      store = update(function (data) {
        result.body.saved.forEach(function (saved) {
          var entry = data.pending[saved.item];
          if (entry && entry.seq <= saved.seq) { delete data.pending[saved.item]; }
        });
      });
      retryDelay = 1000;
      setConnection("online");
      refreshNav();
      if (Object.keys(store.pending).length) { return flush(); }
      return true;
    }).catch(function () {
      flushing = false;
      setConnection("offline");
      refreshNav();
      scheduleRetry();
      return false;
    });
  }

  function finish() {
    if (finished) { return; }
    finished = true;
    setConnection("closed");
    window.location.assign(resultUrl);
  }

  // --- the countdown ----------------------------------------------------------------------
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var left = Math.max(0, deadline - serverNow());
    var seconds = Math.floor(left / 1000);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    timer.textContent = (h ? h + ":" : "") + pad(m) + ":" + pad(s);
    timer.classList.toggle("warning", seconds <= 300);
    // Screen readers hear the time every 5 minutes, then each minute at the end.
    if (s === 0 && (m % 5 === 0 || seconds <= 300)) { timerLive.textContent = messages.remaining.replace("{time}", timer.textContent); }
    if (left <= 0) {
      clearInterval(ticking);
      flush().then(finish, finish);
    }
  }

  function syncClock() {
    var sent = Date.now();
    return fetch(stateUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (r) {
      if (r.redirected) { throw new Error("signed out"); }
      return r.json();
    }).then(function (state) {
      var received = Date.now();
      clockOffset = Date.parse(state.server_time) - (sent + received) / 2;
      deadline = Date.parse(state.deadline);  // extra time given by an invigilator shows at once
      if (state.status !== "in_progress") { finish(); return; }
      if (state.answers && requeueMissing(state.answers)) { refreshNav(); flush(); }
    }).catch(function () { if (!navigator.onLine) { setConnection("offline"); } });
  }

  // --- wiring -----------------------------------------------------------------------------
  var held = {};  // what the server holds, as rendered on this page
  document.querySelectorAll("fieldset.question").forEach(function (fieldset) {
    held[fieldset.dataset.item] = Number(fieldset.dataset.seq) || 0;
  });
  requeueMissing(held);
  document.querySelectorAll("fieldset.question").forEach(function (fieldset) {
    var item = fieldset.dataset.item;
    shown[item] = Number(fieldset.dataset.seq) || 0;
    var entry = store.pending[item];
    if (entry && entry.seq > shown[item]) { applyResponse(fieldset, entry.response); shown[item] = entry.seq; }
  });
  document.querySelectorAll("[data-flag]").forEach(function (box) {
    box.checked = !!store.flags[box.dataset.flag];
    box.addEventListener("change", function () {
      store = update(function (data) { data.flags[box.dataset.flag] = box.checked; });
      refreshNav();
    });
  });
  var paper = document.getElementById("paper");
  var typing = {};
  paper.addEventListener("change", function (event) {
    if (event.target.name && event.target.name.indexOf("q-") === 0) { onChange(event.target.closest("fieldset")); }
  });
  paper.addEventListener("input", function (event) {  // long answers: saved while typing
    var target = event.target;
    if (!target.name || target.name.indexOf("q-") !== 0 || target.type === "radio" || target.type === "checkbox") { return; }
    var fieldset = target.closest("fieldset");
    clearTimeout(typing[fieldset.dataset.item]);
    typing[fieldset.dataset.item] = setTimeout(function () { onChange(fieldset); }, 1500);
  });
  paper.addEventListener("submit", function (event) { event.preventDefault(); });
  document.querySelectorAll("[data-nav]").forEach(function (link) {
    // Focus the question here and now rather than after the browser's own jump to the
    // fragment: that jump may land later and take the focus back from whatever the keyboard
    // has reached in the meantime.
    link.addEventListener("click", function (event) {
      var target = document.querySelector(link.getAttribute("href"));
      if (!target) { return; }
      event.preventDefault();
      history.replaceState(history.state, "", link.getAttribute("href"));
      target.focus();  // scrolls it into view
    });
  });
  document.getElementById("submit-form").addEventListener("submit", function (event) {
    var form = this;
    event.preventDefault();
    if (!window.confirm(form.querySelector("[data-confirm]").dataset.confirm)) { return; }
    flush().then(function (ok) {
      if (ok && Object.keys(load().pending).length === 0) { finished = true; form.submit(); }
      else { unsavedWarning.classList.remove("d-none"); unsavedWarning.focus(); }
    });
  });
  // Another tab of this paper changed an answer: show it here too.
  window.addEventListener("storage", function (event) {
    if (event.key !== storeKey) { return; }
    store = load();
    Object.keys(store.pending).forEach(function (item) {
      var entry = store.pending[item];
      var fieldset = document.querySelector("fieldset[data-item='" + item + "']");
      if (fieldset && entry.seq > (shown[item] || 0)) { applyResponse(fieldset, entry.response); shown[item] = entry.seq; }
    });
    document.querySelectorAll("[data-flag]").forEach(function (box) { box.checked = !!store.flags[box.dataset.flag]; });
    refreshNav();
  });
  window.addEventListener("online", function () { retryDelay = 1000; flush(); });
  window.addEventListener("offline", function () { setConnection("offline"); refreshNav(); });

  setConnection(navigator.onLine ? "online" : "offline");
  refreshNav();
  var ticking = setInterval(tick, 1000);
  syncClock().then(function () { tick(); flush(); });
  setInterval(syncClock, 60000);
})();
