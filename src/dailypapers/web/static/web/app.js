// Progressive enhancement only: every form works without this file.
(function () {
  "use strict";

  var DELIMITERS = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
  ];

  // KaTeX is only on pages whose texts have TeX (the server decides); .tex holds titles and
  // abstracts, span.math a comment's math (community/markup_extensions.py).
  function renderMath(root) {
    if (!window.renderMathInElement) return;
    (root || document).querySelectorAll(".tex, span.math").forEach(function (el) {
      window.renderMathInElement(el, { delimiters: DELIMITERS, throwOnError: false });
      el.querySelectorAll(".katex").forEach(keepWordTogether);
    });
  }

  // "$\alpha$-divergence" is one word: the formula and the letters glued to it must not be split
  // across lines, so they go into one no-wrap span.
  function keepWordTogether(katex) {
    // auto-render puts each formula in a bare <span> of its own: that is the sibling of the text.
    var parent = katex.parentNode;
    if (parent.tagName === "SPAN" && !parent.className && parent.childNodes.length === 1) katex = parent;
    var before = katex.previousSibling, after = katex.nextSibling;
    var head = before && before.nodeType === 3 ? /\S+$/.exec(before.data) : null;
    var tail = after && after.nodeType === 3 ? /^\S+/.exec(after.data) : null;
    if (!head && !tail) return;
    var word = document.createElement("span");
    word.className = "nowrap";
    katex.parentNode.insertBefore(word, katex);
    if (head) {
      before.data = before.data.slice(0, head.index);
      word.appendChild(document.createTextNode(head[0]));
    }
    word.appendChild(katex);
    if (tail) {
      after.data = after.data.slice(tail[0].length);
      word.appendChild(document.createTextNode(tail[0]));
    }
  }

  // j / k: next / previous paper card; "/": the search box; "?": the list of shortcuts (also
  // linked from the footer). Never while typing, never with modifiers (Shift makes the "?").
  function enableShortcuts() {
    var help = document.getElementById("shortcuts");
    document.querySelectorAll("a.shortcuts-link").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (!help || !help.showModal) return;
        event.preventDefault();
        help.showModal();
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      var target = event.target;
      if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
      if (event.key === "?" && help && help.showModal) {
        event.preventDefault();
        if (help.open) help.close();
        else help.showModal();
        return;
      }
      if (event.key === "/") {
        var search = document.getElementById("nav-q");
        if (search) {
          event.preventDefault();
          search.focus();
          search.select();
        }
        return;
      }
      if (event.key !== "j" && event.key !== "k") return;
      var cards = Array.prototype.slice.call(document.querySelectorAll("ol.papers > li.card"));
      if (!cards.length) return;
      var current = cards.indexOf(document.querySelector("ol.papers > li.card.current"));
      var next = event.key === "j" ? Math.min(current + 1, cards.length - 1) : Math.max(current - 1, 0);
      if (current >= 0) cards[current].classList.remove("current");
      cards[next].classList.add("current");
      var link = cards[next].querySelector("h2 a");
      if (link) link.focus({ preventScroll: true });
      cards[next].scrollIntoView({ block: "nearest" });
      event.preventDefault();
    });
  }

  // An action started while logged out (a vote) comes back after the login as a POST form to
  // complete; it is submitted at once (the button stays for readers without scripts).
  function submitPendingActions() {
    var form = document.querySelector("form[data-autosubmit]");
    if (form) form.submit();
  }

  // The form's own POST (its CSRF token included), asking for a JSON answer; redirects are
  // not followed, so a "log in first" redirect shows up as an opaque response.
  function postForm(form) {
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      redirect: "manual",
    });
  }

  // Votes without a page reload: same POST, same CSRF token, JSON answer.
  function enhanceVotes() {
    document.querySelectorAll("form.vote").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button");
        button.disabled = true;
        postForm(form).then(function (response) {
          if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
            form.submit(); // not logged in: let the server redirect to the login page
            return null;
          }
          return response.ok ? response.json() : null;
        }).then(function (data) {
          if (!data) return;
          button.setAttribute("aria-pressed", data.voted ? "true" : "false");
          form.querySelector(".count").textContent = data.upvotes;
          // The "N votes here" line beside the button (card or paper page) follows too.
          var holder = form.closest(".card, article.paper");
          var line = holder && holder.querySelector(".community-votes");
          if (line) line.textContent = data.communityUpvotes + (data.communityUpvotes === 1 ? " vote here" : " votes here");
        }).finally(function () { button.disabled = false; });
      });
    });
  }

  // Comments and replies without a page reload: same POST, same CSRF token; the server answers
  // with the new comment's markup (its own template). Anything unexpected (logged out, server
  // error, network failure) falls back to submitting the plain form.
  function enhanceComments() {
    var section = document.getElementById("comments");
    if (!section || !window.fetch) return;
    section.addEventListener("submit", function (event) {
      var form = event.target;
      var isReply = !!form.closest("details.reply");
      if (!form.classList.contains("comment-form") && !isReply) return;
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var textarea = form.querySelector("textarea");
      var error = form.querySelector(".error");
      var posted = false;
      button.disabled = true;
      postForm(form).then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!json || response.status >= 500) throw new Error("fall back to the form");
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) {
          if (!error) {
            error = document.createElement("p");
            error.className = "error";
            error.setAttribute("role", "alert");
            form.insertBefore(error, button);
          }
          error.textContent = result.data.error || "Your comment was not posted.";
          return;
        }
        posted = true;
        if (error) error.remove();
        insertComment(section, result.data);
        textarea.value = "";
        if (isReply) form.closest("details").open = false;
      }).catch(function () {
        if (posted) window.location.reload();  // never post twice: show the page as it now is
        else form.submit();
      }).finally(function () { button.disabled = false; });
    });
  }

  function insertComment(section, data) {
    var list = section.querySelector("ol.comments");
    if (data.parent) {
      var parent = document.getElementById("comment-" + data.parent);
      list = parent.querySelector("ol.replies");
      if (!list) {
        list = document.createElement("ol");
        list.className = "replies";
        parent.insertBefore(list, parent.querySelector("details.reply"));
      }
    }
    list.insertAdjacentHTML("beforeend", data.html);  // server-rendered, sanitized markup
    renderMath(list.lastElementChild);
    var heading = document.getElementById("comments-h");
    if (heading) heading.textContent = "Comments (" + data.comments + ")";
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderMath(document);
    enhanceVotes();
    enhanceComments();
    enableShortcuts();
    submitPendingActions();
  });
})();
