/* The exam page: autosave that loses nothing, a countdown kept in step with the server.
 *
 * Every change gets a sequence number (server-time milliseconds, strictly increasing per
 * question), is written to localStorage first, then sent. The server keeps the highest
 * sequence per question, so retries and late duplicates are harmless. While offline the
 * queue waits in localStorage and is replayed when the network returns or the page reloads.
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
  var messages = {
    online: document.documentElement.lang === "en" ? "Connected — all answers saved" : "Đã kết nối — mọi câu trả lời đã được lưu",
    saving: document.documentElement.lang === "en" ? "Saving…" : "Đang lưu…",
    offline: document.documentElement.lang === "en" ? "No connection — answers kept on this computer, will be sent when the network returns" : "Mất kết nối — câu trả lời được giữ trên máy và sẽ gửi lại khi có mạng",
    closed: document.documentElement.lang === "en" ? "Time is up" : "Đã hết giờ",
    remaining: document.documentElement.lang === "en" ? "Time remaining: " : "Thời gian còn lại: "
  };
  var clockOffset = 0;  // server time minus this computer's time, in ms
  var flushing = false;
  var retryDelay = 1000;

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || { pending: {}, seq: {}, flags: {} }; }
    catch (e) { return { pending: {}, seq: {}, flags: {} }; }
  }
  var store = load();
  function persist() { localStorage.setItem(storeKey, JSON.stringify(store)); }

  function serverNow() { return Date.now() + clockOffset; }

  function setConnection(state) {
    connection.dataset.state = state;
    connection.textContent = messages[state];
  }

  function responseOf(fieldset) {
    var inputs = fieldset.querySelectorAll("input[name^='q-']");
    if (fieldset.dataset.type === "multiple_response") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; })
        .map(function (i) { return i.value; });
    }
    var checked = fieldset.querySelector("input[name^='q-']:checked");
    return checked ? checked.value : null;
  }

  function applyResponse(fieldset, response) {
    fieldset.querySelectorAll("input[name^='q-']").forEach(function (input) {
      input.checked = Array.isArray(response) ? response.indexOf(input.value) >= 0 : input.value === response;
    });
  }

  function isAnswered(response) {
    return Array.isArray(response) ? response.length > 0 : response !== null && response !== undefined;
  }

  function refreshNav() {
    var answered = 0;
    document.querySelectorAll("fieldset.question").forEach(function (fieldset) {
      var item = fieldset.dataset.item;
      var link = document.querySelector("[data-nav='" + item + "']");
      var done = isAnswered(responseOf(fieldset));
      answered += done ? 1 : 0;
      link.classList.toggle("answered", done);
      link.classList.toggle("flagged", !!store.flags[item]);
    });
    answeredCount.textContent = answered;
    var pending = Object.keys(store.pending).length > 0;
    unsavedWarning.classList.toggle("d-none", !pending || navigator.onLine);
  }

  function nextSeq(item, serverSeq) {
    var last = Math.max(store.seq[item] || 0, serverSeq || 0);
    var seq = Math.max(last + 1, Math.floor(serverNow()));
    store.seq[item] = seq;
    return seq;
  }

  function onChange(fieldset) {
    var item = fieldset.dataset.item;
    store.pending[item] = { item: Number(item), response: responseOf(fieldset), seq: nextSeq(item, Number(fieldset.dataset.seq)) };
    persist();
    refreshNav();
    flush();
  }

  function flush() {
    var batch = Object.keys(store.pending).map(function (k) { return store.pending[k]; });
    if (flushing || batch.length === 0) { return Promise.resolve(true); }
    flushing = true;
    setConnection("saving");
    return fetch(saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ answers: batch })
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      flushing = false;
      if (result.status === 409) { finish(); return false; }
      if (result.status !== 200) { throw new Error(result.body.error || "save failed"); }
      result.body.saved.forEach(function (saved) {
        var entry = store.pending[saved.item];
        if (entry && entry.seq <= saved.seq) { delete store.pending[saved.item]; }
      });
      persist();
      retryDelay = 1000;
      setConnection("online");
      refreshNav();
      if (Object.keys(store.pending).length) { return flush(); }
      return true;
    }).catch(function () {
      flushing = false;
      setConnection("offline");
      refreshNav();
      setTimeout(flush, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
      return false;
    });
  }

  function finish() {
    setConnection("closed");
    window.location.assign(resultUrl);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var left = Math.max(0, deadline - serverNow());
    var seconds = Math.floor(left / 1000);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    timer.textContent = (h ? h + ":" : "") + pad(m) + ":" + pad(s);
    timer.classList.toggle("warning", seconds <= 300);
    // Screen readers hear the time every 5 minutes, then each minute at the end.
    if (s === 0 && (m % 5 === 0 || seconds <= 300)) { timerLive.textContent = messages.remaining + timer.textContent; }
    if (left <= 0) {
      clearInterval(ticking);
      flush().then(finish, finish);
    }
  }

  function syncClock() {
    var sent = Date.now();
    return fetch(stateUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (state) {
      var received = Date.now();
      clockOffset = Date.parse(state.server_time) - (sent + received) / 2;
      deadline = Date.parse(state.deadline);
      if (state.status !== "in_progress") { finish(); }
    }).catch(function () { setConnection("offline"); });
  }

  // Restore what this browser still holds (newer than the server's copy), then send it.
  Object.keys(store.pending).forEach(function (item) {
    var fieldset = document.querySelector("fieldset[data-item='" + item + "']");
    if (fieldset) { applyResponse(fieldset, store.pending[item].response); }
  });
  document.querySelectorAll("[data-flag]").forEach(function (box) {
    box.checked = !!store.flags[box.dataset.flag];
    box.addEventListener("change", function () { store.flags[box.dataset.flag] = box.checked; persist(); refreshNav(); });
  });
  document.getElementById("paper").addEventListener("change", function (event) {
    if (event.target.name && event.target.name.indexOf("q-") === 0) { onChange(event.target.closest("fieldset")); }
  });
  document.getElementById("paper").addEventListener("submit", function (event) { event.preventDefault(); });
  document.getElementById("submit-form").addEventListener("submit", function (event) {
    var form = this;
    event.preventDefault();
    if (!window.confirm(form.querySelector("[data-confirm]").dataset.confirm)) { return; }
    flush().then(function (ok) {
      if (ok && Object.keys(store.pending).length === 0) { form.submit(); }
      else { unsavedWarning.classList.remove("d-none"); unsavedWarning.focus(); }
    });
  });
  window.addEventListener("online", function () { retryDelay = 1000; flush(); });
  window.addEventListener("offline", function () { setConnection("offline"); refreshNav(); });

  setConnection(navigator.onLine ? "online" : "offline");
  refreshNav();
  var ticking = setInterval(tick, 1000);
  syncClock().then(function () { tick(); flush(); });
  setInterval(syncClock, 60000);
})();
