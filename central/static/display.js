// Lobby display: asks for the office's calls every second; a call not seen before (number,
// counter and time) shows and flashes at once, and is announced in turn: the chime, then the
// call as spoken by the server (calls made together are spoken one after the other).
// Errors (a server restart) show "reconnecting" and back off to at most 10 s; nothing to reload.
(function () {
  "use strict";
  var root = document.getElementById("display");
  if (!root) { return; }
  var stateUrl = root.getAttribute("data-state-url");
  var pollMs = parseInt(root.getAttribute("data-poll-ms"), 10) || 1000;
  var audioUrl = root.getAttribute("data-audio-url");
  var chimeUrl = root.getAttribute("data-chime-url");
  var lang = root.getAttribute("data-lang");
  var texts = JSON.parse(root.getAttribute("data-texts"));
  var MAX_BACKOFF_MS = 10000;
  var failures = 0;
  var seen = null;          // call keys already shown; null until the first answer
  var queue = [];           // calls waiting to be announced
  var speaking = false;

  function t(key, params) {
    var text = texts[key] || "";
    Object.keys(params || {}).forEach(function (k) { text = text.split("{" + k + "}").join(params[k]); });
    return text;
  }
  function el(id) { return document.getElementById(id); }
  function key(call) { return call.number + "|" + call.counter + "|" + call.called_at; }

  function rows(tbody, calls) {
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    calls.forEach(function (call) {
      var tr = document.createElement("tr");
      var num = document.createElement("td");
      num.className = "num";
      num.textContent = call.number;
      var counter = document.createElement("td");
      counter.textContent = t("js.to_counter", {counter: call.counter});
      tr.appendChild(num);
      tr.appendChild(counter);
      tbody.appendChild(tr);
    });
  }

  function showLatest(call) {
    el("latest-label").textContent = t("js.calling");
    el("latest-number").textContent = call.number;
    el("latest-counter").textContent = t("js.to_counter", {counter: call.counter});
    var box = el("latest");
    box.classList.remove("flash");
    void box.offsetWidth;  // restart the animation
    box.classList.add("flash");
  }

  function play(url, then) {
    var sound = new Audio(url);
    var done = false;
    function next() { if (!done) { done = true; then(); } }
    sound.onended = next;
    sound.onerror = next;
    var started = sound.play();
    if (started && started.catch) {
      started.catch(function () { el("sound").classList.remove("hidden"); next(); });
    }
  }

  function announce() {
    if (speaking || !queue.length) { return; }
    speaking = true;
    var call = queue.shift();
    var spoken = audioUrl.replace("NUMBER", encodeURIComponent(call.number))
      .replace("COUNTER", encodeURIComponent(call.counter)) + "?lang=" + lang;
    play(chimeUrl, function () {
      play(spoken, function () { speaking = false; announce(); });
    });
  }

  function draw(state) {
    rows(el("counters"), state.counters);
    rows(el("recent"), state.recent);
    var fresh = state.recent.filter(function (c) { return seen && !seen[key(c)]; }).reverse();
    if (seen === null && state.recent.length) { showLatest(state.recent[0]); }
    seen = {};
    state.recent.forEach(function (c) { seen[key(c)] = true; });
    if (fresh.length) { showLatest(fresh[fresh.length - 1]); }
    fresh.forEach(function (c) { queue.push(c); });
    announce();
  }

  function later(ms) { window.setTimeout(poll, ms); }

  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", stateUrl, true);
    xhr.timeout = 5000;
    xhr.onload = function () {
      if (xhr.status === 200) {
        failures = 0;
        el("conn").classList.add("hidden");
        draw(JSON.parse(xhr.responseText));
        later(pollMs);
      } else if (xhr.status === 429) {
        later(1000 * (parseInt(xhr.getResponseHeader("Retry-After"), 10) || 5));
      } else {
        failed();
      }
    };
    xhr.onerror = failed;
    xhr.ontimeout = failed;
    xhr.send();
  }

  function failed() {
    failures += 1;
    el("conn").classList.remove("hidden");
    later(Math.min(MAX_BACKOFF_MS, pollMs * Math.pow(2, failures)));
  }

  function tick() { el("clock").textContent = new Date().toLocaleTimeString(lang, {hour: "2-digit", minute: "2-digit"}); }

  el("sound").addEventListener("click", function () {
    el("sound").classList.add("hidden");
    play(chimeUrl, function () {});
  });
  tick();
  window.setInterval(tick, 10000);
  poll();
}());
