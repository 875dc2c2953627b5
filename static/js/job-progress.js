/* A background job's page (data-job-status-url): poll its JSON status every second, show
   the progress, and reload the page once the job has finished (the page then shows the
   result drawn by the server). Without JavaScript the page has a reload link instead. */
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status-url]");
  if (!box || box.dataset.jobFinished === "true") { return; }
  var url = box.dataset.jobStatusUrl;
  function field(name) { return box.querySelector('[data-job-field="' + name + '"]'); }
  var reload = field("reload");
  if (reload) { reload.hidden = true; }
  var failures = 0;

  function show(status) {
    var progress = field("progress");
    if (progress) { progress.value = status.percent; progress.textContent = status.percent + "%"; }
    var message = field("message");
    if (message) { message.textContent = status.message; }
    var title = field("status_title");
    if (title) { title.textContent = status.status_title; }
    var counts = field("counts");
    if (counts && status.total) { counts.textContent = "(" + status.done + "/" + status.total + ")"; }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (status) {
        failures = 0;
        show(status);
        if (status.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () {
        failures += 1;
        if (reload && failures >= 3) { reload.hidden = false; }
        setTimeout(poll, Math.min(10000, 1000 * Math.pow(2, failures)));
      });
  }
  setTimeout(poll, 1000);
})();
