// okrmap dashboard: the alignment map opens nodes in place (loading their
// children when first opened) and moves with the arrow keys. Every page
// works without it: each toggle is a link to the map with that node open.
(function () {
  "use strict";

  function fetchHTML(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { throw new Error(t.trim() || r.statusText); });
      return r.text();
    });
  }

  function fragment(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    return tpl.content;
  }

  function setOpen(toggle, open) {
    var li = toggle.closest("li");
    var list = document.getElementById(toggle.getAttribute("aria-controls"));
    list.hidden = !open;
    li.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
    var label = toggle.querySelector(".sr");
    if (label) label.textContent = label.textContent.replace(/^(Show|Hide)/, open ? "Hide" : "Show");
  }

  // Open or close a node; the first opening loads its children.
  function toggle(t, open) {
    if (open === undefined) open = t.getAttribute("aria-expanded") !== "true";
    if (!open || !t.dataset.load) { setOpen(t, open); return; }
    if (t.dataset.loading) return;
    t.dataset.loading = "1";
    t.classList.add("loading");
    fetchHTML(t.dataset.load).then(function (html) {
      document.getElementById(t.getAttribute("aria-controls")).replaceChildren(fragment(html));
      delete t.dataset.load;
      setOpen(t, true);
    }).catch(function (e) {
      var list = document.getElementById(t.getAttribute("aria-controls"));
      var li = document.createElement("li");
      li.className = "error";
      li.textContent = "Could not load: " + e.message;
      list.replaceChildren(li);
      setOpen(t, true);
    }).finally(function () {
      delete t.dataset.loading;
      t.classList.remove("loading");
    });
  }

  // "Show the N more" replaces itself with the next chunk; "Show all"
  // replaces a search's matches with the whole list.
  function more(a) {
    if (a.dataset.loading) return;
    a.dataset.loading = "1";
    a.textContent = "Loading…";
    fetchHTML(a.dataset.load).then(function (html) {
      // "Show all" replaces the matches with the whole list.
      if (a.dataset.all) a.closest("ul").replaceChildren(fragment(html));
      else a.closest("li").replaceWith(fragment(html));
    }).catch(function (e) {
      a.textContent = "Could not load: " + e.message;
      delete a.dataset.loading;
    });
  }

  document.addEventListener("click", function (e) {
    var a = e.target.closest("a.toggle, li.more > a[data-load]");
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    if (a.classList.contains("toggle")) toggle(a); else more(a);
  });

  // Arrow keys move between the visible nodes of a tree: down and up,
  // right opens (or moves to the first child), left closes (or moves to
  // the parent); Home and End go to the first and last. Space toggles.
  function items(tree) {
    return Array.prototype.filter.call(tree.querySelectorAll("a.toggle, li.node > span.toggle + .label a, li.more > a"), function (el) {
      return el.offsetParent !== null;
    });
  }
  function focusItem(li) {
    var el = li && li.querySelector(":scope > a.toggle, :scope > .label a");
    if (el) el.focus();
  }
  document.addEventListener("keydown", function (e) {
    var tree = e.target.closest && e.target.closest("ul.tree");
    if (!tree || e.altKey || e.ctrlKey || e.metaKey) return;
    var list = items(tree), i = list.indexOf(e.target);
    if (i < 0) return;
    var t = e.target.classList.contains("toggle") ? e.target : null;
    var open = t && t.getAttribute("aria-expanded") === "true";
    switch (e.key) {
      case "ArrowDown": if (i + 1 < list.length) list[i + 1].focus(); break;
      case "ArrowUp": if (i > 0) list[i - 1].focus(); break;
      case "Home": list[0].focus(); break;
      case "End": list[list.length - 1].focus(); break;
      case "ArrowRight":
        if (t && !open) toggle(t, true);
        else if (t) focusItem(document.getElementById(t.getAttribute("aria-controls")).querySelector(":scope > li"));
        break;
      case "ArrowLeft":
        if (t && open) { toggle(t, false); break; }
        focusItem(e.target.closest("li").parentElement.closest("li"));
        break;
      case " ":
        if (!t) return;
        toggle(t);
        break;
      default: return;
    }
    e.preventDefault();
  });

  // A search result link reveals and focuses its node.
  if (location.hash.indexOf("#n-") === 0) {
    var el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (el) focusItem(el);
  }
})();
