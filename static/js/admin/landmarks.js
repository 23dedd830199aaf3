// Names the sidebar's search form (Wagtail draws it with React, unnamed). Every admin page with
// its own search form (dashboard, explorer, listings) otherwise has two unnamed search landmarks,
// which axe reports as landmark-unique (decision 0046). A static file, no inline script (CSP).
(function () {
  "use strict";
  var LABEL = "サイドバーのページ検索";

  function name(root) {
    root.querySelectorAll('form[role="search"][aria-keyshortcuts="/"]:not([aria-label])').forEach(function (form) {
      form.setAttribute("aria-label", LABEL);
    });
  }

  function start() {
    var sidebar = document.getElementById("wagtail-sidebar") || document.body;
    name(sidebar);
    new MutationObserver(function () {
      name(sidebar);
    }).observe(sidebar, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
