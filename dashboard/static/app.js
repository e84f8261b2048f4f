// keygate's only script. Every page works without it; it adds Copy buttons,
// closes the row menus with Escape or a click elsewhere, moves through them
// with the arrow keys, and makes the permission shortcuts tick their boxes.
(function () {
  "use strict";

  // Copy buttons: data-copy names the field whose value they copy.
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-copy"));
    input.select();
    var done = function () {
      button.textContent = "Copied";
      var live = document.getElementById("copy-status");
      if (live) live.textContent = "Copied to the clipboard.";
    };
    // The synchronous copy needs no permission and can't leave the button
    // waiting; the asynchronous API is the fallback where it is refused.
    if (document.execCommand("copy")) {
      done();
    } else if (navigator.clipboard) {
      navigator.clipboard.writeText(input.value).then(done, function () {});
    }
  });

  // Row menus are <details> disclosures; at most one is open.
  var menus = function () { return document.querySelectorAll("details[data-menu]"); };
  var items = function (menu) { return menu.querySelectorAll(".menu-item"); };
  document.addEventListener("toggle", function (e) {
    var menu = e.target;
    if (!menu.matches || !menu.matches("details[data-menu]") || !menu.open) return;
    menus().forEach(function (m) { if (m !== menu) m.open = false; });
    var first = items(menu)[0];
    if (first) first.focus();
  }, true);
  document.addEventListener("click", function (e) {
    menus().forEach(function (m) { if (m.open && !m.contains(e.target)) m.open = false; });
  });
  document.addEventListener("keydown", function (e) {
    var menu = e.target.closest && e.target.closest("details[data-menu]");
    if (!menu || !menu.open) return;
    var list = Array.prototype.slice.call(items(menu));
    var at = list.indexOf(document.activeElement);
    if (e.key === "Escape") {
      menu.open = false;
      menu.querySelector("summary").focus();
      e.preventDefault();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      var step = e.key === "ArrowDown" ? 1 : -1;
      list[(at + step + list.length) % list.length].focus();
      e.preventDefault();
    }
  });

  // The permission picker: "All read", "All write" and "All" tick and
  // untick what they say (never key management); a shortcut shows ticked
  // only while every box it stands for is.
  document.querySelectorAll("[data-picker]").forEach(function (picker) {
    var boxes = function (kind) {
      return Array.prototype.filter.call(picker.querySelectorAll("input[data-kind]"), function (b) {
        var k = b.getAttribute("data-kind");
        return kind === "all" ? k !== "manage" : k === kind;
      });
    };
    var shortcuts = picker.querySelectorAll("input[data-all]");
    var sync = function () {
      shortcuts.forEach(function (s) {
        s.checked = boxes(s.getAttribute("data-all")).every(function (b) { return b.checked; });
      });
    };
    shortcuts.forEach(function (s) {
      s.addEventListener("change", function () {
        boxes(s.getAttribute("data-all")).forEach(function (b) { b.checked = s.checked; });
        sync();
      });
    });
    picker.addEventListener("change", function (e) {
      if (e.target.hasAttribute("data-kind")) sync();
    });
    sync();
  });

  document.documentElement.setAttribute("data-ready", "1");
})();
