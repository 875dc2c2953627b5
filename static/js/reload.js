/* Pages that wait for the server (a paper being collected): reload after data-reload-after ms. */
(function () {
  "use strict";
  var waiting = document.querySelector("[data-reload-after]");
  if (waiting) { setTimeout(function () { window.location.reload(); }, Number(waiting.dataset.reloadAfter)); }
})();
