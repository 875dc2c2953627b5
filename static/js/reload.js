/* Pages that wait for the server.
   - data-reload-after="ms": reload after that long (a paper being collected).
   - data-reload-at="ISO time" with data-server-now: reload when the server's clock reaches
     that time (the start page before a session opens), whatever the computer's own clock
     says, with up to 3 s of spread so that a room does not knock in the same millisecond;
     a [data-countdown] inside shows the time left. */
(function () {
  "use strict";
  var waiting = document.querySelector("[data-reload-after]");
  if (waiting) { setTimeout(function () { window.location.reload(); }, Number(waiting.dataset.reloadAfter)); }

  var until = document.querySelector("[data-reload-at]");
  if (!until) { return; }
  var skew = Date.parse(until.dataset.serverNow) - Date.now();  // server minus this computer
  var target = Date.parse(until.dataset.reloadAt) + Math.random() * 3000;
  var countdown = until.querySelector("[data-countdown]");

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var left = target - (Date.now() + skew);
    if (left <= 0) { window.location.reload(); return; }
    if (countdown) {
      var seconds = Math.ceil(left / 1000);
      var hours = Math.floor(seconds / 3600);
      var text = pad(Math.floor(seconds / 60) % 60) + ":" + pad(seconds % 60);
      countdown.textContent = countdown.dataset.label + " " + (hours ? hours + ":" : "") + text;
    }
    setTimeout(tick, Math.min(1000, left));
  }
  tick();
})();
