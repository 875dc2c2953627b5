/* How the exam page reads and writes the answer of each question type that has its own
 * controls (templates/exams/qtypes/<type>.html). Framework-free; no inline script.
 *
 *   window.examQuestionTypes[TYPE].read(fieldset)         -> the response (JSON value)
 *   window.examQuestionTypes[TYPE].write(fieldset, value)  -> shows a saved response
 *
 * `fieldset` is the question's <fieldset class="question" data-type="TYPE">; its controls
 * are named "q-<item id>". Responses match what the server's question type accepts
 * (exam/question_bank/qtypes/): short answer, numerical and essay a string or null;
 * matching {prompt id: answer id}; ordering {item id: position (1 = first)}.
 */
(function () {
  "use strict";

  function controls(fieldset) {
    return Array.prototype.slice.call(fieldset.querySelectorAll("[name^='q-']"));
  }

  // One text control: its trimmed value, or null when empty.
  var text = {
    read: function (fieldset) {
      var input = controls(fieldset)[0];
      if (!input) { return null; }
      var value = input.tagName === "TEXTAREA" ? input.value : input.value.trim();
      return value.trim() === "" ? null : value;
    },
    write: function (fieldset, value) {
      var input = controls(fieldset)[0];
      if (input) { input.value = value === null || value === undefined ? "" : String(value); }
    }
  };

  // One <select data-key> per part: {key: value}, unanswered parts left out.
  function keyed(asNumber) {
    return {
      read: function (fieldset) {
        var response = {};
        controls(fieldset).forEach(function (select) {
          if (select.value !== "") {
            response[select.dataset.key] = asNumber ? Number(select.value) : select.value;
          }
        });
        return response;
      },
      write: function (fieldset, value) {
        var saved = value && typeof value === "object" ? value : {};
        controls(fieldset).forEach(function (select) {
          var chosen = saved[select.dataset.key];
          select.value = chosen === undefined || chosen === null ? "" : String(chosen);
        });
      }
    };
  }

  window.examQuestionTypes = window.examQuestionTypes || {};
  window.examQuestionTypes.short_answer = text;
  window.examQuestionTypes.numerical = text;
  window.examQuestionTypes.essay = text;
  window.examQuestionTypes.matching = keyed(false);
  window.examQuestionTypes.ordering = keyed(true);
})();
