/* Accessibility repairs of library widgets (issue 16), in one place.
 *
 * Dash 4's dcc.Dropdown puts a focus proxy in the tab order: an
 * <input readonly aria-hidden="true" tabindex="0"> that hands focus on to the
 * real control, a <button> with tabindex="-1" (Radix's trigger, which carries
 * the label, aria-expanded and aria-haspopup). A focusable element hidden from
 * assistive technology is a WCAG 4.1.2 failure (axe: aria-hidden-focus): the
 * button itself is made the tab stop and the proxy taken out of the order.
 * React sets these attributes only when their props change, and the button's
 * blur handler gives the proxy tabindex 0 again, so an observer keeps it so.
 */
(function () {
  "use strict";
  function repair(root) {
    var proxies = (root.querySelectorAll ? root : document).querySelectorAll(".dash-dropdown-focus-target");
    for (var i = 0; i < proxies.length; i++) {
      var proxy = proxies[i];
      if (proxy.tabIndex !== -1) proxy.tabIndex = -1;
      var button = proxy.nextElementSibling;
      if (button && button.tagName === "BUTTON" && !button.disabled && button.tabIndex !== 0) button.tabIndex = 0;
    }
  }
  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; repair(document); });
  }
  function start() {
    repair(document);
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i++) {
        var m = mutations[i];
        if (m.type === "childList" || (m.target.classList && m.target.classList.contains("dash-dropdown-focus-target"))) {
          schedule();
          return;
        }
      }
    }).observe(document.body, {childList: true, subtree: true, attributes: true, attributeFilter: ["tabindex"]});
    // The proxy must never take focus between the observer's rounds either.
    document.addEventListener("focusin", function (e) {
      var t = e.target;
      if (t.classList && t.classList.contains("dash-dropdown-focus-target")) {
        t.tabIndex = -1;
        var button = t.nextElementSibling;
        if (button && button.tagName === "BUTTON" && e.relatedTarget !== button) { button.tabIndex = 0; button.focus(); }
      }
    }, true);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* The tables (AG Grid) by keyboard, as one composite widget (WAI-ARIA grid
 * pattern): Tab enters the table and Tab leaves it — AG Grid's own Tab walks
 * every cell, 24 rows × 9 columns of presses — while the arrow keys move
 * inside it; Enter on any cell of a row with a unit opens that unit's page
 * (its name link is not a Tab stop of its own). The grid is described by the
 * help text with the id GRIDID-help when the page has one.
 */
(function () {
  "use strict";
  var TABBABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]),' +
                 ' textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

  function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) &&
      window.getComputedStyle(el).visibility !== "hidden";
  }

  function leave(grid, backwards) {
    var all = Array.prototype.filter.call(document.querySelectorAll(TABBABLE), function (el) {
      return el.tabIndex >= 0 && visible(el) && !grid.contains(el);
    });
    var target = null;
    for (var i = 0; i < all.length; i++) {
      var after = grid.compareDocumentPosition(all[i]) & Node.DOCUMENT_POSITION_FOLLOWING;
      if (backwards && !after) target = all[i];
      if (!backwards && after) { target = all[i]; break; }
    }
    if (target) target.focus();
  }

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (!t.closest) return;
    var grid = t.closest(".lb-grid");
    if (!grid) return;
    var inBody = t.closest(".ag-cell") || t.closest(".ag-header-cell") || t.closest(".ag-full-width-row");
    if (!inBody) return;                                   // a filter popup or menu: AG Grid's own keys
    if (e.key === "Tab" && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      e.stopPropagation();
      leave(grid, e.shiftKey);
      return;
    }
    if (e.key === "Enter" && t.closest(".ag-cell")) {
      var row = t.closest(".ag-row");
      var index = row && row.getAttribute("row-index");
      var link = index !== null && grid.querySelector('.ag-row[row-index="' + index + '"] a.lb-unit-link');
      if (link) {
        e.preventDefault();
        e.stopPropagation();
        link.dispatchEvent(new MouseEvent("mousedown", {bubbles: true}));
        link.click();
      }
    }
  }, true);

  /* Name each grid by its help text (screen readers read it on entering). */
  function describe() {
    var grids = document.querySelectorAll(".lb-grid[id]");
    for (var i = 0; i < grids.length; i++) {
      var help = document.getElementById(grids[i].id + "-help");
      var root = grids[i].querySelector('[role="grid"], [role="treegrid"]');
      if (help && root && root.getAttribute("aria-describedby") !== help.id) root.setAttribute("aria-describedby", help.id);
    }
  }
  var pending = false;
  function start() {
    describe();
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; describe(); });
    }).observe(document.body, {childList: true, subtree: true});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* The skip link moves the focus to the view without touching the address:
 * "#lb-main" in the URL made Dash's page router render the view again, and
 * the focus was lost in the new one. */
document.addEventListener("click", function (e) {
  var link = e.target.closest && e.target.closest(".lb-skip-link");
  if (!link) return;
  var main = document.getElementById("lb-main");
  if (!main) return;
  e.preventDefault();
  main.focus();
  main.scrollIntoView();
}, true);

/* A field marked invalid (Bootstrap's .is-invalid, set by dbc's `invalid`) is
 * also invalid to assistive technology (aria-invalid), and is described by
 * the message that explains why (the form's role=status region, when it has
 * one), so a screen reader reads the reason on the field. */
(function () {
  "use strict";
  function mirror(field) {
    var bad = field.classList.contains("is-invalid");
    var ids = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (bad && field.getAttribute("aria-invalid") !== "true") {
      field.setAttribute("aria-invalid", "true");
      var form = field.closest(".lb-card");
      var message = form && form.querySelector("[role=status][id]");
      if (message && ids.indexOf(message.id) < 0) {
        field.setAttribute("aria-describedby", ids.concat([message.id]).join(" "));
        field.setAttribute("data-lb-error", message.id);
      }
    } else if (!bad && field.hasAttribute("aria-invalid")) {
      field.removeAttribute("aria-invalid");
      var added = field.getAttribute("data-lb-error");
      if (added) {
        var rest = ids.filter(function (id) { return id !== added; });
        if (rest.length) field.setAttribute("aria-describedby", rest.join(" "));
        else field.removeAttribute("aria-describedby");
        field.removeAttribute("data-lb-error");
      }
    }
  }
  function start() {
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i++) {
        var t = mutations[i].target;
        if (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT") mirror(t);
      }
    }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ["class"]});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
