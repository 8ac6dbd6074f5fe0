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

  /* The view's controls and the URL parameters they write (components/url_state.py
   * and the pages' parse_state): a change refused with 401 is kept in the
   * return address, so the person comes back to the view they had just chosen. */
  var PARAMS = {
    "jf-kva": "kva", "jf-period": "period", "jf-level": "level", "jf-asa": "asa", "jf-prio": "prio",
    "jf-narkos": "narkos", "jf-hem": "hem", "jf-forvantad": "forvantad",
    "nu-kva": "kva", "nu-period": "period", "nu-matt": "matt",
    "rk-region": "region", "rk-kva": "kva", "rk-period": "period",
    "dq-fil": "fil", "an-kva": "kva", "an-region": "region", "eh-kva": "kva"
  };
  var lastChange = null;

  function withChange(search) {
    if (!lastChange) { return search; }
    var params = new URLSearchParams(search);
    Object.keys(lastChange).forEach(function (name) {
      var value = lastChange[name];
      if (Array.isArray(value)) {
        value = (name === "narkos" || name === "forvantad") ? (value.length ? "1" : "") : value.join(",");
      }
      if (value === null || value === undefined || value === "") {
        params.delete(name);
      } else {
        params.set(name, String(value));
      }
    });
    var text = params.toString().replace(/%2C/g, ",");
    return text ? "?" + text : "";
  }

  function remember(init) {
    try {
      var body = JSON.parse((init && init.body) || "null");
      var changed = (body && body.changedPropIds) || [];
      var inputs = (body && body.inputs) || [];
      var change = {};
      inputs.forEach(function (item) {
        if (item && PARAMS[item.id] && item.property === "value" &&
            changed.indexOf(item.id + ".value") !== -1) {
          change[PARAMS[item.id]] = item.value;
        }
      });
      if (Object.keys(change).length) { lastChange = change; }
    } catch (e) { /* not a callback body */ }
  }

  function toLogin(loginUrl) {
    if (redirecting) { return; }
    redirecting = true;
    var here = window.location.pathname + withChange(window.location.search) + window.location.hash;
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
      if (isDashRequest(url)) { remember(init); }
      return originalFetch.apply(this, arguments).then(function (response) {
        if (response.status === 401 && isDashRequest(url)) {
          response.json().then(function (body) {
            toLogin(body && body.login_url);
          }, function () { toLogin(null); });
          /* The page is leaving for the login: Dash gets no answer to read
           * (it read the refused body again: "body stream already read"). */
          return new Promise(function () {});
        }
        return response;
      });
    };
  }
})();
