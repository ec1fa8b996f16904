// The dashboard's live updates: the server pushes the room as an HTML
// fragment it rendered (names already escaped) and this swaps it in. The
// tabs only choose which view shows; without this script all show.
(function () {
  "use strict";
  var body = document.body;
  var live = document.getElementById("live");
  var connection = document.getElementById("connection");

  function show(view) {
    body.setAttribute("data-view", view);
    var links = document.querySelectorAll("nav [data-show]");
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("data-show") === view) {
        links[i].setAttribute("aria-current", "page");
      } else {
        links[i].removeAttribute("aria-current");
      }
    }
  }
  function fromHash() {
    var view = (location.hash || "#room").slice(1);
    if (["room", "steps", "readiness", "controls"].indexOf(view) < 0) {
      view = "room";
    }
    show(view);
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();

  if (!window.EventSource) {
    return;
  }
  var source = new EventSource("/live");
  source.addEventListener("room", function (e) {
    live.innerHTML = e.data;
    live.setAttribute("data-version", e.lastEventId);
  });
  source.onopen = function () {
    body.classList.remove("disconnected");
    connection.textContent = "live";
  };
  source.onerror = function () {
    body.classList.add("disconnected");
    connection.textContent = "reconnecting…";
  };
})();
