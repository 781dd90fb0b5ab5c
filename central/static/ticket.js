// My ticket: asks the server for this ticket's status and redraws the page, every few seconds
// while waiting, backing off (up to a minute) while the server cannot be reached, honouring a
// 429's Retry-After, and stopping once the ticket is done. No framework, ES5-level, for cheap phones.
(function () {
  "use strict";
  var root = document.getElementById("ticket");
  if (!root) { return; }
  var url = root.getAttribute("data-status-url");
  var pollMs = parseInt(root.getAttribute("data-poll-ms"), 10) || 4000;
  var texts = JSON.parse(root.getAttribute("data-texts"));
  var lang = root.getAttribute("data-lang");
  var MAX_BACKOFF_MS = 60000;
  var NOT_SYNCED_MS = 10000;
  var failures = 0;

  function t(key, params) {
    var text = texts[key] || "";
    Object.keys(params || {}).forEach(function (k) { text = text.split("{" + k + "}").join(params[k]); });
    return text;
  }
  function setText(id, text) { document.getElementById(id).textContent = text; }
  function show(id, visible) { document.getElementById(id).classList.toggle("hidden", !visible); }

  function draw(s) {
    root.setAttribute("data-state", s.status);
    setText("number", s.number);
    setText("service", s.service_name ? s.service_name[lang] : s.service);
    var status = document.getElementById("status");
    status.className = "status " + s.status;
    status.textContent = s.status === "called" ? t("js.status.called", {counter: s.counter}) : t("js.status." + s.status);
    show("unknown", false);
    show("facts", true);
    setText("ahead", s.ahead === null ? t("js.none") : String(s.ahead));
    var wait = t("js.none");
    if (s.status === "waiting") {
      wait = s.ahead === 0 ? t("js.wait.next")
        : s.estimated_wait_min === null ? t("js.wait.unknown") : t("js.wait.minutes", {n: s.estimated_wait_min});
    }
    setText("wait", wait);
    setText("serving", s.now_serving ? t("js.serving", s.now_serving) : t("js.none"));
    if (s.survey_url) {
      document.getElementById("survey-link").setAttribute("href", s.survey_url);
      show("survey", true);
    }
    document.title = s.number;
  }

  function later(ms) { window.setTimeout(poll, ms); }

  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url, true);
    xhr.timeout = 10000;
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      var wait = pollMs;
      if (xhr.status === 200) {
        failures = 0;
        var s = JSON.parse(xhr.responseText);
        draw(s);
        setText("updated", t("js.updated", {time: new Date().toLocaleTimeString(lang)}));
        show("offline", false);
        if (s.status === "done" || s.status === "expired") { return; }
      } else if (xhr.status === 404) {
        failures = 0;
        show("offline", false);
        wait = NOT_SYNCED_MS;
      } else if (xhr.status === 429) {
        wait = 1000 * (parseInt(xhr.getResponseHeader("Retry-After"), 10) || 10);
      } else {
        return failed();
      }
      later(wait);
    };
    xhr.onerror = failed;
    xhr.ontimeout = failed;
    xhr.send();
  }

  function failed() {
    failures += 1;
    show("offline", true);
    later(Math.min(MAX_BACKOFF_MS, pollMs * Math.pow(2, failures - 1)));
  }

  var state = root.getAttribute("data-state");
  if (state !== "done" && state !== "expired") { later(state === "unknown" ? 2000 : pollMs); }
}());
