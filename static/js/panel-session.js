/* The interview session's timer (templates/panels/_timer.html) and the secretary's keys.
   The server recorded when the phase started: the timer counts from that record with the
   server's clock (data-server-now, seconds), never from this computer's own; every 5 s it
   asks the server again (data-state-url) so that the room's screen follows the secretary.
   Every word shown comes from the data-msg-* attributes of the translated template.
   Keys on the secretary's page: C present, V absent, T presentation, H questions (each
   presses the button of the selected turn carrying that data-key), J/K next/previous turn.
   F toggles full screen. */
(function () {
  "use strict";
  var box = document.querySelector("[data-timer]");
  if (!box) { return; }
  var msg = box.dataset;
  var clock = box.querySelector("[data-timer-clock]");
  var phaseText = box.querySelector("[data-timer-phase]");
  var candidate = box.querySelector("[data-timer-candidate]");
  var note = box.querySelector("[data-timer-note]");
  var state = {};
  var skew = 0;  // server minus this computer, in ms

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function show(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600);
    return (h ? h + ":" : "") + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }

  function take(facts) {
    state = facts;
    skew = facts.server_now * 1000 - Date.now();
    phaseText.textContent = facts.phase === "presentation" ? msg.msgPresentation
      : facts.phase === "questions" ? msg.msgQuestions : msg.msgIdle;
    candidate.textContent = facts.candidate || "";
    tick();
  }

  function tick() {
    if (!state.phase) {
      clock.textContent = "--:--";
      note.textContent = "";
      box.classList.remove("overtime", "under-minimum");
      return;
    }
    var elapsed = (Date.now() + skew) / 1000 - state.started;
    var left = state.limit - elapsed;
    clock.textContent = show(left > 0 ? left : -left);
    box.classList.toggle("overtime", left <= 0);
    box.classList.toggle("under-minimum", left > 0 && elapsed < state.minimum);
    if (left <= 0) { note.textContent = msg.msgOver + " (+" + show(-left) + ")"; }
    else if (elapsed < state.minimum) { note.textContent = msg.msgMinimum + " · " + show(elapsed); }
    else { note.textContent = msg.msgLeft; }
  }

  function poll() {
    fetch(msg.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (facts) { if (facts) { take(facts); } })
      .catch(function () { /* the next poll tries again; the clock keeps counting */ });
  }

  take({
    server_now: Number(msg.serverNow), phase: msg.phase || null,
    started: Number(msg.started), limit: Number(msg.limit), minimum: Number(msg.minimum) || 0,
    candidate: candidate.textContent
  });
  setInterval(tick, 500);
  setInterval(poll, 5000);

  var turns = Array.prototype.slice.call(document.querySelectorAll("[data-turn]"));
  var selected = 0;
  function select(i) {
    if (!turns.length) { return; }
    selected = (i + turns.length) % turns.length;
    turns.forEach(function (t, n) { t.classList.toggle("border-primary", n === selected); });
    turns[selected].focus();
  }
  if (turns.length) { select(0); }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") { return; }
    var key = event.key.toLowerCase();
    if (key === "f") {
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen(); }
      return;
    }
    if (!turns.length) { return; }
    if (key === "j") { select(selected + 1); event.preventDefault(); return; }
    if (key === "k") { select(selected - 1); event.preventDefault(); return; }
    var button = turns[selected].querySelector('[data-key="' + key + '"]');
    if (button) { event.preventDefault(); button.click(); }
  });
})();
