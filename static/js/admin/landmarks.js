// Names the sidebar's search form (Wagtail draws it with React, unnamed). Every admin page with
// its own search form (dashboard, explorer, listings) otherwise has two unnamed search landmarks,
// which axe reports as landmark-unique (decision 0046). Wagtail's modal dialogs (the workflow's
// 承認 / 差し戻し dialog among them) are drawn by script without a name (axe aria-dialog-name): each
// is named by its heading once loaded. A static file, no inline script (CSP).
(function () {
  "use strict";
  // Django's JavaScript catalog (Wagtail's jsi18n, loaded first on every admin page; the Japanese
  // is in locale/ja/LC_MESSAGES/djangojs.po).
  var LABEL = window.gettext ? window.gettext("Sidebar page search") : "Sidebar page search";

  function name(root) {
    root.querySelectorAll('form[role="search"][aria-keyshortcuts="/"]:not([aria-label])').forEach(function (form) {
      form.setAttribute("aria-label", LABEL);
    });
  }

  function nameDialogs() {
    document.querySelectorAll('.modal[role="dialog"]:not([aria-label])').forEach(function (dialog) {
      var heading = dialog.querySelector("h1, h2");
      if (heading && heading.textContent.trim()) dialog.setAttribute("aria-label", heading.textContent.trim());
    });
  }

  function start() {
    nameDialogs();
    new MutationObserver(nameDialogs).observe(document.body, { childList: true, subtree: true });
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
