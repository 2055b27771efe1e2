/* Catalogue search and filters: substring match over each row's data-search text (NFKC, lower
   case, every word must occur) and exact match of the filter selects on the row's data-*
   attributes. The query lives in the URL (?q=…&share=…) so a search can be bookmarked or
   linked from the home page. No library, no network. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("resource-table");
  if (!form || !table) return;
  var box = document.getElementById("q");
  var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var count = document.getElementById("result-count");
  var empty = document.getElementById("no-results");

  function norm(text) {
    return (text || "").normalize("NFKC").toLowerCase();
  }

  function apply(updateUrl) {
    var words = norm(box.value).split(/\s+/).filter(Boolean);
    var wanted = selects
      .filter(function (s) { return s.value !== ""; })
      .map(function (s) { return [s.name, s.value]; });
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var ok = words.every(function (w) { return text.indexOf(w) !== -1; }) &&
        wanted.every(function (f) { return row.getAttribute("data-" + f[0]) === f[1]; });
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    count.textContent = String(shown);
    empty.hidden = shown !== 0;
    if (updateUrl) {
      var params = new URLSearchParams();
      if (box.value.trim()) params.set("q", box.value.trim());
      wanted.forEach(function (f) { params.set(f[0], f[1]); });
      var query = params.toString();
      try {
        history.replaceState(null, "", query ? "?" + query : location.pathname);
      } catch (e) { /* some file:// contexts refuse; the filter still works */ }
    }
  }

  var params = new URLSearchParams(location.search);
  box.value = params.get("q") || "";
  selects.forEach(function (s) {
    var v = params.get(s.name);
    if (v !== null && Array.prototype.some.call(s.options, function (o) { return o.value === v; })) {
      s.value = v;
    }
  });

  box.addEventListener("input", function (e) {
    if (!e.isComposing) apply(true); /* wait for the IME to commit Chinese text */
  });
  box.addEventListener("compositionend", function () { apply(true); });
  selects.forEach(function (s) { s.addEventListener("change", function () { apply(true); }); });
  form.addEventListener("reset", function () { setTimeout(function () { apply(true); }, 0); });
  apply(false);
})();
