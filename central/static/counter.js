// The counter page: the waiting counts and the recent calls change while the staff member
// serves (kiosks issue, other counters call). Every few seconds this fetches the page again and
// swaps in those two parts only, so nothing the user is choosing (the transfer target) is lost;
// actions stay plain form posts. A session that ended shows the login page at the next refresh.
(function () {
  "use strict";
  var root = document.getElementById("counter-page");
  if (!root || !window.fetch || !window.DOMParser) { return; }
  var every = parseInt(root.getAttribute("data-refresh-ms"), 10) || 10000;
  var parts = ["queues", "recent"];

  function refresh() {
    fetch(window.location.pathname, {credentials: "same-origin", redirect: "follow"}).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      if (r.url && r.url.indexOf("/counter") === -1) { window.location.reload(); return null; }
      return r.text();
    }).then(function (html) {
      if (html === null || html === undefined) { return; }
      var fresh = new DOMParser().parseFromString(html, "text/html");
      parts.forEach(function (id) {
        var now = document.getElementById(id), next = fresh.getElementById(id);
        if (now && next) { now.innerHTML = next.innerHTML; }
      });
    }).catch(function () { /* the server is away for a moment: the next turn tries again */ })
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
}());
