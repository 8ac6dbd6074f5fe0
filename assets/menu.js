/* The phone's menu (issue 16, part 4): under 576 px the header's navigation
 * and user line fold behind the "Meny" button (components/shell.py), which
 * says whether it is open (aria-expanded). Choosing a page, Escape, or a
 * click outside closes it; Escape gives the focus back to the button. Wider
 * screens never see the button. The header stays across Dash's page changes,
 * so the listeners are delegated from the document.
 */
(function () {
  "use strict";
  function parts() {
    return {header: document.getElementById("lb-header"), button: document.getElementById("lb-nav-toggle")};
  }
  function set(open) {
    var p = parts();
    if (!p.header || !p.button) return;
    p.header.classList.toggle("lb-nav-open", open);
    p.button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  function isOpen() {
    var p = parts();
    return !!(p.header && p.header.classList.contains("lb-nav-open"));
  }
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    if (t.closest("#lb-nav-toggle")) { set(!isOpen()); return; }
    if (!isOpen()) return;
    if (t.closest("#lb-nav a") || !t.closest("#lb-header")) set(false);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || !isOpen()) return;
    var p = parts();
    if (p.header.contains(document.activeElement)) {
      set(false);
      p.button.focus();
    }
  });
})();
