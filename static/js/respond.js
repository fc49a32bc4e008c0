/* Progressive enhancement for the survey pages; everything works without it.
 * - Skip logic live: a question with data-show-if="<item>" data-show-codes="1 2" is
 *   hidden unless question <item> on this page has one of those codes checked.
 *   The server applies the same rule to what it stores, whatever the browser does.
 * - Focus moves to the error summary when a page comes back with errors.
 * - A second click on a submit button while the page is sending is ignored.
 * Served from our own origin (the CSP allows no inline script). */
(function () {
  "use strict";
  var form = document.querySelector("form[data-questionnaire]");

  function containerOf(item) { return document.getElementById("q-" + item); }

  function chosen(item) {
    var box = containerOf(item);
    if (box && box.hidden) { return []; }
    var inputs = document.getElementsByName("q_" + item);
    var codes = [];
    for (var i = 0; i < inputs.length; i++) {
      if ((inputs[i].type === "radio" || inputs[i].type === "checkbox") && inputs[i].checked) {
        codes.push(inputs[i].value);
      }
    }
    return codes;
  }

  function update() {
    var conditional = document.querySelectorAll("[data-show-if]");
    // Conditions can chain (B depends on A, C on B): repeat until nothing changes.
    for (var pass = 0; pass < conditional.length + 1; pass++) {
      var changed = false;
      for (var i = 0; i < conditional.length; i++) {
        var el = conditional[i];
        var wanted = el.getAttribute("data-show-codes").split(" ");
        var have = chosen(el.getAttribute("data-show-if"));
        var show = have.some(function (code) { return wanted.indexOf(code) !== -1; });
        if (el.hidden === show) { el.hidden = !show; changed = true; }
      }
      if (!changed) { break; }
    }
  }

  if (form) {
    var hints = document.querySelectorAll(".condition-hint");
    for (var h = 0; h < hints.length; h++) { hints[h].hidden = true; }
    update();
    form.addEventListener("change", update);
    var sending = false;
    form.addEventListener("submit", function (event) {
      if (sending) { event.preventDefault(); return; }
      sending = true;
      window.setTimeout(function () { sending = false; }, 8000);
    });
  }
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
}());
