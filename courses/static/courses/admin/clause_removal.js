// Asks before a clause (or a lettered item) of a chapter is removed in the page editor, naming the
// live questions that cite it (courses/panels.py writes them as JSON in #clause-citations).
// A static file, no inline script (CSP).
(function () {
  "use strict";

  function citations() {
    var element = document.getElementById("clause-citations");
    if (!element) return null;
    try {
      return JSON.parse(element.textContent) || {};
    } catch (error) {
      return {};
    }
  }

  document.addEventListener(
    "click",
    function (event) {
      var button = event.target.closest && event.target.closest('button[data-streamfield-action="DELETE"]');
      if (!button) return;
      var cited = citations();
      if (cited === null) return; // not a chapter's edit screen
      var block = button.closest("[data-panel]");
      var keyInput = block && block.querySelector('[data-contentpath="key"] input');
      if (!keyInput || !/-key$/.test(keyInput.name)) return; // not a clause block
      var heading = block.querySelector("[data-panel-heading-text]");
      var name = heading && heading.textContent.trim() ? "「" + heading.textContent.trim() + "」" : "この条項";
      var questions = cited[keyInput.value] || [];
      var message = questions.length
        ? name + "を削除します。この条項は次の設問が引用しています：\n\n" + questions.join("\n") +
          "\n\n削除して公開するには「削除する条項を引用している設問を廃止する」にチェックを入れる必要があります。削除しますか？"
        : name + "を削除します。引用している公開中の設問はありません。削除しますか？";
      if (!window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );
})();
