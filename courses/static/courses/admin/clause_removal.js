// Asks before a clause (or a lettered item) of a chapter is removed or moved in the page editor,
// naming the live questions that cite it (courses/panels.py writes them as JSON in
// #clause-citations). A move is asked about when a clause whose place changes (the moved one, the
// one it swaps with, or those a drag shifts), or an item inside it, is cited; cancelled, the order
// stays. A static file, no inline script (CSP). Its words are English msgids translated by Django's
// JavaScript catalog, which every admin page loads (Wagtail's jsi18n, merging the project's
// locale/ja/LC_MESSAGES/djangojs.po); without the catalog the English is shown.
(function () {
  "use strict";

  var gettext = window.gettext || function (text) {
    return text;
  };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (match, name) {
      return values[name];
    });
  };

  var restoring = false; // set while a cancelled drag is undone with the move buttons

  function citations() {
    var element = document.getElementById("clause-citations");
    if (!element) return null;
    try {
      return JSON.parse(element.textContent) || {};
    } catch (error) {
      return {};
    }
  }

  function childOf(element) {
    return element && element.closest && element.closest("[data-streamfield-child]");
  }

  // The clause or item blocks of the sequence `child` belongs to, in their current order.
  function siblingsOf(child) {
    var container = child.parentElement;
    return Array.prototype.filter.call(container.children, function (element) {
      return element.hasAttribute("data-streamfield-child");
    });
  }

  function keysOf(child) {
    return Array.prototype.map
      .call(child.querySelectorAll('[data-contentpath="key"] input'), function (input) {
        return /-key$/.test(input.name) ? input.value : "";
      })
      .filter(Boolean);
  }

  function isClause(child) {
    return keysOf(child).length > 0;
  }

  function nameOf(child) {
    var heading = child.querySelector("[data-panel-heading-text]");
    if (!heading || !heading.textContent.trim()) return gettext("This clause");
    return interpolate(gettext("“%(heading)s”"), { heading: heading.textContent.trim() }, true);
  }

  // "ID「問い」" lines of the questions citing any key of the given blocks (no repeats).
  function citingQuestions(cited, children) {
    var seen = {};
    var lines = [];
    children.forEach(function (child) {
      keysOf(child).forEach(function (key) {
        (cited[key] || []).forEach(function (line) {
          if (!seen[line]) {
            seen[line] = true;
            lines.push(line);
          }
        });
      });
    });
    return lines;
  }

  function moveMessage(moved, questions) {
    return interpolate(
      gettext(
        "%(name)s is about to be moved. These questions cite clauses whose place changes:\n\n%(questions)s\n\nThe clause numbers or order the questions cite may change. Move it?"
      ),
      { name: nameOf(moved), questions: questions.join("\n") },
      true
    );
  }

  function askDelete(event, cited, button) {
    var block = button.closest("[data-panel]");
    var keyInput = block && block.querySelector('[data-contentpath="key"] input');
    if (!keyInput || !/-key$/.test(keyInput.name)) return; // not a clause block
    var questions = cited[keyInput.value] || [];
    var name = nameOf(block);
    var message = questions.length
      ? interpolate(
          gettext(
            "%(name)s is about to be removed. These questions cite it:\n\n%(questions)s\n\nTo publish without it, tick “Retire the questions citing the removed clauses”. Remove it?"
          ),
          { name: name, questions: questions.join("\n") },
          true
        )
      : interpolate(gettext("%(name)s is about to be removed. No live question cites it. Remove it?"), { name: name }, true);
    if (!window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }

  function askMove(event, cited, button, up) {
    var moved = childOf(button);
    if (!moved || !isClause(moved)) return;
    var siblings = siblingsOf(moved);
    var index = siblings.indexOf(moved);
    var other = siblings[up ? index - 1 : index + 1];
    if (!other) return;
    var questions = citingQuestions(cited, [moved, other]);
    if (!questions.length) return; // nothing cited changes place: no question
    if (!window.confirm(moveMessage(moved, questions))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }

  document.addEventListener(
    "click",
    function (event) {
      if (restoring) return;
      var button = event.target.closest && event.target.closest("button[data-streamfield-action]");
      if (!button) return;
      var cited = citations();
      if (cited === null) return; // not a chapter's edit screen
      var action = button.getAttribute("data-streamfield-action");
      if (action === "DELETE") askDelete(event, cited, button);
      else if (action === "MOVE_UP") askMove(event, cited, button, true);
      else if (action === "MOVE_DOWN") askMove(event, cited, button, false);
    },
    true
  );

  // A drag by the grip (SortableJS) is only known once dropped: SortableJS dispatches a bubbling
  // "end" event on the sequence before Wagtail's own handler moves the block in the form. Asked
  // then; cancelled, the block is moved back with its move buttons once Wagtail has done its part.
  document.addEventListener(
    "end",
    function (event) {
      if (restoring) return;
      var moved = event.item;
      var from = event.oldDraggableIndex;
      var to = event.newDraggableIndex;
      if (!moved || !moved.hasAttribute || !moved.hasAttribute("data-streamfield-child")) return;
      if (typeof from !== "number" || typeof to !== "number" || from === to) return;
      var cited = citations();
      if (cited === null || !isClause(moved)) return;
      // The DOM is already in the new order: the blocks between the two places all shifted.
      var siblings = siblingsOf(moved);
      var shifted = siblings.slice(Math.min(from, to), Math.max(from, to) + 1);
      var questions = citingQuestions(cited, shifted);
      if (!questions.length) return;
      if (window.confirm(moveMessage(moved, questions))) return;
      window.setTimeout(function () {
        restoring = true;
        try {
          var steps = Math.abs(to - from);
          var action = to > from ? "MOVE_UP" : "MOVE_DOWN";
          for (var step = 0; step < steps; step++) {
            var button = moved.querySelector('button[data-streamfield-action="' + action + '"]');
            if (button) button.click();
          }
        } finally {
          restoring = false;
        }
      }, 0);
    },
    true
  );
})();
