/* Chart blocks: draws each [data-chart] with uPlot, on page load and after htmx swaps.
   The data is the JSON in the element's <script type="application/json">:
   [{label, x: [epoch seconds], y: [count or null where data is missing]}, ...].
   The server puts a null only where samples are missing for longer than about twice the
   usual interval (series/charts.py, gap_flags), so a missing day is joined over. */
(function () {
  "use strict";
  if (window.StatboardCharts) return;

  var COLORS = ["#2f6fdb", "#e0592a", "#2a9d8f", "#9b5de5", "#d4a017", "#6c757d"];
  var HEIGHT = 240;
  var MIN_PLOT = 160;
  var plots = new WeakMap(); // [data-chart] element -> its uPlot, for StatboardCharts.plotOf

  function number(v) {
    return v == null ? "–" : Math.round(v).toLocaleString();
  }

  function when(v) {
    return v == null ? "–" : new Date(v * 1000).toISOString().slice(0, 16).replace("T", " ");
  }

  // The plot takes the room the block gives its canvas (charts.css: at least HEIGHT,
  // more in a taller row or a block two rows tall), less the legend under it.
  function size(el) {
    var legend = el.querySelector(".u-legend");
    var below = legend ? legend.offsetHeight : 0;
    if (el.clientHeight - below < MIN_PLOT) {
      el.style.minHeight = MIN_PLOT + below + "px"; // a legend of many lines: more room
    }
    return { width: Math.max(200, el.clientWidth), height: Math.max(MIN_PLOT, el.clientHeight - below) };
  }

  function build(el) {
    if (el.dataset.chartReady) return;
    if (!window.uPlot) {
      // uPlot loads in parallel when a chart arrives in an htmx fragment.
      setTimeout(function () { build(el); }, 50);
      return;
    }
    var source = el.querySelector('script[type="application/json"]');
    var series = source ? JSON.parse(source.textContent) : [];
    if (!series.length) return;
    el.dataset.chartReady = "1";
    var color = getComputedStyle(el).color;
    var grid = { stroke: "rgba(128,128,128,0.2)" };
    // Axis labels follow the text around them, which grows with the screen (site.css).
    var text = parseFloat(getComputedStyle(el).fontSize) || 16;
    var font = Math.round(text * 0.8) + "px system-ui, sans-serif";
    var opts = {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      scales: { x: { time: true } },
      series: [{ label: "UTC", value: function (u, v) { return when(v); } }].concat(
        series.map(function (s, i) {
          return {
            label: s.label,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            spanGaps: false, // a null from the server is a real gap
            value: function (u, v) { return number(v); },
          };
        })
      ),
      axes: [
        { stroke: color, grid: grid, ticks: grid, font: font, size: Math.round(text * 3) },
        { stroke: color, grid: grid, ticks: grid, font: font, size: Math.round(text * 4.5),
          values: function (u, vals) { return vals.map(number); } },
      ],
      cursor: { drag: { x: false, y: false } },
    };
    // Explicit nulls are gaps; points missing only because another series has them are joined over.
    var data = uPlot.join(series.map(function (s) { return [s.x, s.y]; }));
    el.classList.add("chart-drawn");
    var plot = new uPlot(opts, data, el);
    plots.set(el, plot);
    plot.setSize(size(el));
    if (window.ResizeObserver) {
      // It reports the size it starts with too: redrawing the plot at the size it has
      // would cost as much as drawing it.
      new ResizeObserver(function () {
        var next = size(el);
        if (next.width !== plot.width || next.height !== plot.height) plot.setSize(next);
      }).observe(el);
    }
  }

  // Each chart is drawn in a task of its own, after the one that brought it (the page's
  // start, with htmx's; a swap): one long task holding them all would keep a slow
  // phone from answering a tap for as long.
  var queued = new WeakSet();

  function later(el) {
    if (queued.has(el) || el.dataset.chartReady) return;
    queued.add(el);
    setTimeout(function () { if (el.isConnected) build(el); }, 0);
  }

  function scan(root) {
    root = root || document;
    if (root.matches && root.matches("[data-chart]")) later(root);
    if (root.querySelectorAll) root.querySelectorAll("[data-chart]").forEach(later);
  }

  document.addEventListener("htmx:load", function (event) { scan(event.detail.elt); });

  // A finished import or collection names the accounts it changed (HX-Trigger-After-Settle:
  // {"series-changed": {"accounts": [ids]}}): only the charts showing one of them refetch.
  document.addEventListener("series-changed", function (event) {
    var changed = ((event.detail && event.detail.accounts) || []).map(String);
    document.querySelectorAll(".chart-body[data-accounts]").forEach(function (body) {
      var shown = body.dataset.accounts.split(" ");
      if (shown.some(function (id) { return changed.indexOf(id) >= 0; })) {
        htmx.trigger(body, "series-refresh");
      }
    });
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
  window.StatboardCharts = {
    scan: scan,
    plotOf: function (el) { return plots.get(el) || null; },
  };
})();
