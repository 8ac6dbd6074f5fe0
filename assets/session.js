/*
 * Session expiry inside the Dash app (auth/, issue 4).
 *
 * The server answers 401 to Dash's own requests (/_dash-update-component,
 * /_dash-layout, /_dash-dependencies) when the session has expired or the
 * certificate is no longer accepted. Without this, callbacks would just fail
 * silently. Here every such 401 leads the browser to the login page, with
 * the current address as next= so the person comes back to the same view.
 */
(function () {
  "use strict";
  if (window.__lagesbildSessionGuard) { return; }
  window.__lagesbildSessionGuard = true;

  var redirecting = false;

  function toLogin(loginUrl) {
    if (redirecting) { return; }
    redirecting = true;
    var here = window.location.pathname + window.location.search + window.location.hash;
    var target = loginUrl;
    if (!target || target.charAt(0) !== "/" || target.charAt(1) === "/") {
      target = "/login?next=" + encodeURIComponent(here);
    } else {
      target = target.split("?")[0] + "?next=" + encodeURIComponent(here) + "&utgangen=1";
    }
    window.location.assign(target);
  }

  function isDashRequest(url) {
    try {
      var u = new URL(url, window.location.href);
      return u.origin === window.location.origin && u.pathname.indexOf("/_dash-") !== -1;
    } catch (e) {
      return false;
    }
  }

  var originalFetch = window.fetch;
  if (typeof originalFetch === "function") {
    window.fetch = function (input, init) {
      var url = (typeof input === "string") ? input : (input && input.url) || "";
      return originalFetch.apply(this, arguments).then(function (response) {
        if (response.status === 401 && isDashRequest(url)) {
          response.clone().json().then(function (body) {
            toLogin(body && body.login_url);
          }, function () { toLogin(null); });
        }
        return response;
      });
    };
  }
})();
