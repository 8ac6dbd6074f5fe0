/* The tables on a phone (issue 16, part 4). Under 576 px each table pins its
 * name column to the left, so a row never loses its name when swiped
 * sideways, and Jämför enheter puts the columns a coordinator decides by
 * first: the unit, its median and its distance. Wider screens keep the order
 * of the column definitions. The grid gets new column definitions on every
 * filter change, so the arrangement is made again each time.
 */
(function () {
  "use strict";
  var PHONE = window.matchMedia("(max-width: 575.98px)");
  var FIRST = {"jf-grid": ["namn", "median", "avstand_km"]};
  var PIN = ["namn", "region_namn", "grupp", "file_name"];
  var hooked = new WeakSet();

  function arrange(id, api) {
    var columns = api.getColumns() || [];
    if (!columns.length) return;
    var ids = columns.map(function (c) { return c.getColId(); });
    var pin = null;
    for (var i = 0; i < PIN.length && !pin; i++) if (ids.indexOf(PIN[i]) >= 0) pin = PIN[i];
    pin = pin || ids[0];
    if (!PHONE.matches) {
      if (api.getColumn(pin) && api.getColumn(pin).getPinned()) {
        api.applyColumnState({state: [{colId: pin, pinned: null}]});
      }
      return;
    }
    var first = (FIRST[id] || [pin]).filter(function (c) { return ids.indexOf(c) >= 0; });
    var state = first.map(function (c) { return {colId: c, pinned: c === pin ? "left" : null}; });
    ids.forEach(function (c) { if (first.indexOf(c) < 0) state.push({colId: c, pinned: null}); });
    api.applyColumnState({state: state, applyOrder: true});
    // The name as narrow as its least width (a unit's longest word whole), so the median fits beside it.
    var least = (api.getColumn(pin).getColDef().minWidth) || 150;
    api.setColumnWidths([{key: pin, newWidth: least}]);
  }

  function hook(el) {
    if (hooked.has(el) || !window.dash_ag_grid || !window.dash_ag_grid.getApiAsync) return;
    hooked.add(el);
    window.dash_ag_grid.getApiAsync(el.id).then(function (api) {
      arrange(el.id, api);
      api.addEventListener("gridColumnsChanged", function () { arrange(el.id, api); });
      PHONE.addEventListener("change", function () { arrange(el.id, api); });
    }).catch(function () { hooked.delete(el); });
  }

  function scan() {
    var grids = document.querySelectorAll(".lb-grid[id]");
    for (var i = 0; i < grids.length; i++) hook(grids[i]);
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

/* A table wider than its place (a phone) says so above it: "svep i sidled".
 * The region itself is focusable, so the arrow keys scroll it too. The hint
 * follows the width: it comes and goes as the screen turns or the table's
 * content changes. AG Grid tables have their own hint (Jämför enheter). */
(function () {
  "use strict";
  var HINT = "Tabellen är bredare än skärmen: svep i sidled för fler kolumner.";
  var pending = false;

  function check() {
    pending = false;
    var regions = document.querySelectorAll(".table-responsive");
    for (var i = 0; i < regions.length; i++) {
      var region = regions[i];
      var hint = region.previousElementSibling;
      var has = hint && hint.classList.contains("lb-scroll-hint");
      var wide = region.offsetParent !== null && region.scrollWidth > region.clientWidth + 1;
      if (wide && !has) {
        hint = document.createElement("p");
        hint.className = "lb-scroll-hint lb-legend mb-1";
        hint.textContent = HINT;
        region.parentNode.insertBefore(hint, region);
      } else if (!wide && has) {
        hint.remove();
      }
    }
  }
  function later() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(check);
  }
  function start() {
    later();
    // AG Grid redraws its rows on every scroll step: those changes cannot make an HTML table wider.
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i++) {
        if (!mutations[i].target.closest || !mutations[i].target.closest(".ag-root-wrapper")) { later(); return; }
      }
    }).observe(document.body, {childList: true, subtree: true});
    window.addEventListener("resize", later);
    document.addEventListener("toggle", later, true);   // a chart's table opened (<details>)
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* The printout names its view: "Utskrivet ÅÅÅÅ-MM-DD från <address>" (the
 * address holds the filters), in a line only the print stylesheet shows. */
(function () {
  "use strict";
  window.addEventListener("beforeprint", function () {
    var line = document.getElementById("lb-print-info");
    if (!line) {
      line = document.createElement("p");
      line.id = "lb-print-info";
      line.className = "lb-print-only";
      var main = document.getElementById("lb-main");
      (main || document.body).insertBefore(line, main ? main.firstChild : null);
    }
    var d = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    line.textContent = "Utskrivet " + d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      " från " + window.location.href;
  });
})();
