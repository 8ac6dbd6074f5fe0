/* Every chart's text alternative (issue 16, part 2): a one-sentence summary
 * and the chart's numbers as a table, under the chart, from the very figure
 * Plotly has drawn (so they can never disagree). The summary is a polite live
 * region, so a screen reader hears when a chart changes. Suppressed values are
 * gaps in the figure and "–" here: nothing the chart hides is shown.
 *
 * The container is the <figcaption class="lb-fig-text" data-for="GRAPH-ID">
 * that components/figures.graph puts beside every dcc.Graph.
 */
(function () {
  "use strict";
  // As the screen shows them (METRICS.md): days in whole days, shares in whole percent, counts whole;
  // half away from zero, as common/format.py rounds.
  var number = new Intl.NumberFormat("sv-SE", {maximumFractionDigits: 0});

  // Said in the table's caption (for assistive technology) and, for the eye, above the scrolling
  // region, wrapped to the screen: a caption is as wide as its table and was cut off on a phone.
  var DASH_NOTE = "”–”: inget värde visas – för få operationer för att visas, eller inga data för den punkten.";

  function text(v) {
    if (v === null || v === undefined || v === "" || (typeof v === "number" && isNaN(v))) return "–";
    if (typeof v === "number") return number.format(v).replace(/\u2212/g, "-");
    var month = /^(\d{4}-\d{2})-01( 00:00(:00)?)?$/.exec(String(v));   // the charts' x values are months
    return month ? month[1] : String(v);
  }
  // Text of a label Plotly renders as markup ("<br>", "&lt;"), parsed inertly (no script, no image load).
  function plain(html) {
    var doc = new DOMParser().parseFromString(String(html || "").replace(/<br\s*\/?>/gi, " "), "text/html");
    return (doc.body.textContent || "").replace(/\s+/g, " ").trim();
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  function axisTitle(gd, axis) {
    var a = gd.layout && gd.layout[axis];
    var t = a && a.title && (a.title.text || a.title);
    return typeof t === "string" ? plain(t) : "";
  }

  function series(gd) {
    return (gd.data || []).filter(function (t) {
      return t.visible !== false && t.showlegend !== false || (t.name && t.visible !== false);
    }).filter(function (t) { return (t.x && t.x.length) || (t.y && t.y.length); }).map(function (t) {
      var horizontal = t.orientation === "h";
      var valueAxis = horizontal ? "xaxis" : "yaxis";
      var cats = Array.prototype.slice.call((horizontal ? t.y : t.x) || []).map(function (c) {
        return typeof c === "string" ? plain(c) : c;
      });
      var vals = Array.prototype.slice.call((horizontal ? t.x : t.y) || []);
      var unit = String((gd.layout && gd.layout[valueAxis] && gd.layout[valueAxis].ticksuffix) || "").trim();
      return {name: plain(t.name) || axisTitle(gd, valueAxis) || (unit === "%" ? "Andel" : "Värde"),
              unit: unit, cats: cats, vals: vals};
    });
  }

  function title(gd, caption) {
    var t = gd.layout && gd.layout.title && (gd.layout.title.text || gd.layout.title);
    if (typeof t === "string" && t) return plain(t);
    // The nearest heading before the chart in its card ("ASA-klass" under "Patientmix för gruppen").
    var card = caption.closest(".lb-card");
    for (var n = caption.closest("figure"); n && n !== card; n = n.parentElement) {
      for (var p = n.previousElementSibling; p; p = p.previousElementSibling) {
        if (/^H[1-6]$/.test(p.tagName)) return plain(p.textContent);
        var inner = p.querySelectorAll("h1, h2, h3, h4, h5, h6");
        if (inner.length) return plain(inner[inner.length - 1].textContent);
      }
    }
    var h = card && card.querySelector("h2, h3");
    return h ? plain(h.textContent) : "Diagrammet";
  }

  function summary(gd, caption, all) {
    var name = title(gd, caption);
    if (!all.length) {
      var notes = (gd.layout && gd.layout.annotations || []).map(function (a) { return plain(a.text); }).filter(Boolean);
      // The figure's own words say why it is empty; one full stop ends the sentence.
      return name + ": " + (notes.join(" ") || "inga värden att visa").replace(/[.…\s]+$/, "") + ".";
    }
    var cats = all[0].cats;
    var overTime = cats.length > 0 && cats.every(function (c) { return /^\d{4}-\d{2}/.test(String(c)); });
    if (!overTime) {
      // Categories (a mix, the regions): the highest and the lowest, no "latest".
      var bits = all.slice(0, 4).map(function (s) {
        var hi = -1, lo = -1;
        s.vals.forEach(function (v, i) {
          if (v === null || v === undefined) return;
          if (hi < 0 || v > s.vals[hi]) hi = i;
          if (lo < 0 || v < s.vals[lo]) lo = i;
        });
        if (hi < 0) return s.name + ": inga visade värden";
        var val = function (i) { return text(s.vals[i]) + (s.unit ? " " + s.unit : ""); };
        return (all.length > 1 ? s.name + ": " : "") + "högst " + text(s.cats[hi]) + " (" + val(hi) + "), lägst " +
          text(s.cats[lo]) + " (" + val(lo) + ")";
      });
      return name + " (" + cats.length + " kategorier): " + bits.join("; ") + ".";
    }
    var parts = all.slice(0, 4).map(function (s) {
      var last = -1;
      for (var i = s.vals.length - 1; i >= 0; i--) { if (s.vals[i] !== null && s.vals[i] !== undefined) { last = i; break; } }
      if (last < 0) return s.name + ": inga visade värden";
      var hi = last, lo = last;
      s.vals.forEach(function (v, i) {
        if (v === null || v === undefined) return;
        if (v > s.vals[hi]) hi = i;
        if (v < s.vals[lo]) lo = i;
      });
      return s.name + " " + text(s.vals[last]) + " (" + text(s.cats[last]) + "), högst " + text(s.vals[hi]) +
        " (" + text(s.cats[hi]) + "), lägst " + text(s.vals[lo]) + " (" + text(s.cats[lo]) + ")";
    });
    var span = cats.length > 1 ? ", " + text(cats[0]) + " till " + text(cats[cats.length - 1]) : "";
    return name + span + ": " + parts.join("; ") + (all.length > 4 ? "; och " + (all.length - 4) + " serier till" : "") + ".";
  }

  function table(all) {
    var cats = [];
    all.forEach(function (s) { s.cats.forEach(function (c) { if (cats.indexOf(c) < 0) cats.push(c); }); });
    var head = el("tr", {}, [el("th", {scope: "col"}, [""])].concat(all.map(function (s) {
      return el("th", {scope: "col", "class": "text-end"}, [s.name + (s.unit ? " (" + s.unit + ")" : "")]);
    })));
    var rows = cats.map(function (c) {
      return el("tr", {}, [el("th", {scope: "row", "class": /^\d{4}-\d{2}/.test(String(c)) ? "lb-nowrap" : ""}, [text(c)])].concat(all.map(function (s) {
        var i = s.cats.indexOf(c);
        return el("td", {"class": "text-end"}, [text(i >= 0 ? s.vals[i] : null)]);
      })));
    });
    var note = el("caption", {"class": "visually-hidden"}, [DASH_NOTE]);
    return el("table", {"class": "table table-sm lb-table"}, [note, el("thead", {}, [head]), el("tbody", {}, rows)]);
  }

  function render(gd) {
    var figure = gd.closest("figure.lb-figure");
    var caption = figure && figure.querySelector(".lb-fig-text");
    if (!caption) return;
    var all = series(gd);
    var said = summary(gd, caption, all);
    var line = caption.querySelector(".lb-fig-summary");
    if (!line) {
      line = el("p", {"class": "lb-fig-summary lb-legend mb-1", "aria-live": "polite"});
      caption.appendChild(line);
    }
    if (line.textContent !== said) line.textContent = said;
    var old = caption.querySelector("details");
    var open = old ? old.open : false;
    if (old) old.remove();
    if (!all.length) return;
    var details = el("details", {"class": "lb-fig-table"}, [el("summary", {}, ["Diagrammets siffror som tabell"]),
      el("p", {"class": "lb-table-caption", "aria-hidden": "true"}, [DASH_NOTE]),
      el("div", {"class": "table-responsive", tabindex: "0", role: "region", "aria-label": title(gd, caption) + " som tabell"},
         [table(all)])]);
    details.open = open;
    caption.appendChild(details);
  }

  var hooked = new WeakSet();
  function scan() {
    var plots = document.querySelectorAll(".js-plotly-plot");
    for (var i = 0; i < plots.length; i++) {
      var gd = plots[i];
      if (hooked.has(gd) || typeof gd.on !== "function") continue;
      hooked.add(gd);
      gd.on("plotly_afterplot", (function (g) { return function () { render(g); }; })(gd));
      render(gd);
    }
  }
  var pending = false;
  function start() {
    scan();
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; scan(); });
    }).observe(document.body, {childList: true, subtree: true});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
