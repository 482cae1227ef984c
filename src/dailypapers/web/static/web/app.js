// Progressive enhancement only: every form works without this file.
(function () {
  "use strict";

  function renderMath() {
    if (!window.renderMathInElement) return;
    document.querySelectorAll(".tex").forEach(function (el) {
      window.renderMathInElement(el, {
        delimiters: [
          { left: "$$", right: "$$", display: true },
          { left: "\\[", right: "\\]", display: true },
          { left: "$", right: "$", display: false },
          { left: "\\(", right: "\\)", display: false },
        ],
        throwOnError: false,
      });
    });
  }

  // Votes without a page reload: same POST, same CSRF token, JSON answer.
  function enhanceVotes() {
    document.querySelectorAll("form.vote").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button");
        button.disabled = true;
        fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          redirect: "manual",
        }).then(function (response) {
          if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
            form.submit(); // not logged in: let the server redirect to the login page
            return null;
          }
          return response.ok ? response.json() : null;
        }).then(function (data) {
          if (!data) return;
          button.setAttribute("aria-pressed", data.voted ? "true" : "false");
          form.querySelector(".count").textContent = data.upvotes;
        }).finally(function () { button.disabled = false; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderMath();
    enhanceVotes();
  });
})();
