// okrmap dashboard: lazy children in the alignment map, and keyboard
// navigation of the tree. Every page works without it.
(function () {
  "use strict";

  // Replace a "Show ... below" link with the children it names.
  function load(link) {
    if (link.dataset.loading) return;
    link.dataset.loading = "1";
    link.textContent = "Loading…";
    fetch(link.dataset.load, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (!r.ok) return r.text().then(function (t) { throw new Error(t || r.statusText); });
        return r.text();
      })
      .then(function (html) {
        var li = link.closest("li");
        var tpl = document.createElement("template");
        tpl.innerHTML = html;
        li.replaceWith(tpl.content);
      })
      .catch(function (e) {
        link.textContent = "Could not load: " + e.message.trim() + " (follow the link instead)";
        delete link.dataset.loading;
        delete link.dataset.load;
      });
  }

  document.addEventListener("click", function (e) {
    var link = e.target.closest("a[data-load]");
    if (!link) return;
    e.preventDefault();
    load(link);
  });

  // Opening a node whose children were not rendered loads them.
  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (d.tagName !== "DETAILS" || !d.open) return;
    var link = d.querySelector(":scope > ul > li.more > a[data-load]");
    if (link && d.querySelector(":scope > ul").children.length === 1) load(link);
  }, true);

  // Arrow keys: up and down move between visible nodes, right opens, left
  // closes or moves to the parent. Home and End go to the first and last.
  function items(tree) {
    return Array.prototype.filter.call(tree.querySelectorAll("summary, .leaf > a:first-of-type, li.more > a"), function (el) {
      return el.offsetParent !== null;
    });
  }
  document.addEventListener("keydown", function (e) {
    var tree = e.target.closest && e.target.closest("ul.tree");
    if (!tree || e.altKey || e.ctrlKey || e.metaKey) return;
    var list = items(tree), i = list.indexOf(e.target);
    if (i < 0) return;
    var details = e.target.tagName === "SUMMARY" ? e.target.parentElement : null;
    switch (e.key) {
      case "ArrowDown": if (i + 1 < list.length) list[i + 1].focus(); break;
      case "ArrowUp": if (i > 0) list[i - 1].focus(); break;
      case "Home": list[0].focus(); break;
      case "End": list[list.length - 1].focus(); break;
      case "ArrowRight":
        if (details && !details.open) details.open = true;
        else if (details && i + 1 < list.length) list[i + 1].focus();
        break;
      case "ArrowLeft":
        if (details && details.open) { details.open = false; break; }
        var up = e.target.closest("li").parentElement.closest("details");
        if (up) up.querySelector(":scope > summary").focus();
        break;
      default: return;
    }
    e.preventDefault();
  });

  // A search result link opens its node's ancestors before jumping.
  if (location.hash.indexOf("#n-") === 0) {
    var el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (el) {
      for (var p = el.parentElement; p; p = p.parentElement) if (p.tagName === "DETAILS") p.open = true;
      var f = el.querySelector("summary, a");
      if (f) f.focus();
    }
  }
})();
