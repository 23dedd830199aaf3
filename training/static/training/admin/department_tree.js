/* The cycle form's department tree (training/forms.py DepartmentTreeWidget). Ticking a 部 ticks
   every 課 and 係 below it; unticking one below unticks its ancestors (they would take it again).
   The server already takes a department's whole subtree, so without this script nothing is lost. */
(function () {
  "use strict";
  function setUp(tree) {
    var boxes = Array.prototype.slice.call(tree.querySelectorAll("input[type=checkbox][data-path]"));
    tree.addEventListener("change", function (event) {
      var box = event.target;
      var path = box.getAttribute("data-path");
      if (!path) return;
      boxes.forEach(function (other) {
        var otherPath = other.getAttribute("data-path");
        if (other === box) return;
        if (otherPath.indexOf(path) === 0) {
          other.checked = box.checked;
        } else if (!box.checked && path.indexOf(otherPath) === 0) {
          other.checked = false;
        }
      });
    });
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-department-tree]"), setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
