/* Draws the dashboard's plotly figures from JSON data blocks, then fetches and draws the model estimates.
   No inline scripts anywhere (CSP 'self'): everything the page needs is in this file or a same-origin URL. */
(function () {
  "use strict";
  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"] };

  // Break a chart title into lines of about `width` characters (plotly.js never wraps a title itself).
  function wrap(title, width) {
    var lines = [], line = "";
    title.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; } else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.join("<br>");
  }

  function draw(targetId, figure) {
    var target = document.getElementById(targetId);
    if (!target || !window.Plotly) { return; }
    var layout = figure.layout;
    // On a phone the titles would run off the screen: wrap them and make room above the plot.
    if (target.clientWidth < 600 && layout.title && layout.title.text) {
      var chars = Math.max(20, Math.floor(target.clientWidth / 9));
      layout.title.text = wrap(layout.title.text, chars);
      var lines = layout.title.text.split("<br>").length;
      layout.title.font = { size: 14 };
      layout.margin = Object.assign({}, layout.margin, { t: 30 + 18 * lines, l: 40, r: 10 });
    }
    window.Plotly.newPlot(target, figure.data, layout, CONFIG);
  }

  function text(tag, content, className) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (className) { el.className = className; }
    return el;
  }

  function fmt(x) { return (x === null || x === undefined) ? "–" : Number(x).toFixed(3); }

  function estimateTable(rows) {
    var table = document.createElement("table");
    table.className = "estimate-table";
    var head = table.createTHead().insertRow();
    ["Outcome", "Estimator", "Estimate", "95% interval", "p", "N"].forEach(function (h) {
      var th = document.createElement("th"); th.scope = "col"; th.textContent = h; head.appendChild(th);
    });
    var body = table.createTBody();
    rows.forEach(function (r) {
      var tr = body.insertRow();
      [r.outcome_label, r.estimator_label, fmt(r.estimate), r.error ? r.error : "[" + fmt(r.ci_low) + ", " + fmt(r.ci_high) + "]",
       fmt(r.p_value), r.n_obs === null ? "–" : String(r.n_obs)].forEach(function (v) { tr.insertCell().textContent = v; });
    });
    return table;
  }

  function showEstimates(payload) {
    var status = document.getElementById("estimates-status");
    var summary = document.getElementById("estimates-summary");
    status.textContent = payload.message || "";
    summary.textContent = "";
    if (payload.effects && payload.effects.length) {
      var scroll = document.createElement("div");  // a wide table scrolls by itself, not the whole page
      scroll.className = "table-scroll";
      scroll.tabIndex = 0;  // scrollable with the keyboard
      scroll.setAttribute("role", "region");
      scroll.setAttribute("aria-label", "Estimates table (scrolls sideways)");
      scroll.appendChild(estimateTable(payload.effects));
      summary.appendChild(scroll);
    }
    (payload.verdicts || []).forEach(function (v) { summary.appendChild(text("p", v, "verdict")); });
    if (payload.figures) {
      if (payload.figures.effects) { draw("figure-effects", payload.figures.effects); }
      if (payload.figures.event_study) { draw("figure-event-study", payload.figures.event_study); }
    }
  }

  function loadEstimates() {
    var section = document.getElementById("estimates");
    if (!section || !window.fetch) { return; }
    fetch(section.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
      .then(function (result) {
        if (!result.ok) {
          var message = result.body && result.body.error ? result.body.error.message : "The estimates could not be computed.";
          document.getElementById("estimates-status").textContent = message;
          return;
        }
        showEstimates(result.body);
      })
      .catch(function () { document.getElementById("estimates-status").textContent = "The estimates could not be loaded."; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("script.figure-data").forEach(function (block) {
      draw(block.getAttribute("data-target"), JSON.parse(block.textContent));
    });
    loadEstimates();
  });
}());
