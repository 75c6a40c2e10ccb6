// Overview, scorecard and big-screen charts (ECharts). No inline scripts: data comes from
// a json_script block (pages) or from the screen's JSON endpoint (big screen).
(function () {
  "use strict";
  var dark = document.body.classList.contains("screen");
  var palette = ["#c62828", "#ef6c00", "#f9a825", "#2e7d32", "#1565c0", "#6a1b9a", "#00838f", "#ad1457", "#4e342e", "#546e7a"];
  var instances = {};

  function option(chart) {
    var labels = chart.rows.map(function (r) { return r.label; });
    var values = chart.rows.map(function (r) { return r.value; });
    var text = dark ? "#d6e4ff" : "#333";
    var base = { color: palette, animation: !dark, textStyle: { color: text }, tooltip: { trigger: chart.kind === "pie" ? "item" : "axis" } };
    if (chart.kind === "pie") {
      base.series = [{ type: "pie", radius: ["35%", "68%"], label: { color: text },
        data: chart.rows.map(function (r) { return { name: r.label, value: r.value }; }) }];
      return base;
    }
    base.grid = { left: 8, right: 16, top: 16, bottom: 8, containLabel: true };
    base.xAxis = { type: "value", axisLabel: { color: text }, splitLine: { lineStyle: { color: dark ? "#23395d" : "#eee" } } };
    base.yAxis = { type: "category", data: labels, inverse: true, axisLabel: { color: text, width: 130, overflow: "truncate" } };
    base.series = [{ type: "bar", data: values, label: { show: true, position: "right", color: text }, itemStyle: { color: dark ? "#36cfc9" : "#c62828" } }];
    return base;
  }

  function draw(chart, node) {
    if (!window.echarts || !node) { return; }
    var instance = instances[chart.id];
    if (!instance || instance.isDisposed()) {
      instance = window.echarts.init(node, null, { renderer: "canvas" });
      instances[chart.id] = instance;
      instance.on("click", function (params) {
        var row = chart.rows[params.dataIndex];
        if (row && row.url && !dark) { window.location.href = row.url; }
      });
    }
    instance.setOption(option(chart), true);
  }

  function toggle(button) {
    var id = button.getAttribute("data-chart-toggle");
    var table = document.querySelector('[data-chart-table="' + id + '"]');
    var canvas = document.querySelector('[data-chart="' + id + '"]');
    var showTable = table.hidden;
    table.hidden = !showTable;
    canvas.hidden = showTable;
    button.setAttribute("aria-pressed", showTable ? "true" : "false");
    var labels = document.body.dataset;
    if (labels.labelChart) { button.textContent = showTable ? labels.labelChart : labels.labelTable; }
    if (!showTable && instances[id]) { instances[id].resize(); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-chart-toggle]");
    if (button) { toggle(button); }
  });

  // --- pages: charts from the json_script block -----------------------------------------
  function pageCharts() {
    var data = document.getElementById("dash-charts");
    if (!data) { return; }
    JSON.parse(data.textContent).forEach(function (chart) {
      draw(chart, document.querySelector('[data-chart="' + chart.id + '"]'));
    });
  }

  // --- big screen: fetch, render, repeat ---------------------------------------------------
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function screenChart(chart, container) {
    var labels = document.body.dataset;
    var box = container.querySelector('[data-box="' + chart.id + '"]');
    if (!box) {
      box = el("section", "screen-chart");
      box.setAttribute("data-box", chart.id);
      var head = el("div", "screen-chart-head");
      head.appendChild(el("h2", "", chart.title));
      var button = el("button", "link", labels.labelTable);
      button.type = "button";
      button.setAttribute("data-chart-toggle", chart.id);
      button.setAttribute("aria-pressed", "false");
      head.appendChild(button);
      box.appendChild(head);
      var canvas = el("div", "screen-canvas");
      canvas.setAttribute("data-chart", chart.id);
      box.appendChild(canvas);
      var wrap = el("div", "screen-table");
      wrap.setAttribute("data-chart-table", chart.id);
      wrap.hidden = true;
      box.appendChild(wrap);
      container.appendChild(box);
    }
    var tableWrap = box.querySelector("[data-chart-table]");
    var table = el("table");
    var thead = el("thead");
    var tr = el("tr");
    tr.appendChild(el("th", "", labels.labelItem));
    tr.appendChild(el("th", "num", labels.labelNumber));
    thead.appendChild(tr);
    table.appendChild(thead);
    var body = el("tbody");
    chart.rows.forEach(function (row) {
      var line = el("tr");
      line.appendChild(el("td", "", row.label));
      line.appendChild(el("td", "num", String(row.value)));
      body.appendChild(line);
    });
    table.appendChild(body);
    tableWrap.replaceChildren(table);
    draw(chart, box.querySelector("[data-chart]"));
  }

  function renderScreen(data) {
    document.querySelector("[data-screen-title]").textContent = data.title;
    document.querySelector("[data-screen-month]").textContent = data.month;
    document.querySelector("[data-screen-updated]").textContent = data.computed_at;
    var figures = document.querySelector("[data-screen-figures]");
    figures.replaceChildren.apply(figures, data.figures.map(function (f) {
      var box = el("div", "screen-figure");
      box.appendChild(el("span", "n", String(f.value)));
      box.appendChild(el("span", "l", f.label));
      return box;
    }));
    var charts = document.querySelector("[data-screen-charts]");
    data.charts.forEach(function (chart) { screenChart(chart, charts); });
    var flags = document.querySelector("[data-screen-redflags]");
    flags.replaceChildren.apply(flags, data.red_flags.map(function (w) {
      return el("li", "", w.township + " · " + w.name + " · " + w.total);
    }));
    document.body.setAttribute("data-loaded", "true");
  }

  function screen() {
    var url = document.body.getAttribute("data-screen");
    if (!url) { return; }
    var every = parseInt(document.body.getAttribute("data-refresh"), 10) || 60;
    var error = document.querySelector("[data-screen-error]");
    function load() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
        .then(function (data) { error.hidden = true; renderScreen(data); })
        .catch(function () { error.textContent = document.body.dataset.labelError; error.hidden = false; });
    }
    load();
    window.setInterval(load, every * 1000);
  }

  window.addEventListener("resize", function () {
    Object.keys(instances).forEach(function (id) { instances[id].resize(); });
  });
  document.addEventListener("DOMContentLoaded", function () { pageCharts(); screen(); });
})();
