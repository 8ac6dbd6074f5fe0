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
