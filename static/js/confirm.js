/* A question before an action that cannot be undone: a submit button (or its form) with
   data-confirm asks it, and the form is sent only if the person agrees. Without JavaScript
   the form is sent as it is; the server's own rules still apply. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
