// The live queue (templates/console/_live.html). Every few seconds the page asks whether
// its queue changed (If-None-Match: a 304 costs the server one small read); when it did,
// the page fetches its own URL again and swaps in the fresh #queue-list and #queue-counts,
// keeping the row under the worker's eyes where it was, focus where it was, and any
// half-typed search untouched (forms are outside the swapped regions). A new urgent ticket
// is highlighted, counted in the tab's title and, unless switched off, sounds a short
// tone (WebAudio; the switch is remembered in this browser). Hidden tabs poll less often.
(function () {
  var root = document.getElementById("queue-live");
  if (!root || !window.fetch || !window.DOMParser) return;
  var SOUND_KEY = "ivr.queueLive.sound";
  var sound = document.getElementById("queue-live-sound");
  var status = root.querySelector(".live-status");
  var alertBox = root.querySelector(".live-alert");
  var alertText = root.querySelector(".live-alert-text");
  var etag = root.dataset.etag || "";
  var known = {}; // urgent tickets already on screen or announced
  var unseen = []; // urgent tickets announced and not yet acknowledged
  var failures = 0, timer = null, busy = false, stopped = false, hiddenSince = null;
  var pressed = false, audio = null, tones = 0;
  var baseTitle = document.title;

  (root.dataset.urgent || "").split(",").forEach(function (id) { if (id) known[id] = true; });

  function stored() {
    try { return window.localStorage.getItem(SOUND_KEY); } catch (e) { return null; }
  }
  function store(value) {
    try { window.localStorage.setItem(SOUND_KEY, value); } catch (e) { /* private mode */ }
  }
  sound.checked = stored() !== "off";
  sound.addEventListener("change", function () {
    store(sound.checked ? "on" : "off");
    if (sound.checked) audioContext();
  });

  function say(text) { status.textContent = text; }
  function clock() {
    var now = new Date();
    return ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2) + ":" +
      ("0" + now.getSeconds()).slice(-2);
  }

  // --- when to ask -----------------------------------------------------------------
  function delay() {
    var seconds = parseFloat(root.dataset.interval) || 15;
    if (failures) seconds = Math.min(300, seconds * Math.pow(2, failures));
    if (document.visibilityState === "hidden" && hiddenSince !== null) {
      seconds *= Date.now() - hiddenSince > 600000 ? 4 : 2;
    }
    return seconds * 1000;
  }
  function schedule(ms) {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(poll, ms === undefined ? delay() : ms);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      hiddenSince = Date.now();
    } else {
      hiddenSince = null;
      if (!busy) schedule(0); // back in view: catch up at once
    }
  });

  function signedOut() {
    stopped = true;
    clearTimeout(timer);
    say(root.dataset.signedOut);
    root.classList.add("live-stopped");
  }

  function poll() {
    if (busy || stopped) return;
    busy = true;
    fetch(root.dataset.url, {
      headers: { "If-None-Match": '"' + etag + '"', "Accept": "application/json" },
      cache: "no-store",
      credentials: "same-origin",
    }).then(function (answer) {
      if (answer.status === 304) return null;
      if (answer.status === 401) { signedOut(); return null; }
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      var tag = (answer.headers.get("ETag") || "").replace(/^W\//, "").replace(/"/g, "");
      return answer.json().then(function (changes) {
        return refresh().then(function () {
          etag = tag; // only once the fresh list is on screen
          say(root.dataset.updated.replace("{t}", clock()));
          announce((changes.urgent || []).map(String));
        });
      });
    }).then(function () {
      failures = 0;
    }, function () {
      failures += 1;
      say(root.dataset.retry);
    }).then(function () {
      busy = false;
      schedule();
    });
  }

  // --- the fresh list --------------------------------------------------------------
  function region(doc, id) {
    return doc.getElementById(id);
  }
  function rowsOf(list) {
    return Array.prototype.slice.call(list.querySelectorAll("[data-ticket-id]"));
  }
  function idOf(row) {
    if (row.dataset.ticketId) return row.dataset.ticketId;
    var link = row.querySelector("a[href*='/tickets/']");
    var match = link && link.getAttribute("href").match(/\/tickets\/(\d+)/);
    return match ? match[1] : null;
  }
  function rowById(list, id) {
    return rowsOf(list).filter(function (row) { return idOf(row) === id; })[0] || null;
  }

  function refresh() {
    return fetch(window.location.href, {
      headers: { "Accept": "text/html" },
      cache: "no-store",
      credentials: "same-origin",
    }).then(function (answer) {
      if (answer.redirected && /\/login/.test(answer.url)) { signedOut(); throw new Error("signed out"); }
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      return answer.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      return waitForRelease().then(function () { swap(doc); });
    });
  }

  // A row does not move under a pressed button or finger: the swap waits for the release.
  document.addEventListener("pointerdown", function () { pressed = true; }, true);
  document.addEventListener("pointerup", function () { pressed = false; }, true);
  document.addEventListener("pointercancel", function () { pressed = false; }, true);
  function waitForRelease() {
    return new Promise(function (done) {
      (function check(waited) {
        if (!pressed || waited > 5000) done();
        else setTimeout(function () { check(waited + 200); }, 200);
      })(0);
    });
  }

  function swap(doc) {
    var list = region(document, "queue-list"), next = region(doc, "queue-list");
    if (!list || !next) return;
    var before = {};
    rowsOf(list).forEach(function (row) { before[idOf(row)] = true; });
    // The first row at least partly in view, and where it is: kept there after the swap.
    var anchor = rowsOf(list).filter(function (row) {
      var box = row.getBoundingClientRect();
      return box.bottom > 0 && box.top < window.innerHeight;
    })[0];
    var anchorId = anchor ? idOf(anchor) : null;
    var anchorTop = anchor ? anchor.getBoundingClientRect().top : 0;
    var focused = document.activeElement && list.contains(document.activeElement)
      ? idOf(document.activeElement.closest("[data-ticket-id]") || list) : null;

    list.innerHTML = next.innerHTML;
    var counts = region(document, "queue-counts"), nextCounts = region(doc, "queue-counts");
    if (counts && nextCounts) counts.innerHTML = nextCounts.innerHTML;

    rowsOf(list).forEach(function (row) {
      var id = idOf(row);
      if (!before[id]) row.classList.add("live-new");
      if (unseen.indexOf(id) >= 0) row.classList.add("live-urgent");
    });
    var moved = anchorId && rowById(list, anchorId);
    if (moved) window.scrollBy(0, moved.getBoundingClientRect().top - anchorTop);
    var refocus = focused && rowById(list, focused);
    var target = refocus && (refocus.matches("a") ? refocus : refocus.querySelector("a, button"));
    if (target) target.focus({ preventScroll: true });
  }

  // --- the urgent cue --------------------------------------------------------------
  function announce(urgent) {
    var news = urgent.filter(function (id) { return !known[id]; });
    urgent.forEach(function (id) { known[id] = true; });
    if (!news.length) return;
    unseen = unseen.concat(news);
    var list = region(document, "queue-list");
    news.forEach(function (id) {
      var row = list && rowById(list, id);
      if (row) row.classList.add("live-urgent");
    });
    alertText.textContent = root.dataset.newUrgent;
    unseen.forEach(function (id, i) {
      var link = document.createElement("a");
      link.href = root.dataset.ticketUrl + id;
      link.textContent = "#" + id;
      if (i) alertText.appendChild(document.createTextNode(" "));
      alertText.appendChild(link);
    });
    alertBox.hidden = false;
    document.title = "(" + unseen.length + " " + root.dataset.badge + ") " + baseTitle;
    if (sound.checked) tone();
  }

  root.querySelector(".live-ack").addEventListener("click", function () {
    unseen = [];
    alertBox.hidden = true;
    document.title = baseTitle;
    var list = region(document, "queue-list");
    if (list) rowsOf(list).forEach(function (row) { row.classList.remove("live-urgent"); });
  });

  // Browsers let a page make sound only after a gesture on it: the first click or key
  // on the page opens the audio context, so a later tone can play unattended.
  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) audio = new Context();
    if (audio.state === "suspended" && audio.resume) audio.resume().catch(function () {});
    return audio;
  }
  function unlock() {
    if (sound.checked) audioContext();
    root.classList.remove("live-needs-gesture");
  }
  document.addEventListener("pointerdown", unlock, { once: true, capture: true });
  document.addEventListener("keydown", unlock, { once: true, capture: true });

  function tone() {
    var context = audioContext();
    if (!context) return;
    var start = context.currentTime + 0.02;
    [[880, 0], [1175, 0.2], [880, 0.4]].forEach(function (note) {
      var oscillator = context.createOscillator(), gain = context.createGain();
      var at = start + note[1];
      oscillator.type = "sine";
      oscillator.frequency.value = note[0];
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.17);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.18);
    });
    tones += 1;
    root.dataset.tones = String(tones);
    if (context.state === "suspended") {
      root.classList.add("live-needs-gesture");
      say(root.dataset.needsGesture);
    }
  }

  schedule();
})();
