// Read status, "opened": a signed-in reader's paper page tells the server it was opened, by a
// POST with the page's CSRF token (GET never writes, so the page itself cannot). Without
// scripts, "Mark read" does the same by hand.
(function () {
  "use strict";
  function markOpened() {
    var form = document.querySelector("form[data-mark-opened]");
    if (!form) return;
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, {method: "POST", body: body, credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) return;
        var button = form.querySelector("button");
        if (button) button.textContent = "Mark unread";
        form.querySelector("input[name=read]").value = "0";
        form.removeAttribute("data-mark-opened");
      })
      .catch(function () {});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", markOpened);
  else markOpened();
})();
