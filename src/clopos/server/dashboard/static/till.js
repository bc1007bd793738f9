/* clopos till dashboard: live updates without page reloads. Plain JS, no build step.
 *
 * The page's live region (#live) names the URL of its fragment (data-live-src) and the
 * topics it shows (data-live-topics). /till/events streams "change" events naming the
 * topics that changed; when one of ours did, the fragment is fetched and swapped in.
 * Focus survives the swap (by element id), and a polite status line tells screen-reader
 * users what changed. While the clerk is typing into a field of the region, the swap
 * waits until focus leaves it. Without EventSource it polls every 5 seconds.
 */
(function () {
  "use strict";

  var region = document.getElementById("live");
  var status = document.getElementById("live-status");
  var eventsUrl = document.body.getAttribute("data-events");
  if (!region || !eventsUrl) {
    return;
  }
  var topics = (region.getAttribute("data-live-topics") || "").split(/\s+/);
  var busy = false;
  var again = false;
  var deferred = false;

  function typingInRegion() {
    var active = document.activeElement;
    if (!active || !region.contains(active)) {
      return false;
    }
    var tag = active.tagName;
    return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA";
  }

  function openDetails() {
    var ids = [];
    region.querySelectorAll("details[open][id]").forEach(function (el) {
      ids.push(el.id);
    });
    return ids;
  }

  function swap(html) {
    var focusedId = document.activeElement && region.contains(document.activeElement)
      ? document.activeElement.id : null;
    var before = {};
    region.querySelectorAll("[id^='order-'], [id^='receipt-']").forEach(function (el) {
      before[el.id] = true;
    });
    var keepOpen = openDetails();
    region.innerHTML = html;
    keepOpen.forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { el.open = true; }
    });
    region.querySelectorAll("article[id]").forEach(function (el) {
      if (!before[el.id] && Object.keys(before).length) {
        el.classList.add("arrived");
      }
    });
    if (focusedId) {
      var target = document.getElementById(focusedId);
      if (target) { target.focus(); }
    }
    var content = region.querySelector("[data-announce]");
    if (status && content) {
      status.textContent = content.getAttribute("data-announce");
    }
    region.setAttribute("data-refreshed", String(Date.now()));
  }

  function refresh() {
    if (typingInRegion()) {
      deferred = true;
      return;
    }
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(region.getAttribute("data-live-src"), {
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
      cache: "no-store"
    }).then(function (response) {
      if (response.status === 401) {
        window.location.reload(); /* the session ended: the reload goes to sign-in */
        return null;
      }
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html !== null && html !== undefined) { swap(html); }
    }).catch(function () {
      /* the server is unreachable for a moment; the next event retries */
    }).then(function () {
      busy = false;
      if (again) { again = false; refresh(); }
    });
  }

  region.addEventListener("focusout", function () {
    window.setTimeout(function () {
      if (deferred && !typingInRegion()) { deferred = false; refresh(); }
    }, 0);
  });

  function relevant(changed) {
    return changed.some(function (topic) { return topics.indexOf(topic) !== -1; });
  }

  if (window.EventSource) {
    var cursor = document.body.getAttribute("data-cursor") || "";
    var source = new EventSource(eventsUrl + "?cursor=" + encodeURIComponent(cursor));
    source.addEventListener("change", function (event) {
      var changed = [];
      try { changed = JSON.parse(event.data).topics || []; } catch (e) { changed = []; }
      if (relevant(changed)) { refresh(); }
    });
    source.addEventListener("open", function () {
      document.body.setAttribute("data-live", "connected");
    });
  } else {
    window.setInterval(refresh, 5000);
  }
})();
