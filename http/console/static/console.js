// The console's one script (no library, no build step). Every page works
// without it; it adds: the toolbar's "N selected" and the actions it
// enables, the page's select-all box, and a search that updates the list
// as one types.
(function () {
  "use strict";

  // Selection: count the ticked rows, enable the actions they allow.
  function bindSelection(root) {
    var form = root.querySelector("form#selection");
    if (!form) return;
    var boxes = function () { return form.querySelectorAll('input[type=checkbox][name=id]'); };
    var count = form.querySelector("[data-count]");
    var all = root.querySelector("[data-select-page]");
    function update() {
      var n = 0;
      boxes().forEach(function (b) { if (b.checked) n++; });
      if (count) {
        count.textContent = n === 0 ? count.dataset.none || count.textContent
          : n === 1 ? count.dataset.one : count.dataset.many.replace("0", String(n));
      }
      form.querySelectorAll("[data-needs]").forEach(function (btn) {
        var most = btn.dataset.most ? Number(btn.dataset.most) : Infinity;
        btn.disabled = n < Number(btn.dataset.needs) || n > most;
      });
      if (all) {
        all.checked = n > 0 && n === boxes().length;
        all.indeterminate = n > 0 && n < boxes().length;
      }
    }
    if (count && !count.dataset.none) count.dataset.none = count.textContent;
    form.addEventListener("change", update);
    if (all) {
      all.addEventListener("change", function () {
        boxes().forEach(function (b) { b.checked = all.checked; });
        update();
      });
    }
    update();
  }

  // Live search: fetch the page for what is typed (after a pause), and put
  // its results in place of these; the address follows.
  function bindSearch() {
    var form = document.querySelector("form[data-live-search]");
    var results = document.getElementById("results");
    if (!form || !results || !window.fetch) return;
    var input = form.querySelector('input[type=search]');
    var timer = null, seq = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var url = form.action + "?" + new URLSearchParams(new FormData(form)).toString();
        var mine = ++seq;
        fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
          .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
          .then(function (html) {
            if (mine !== seq) return; // a later search has been sent
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.getElementById("results");
            if (!fresh) return;
            results.replaceWith(fresh);
            results = fresh;
            history.replaceState(null, "", url);
            bindSelection(document);
          })
          .catch(function () { /* the form still submits by hand */ });
      }, 250);
    });
  }

  // Merge: choosing the contact that stays makes its values the default
  // pick of every field.
  function bindMerge() {
    document.querySelectorAll('input[name=survivor]').forEach(function (r) {
      r.addEventListener("change", function () {
        // A field the survivor leaves empty keeps the pick it had.
        document.querySelectorAll('input[type=radio][name^="take."][value="' + r.value + '"]')
          .forEach(function (t) { t.checked = true; });
      });
    });
  }

  // Import: the dry run is fetched and shown under the form, so the file
  // stays chosen for Apply (a plain submit would lose it).
  function bindDryRun() {
    var form = document.querySelector("form[data-dry-run]");
    if (!form || !window.fetch) return;
    form.addEventListener("submit", function (ev) {
      if (!ev.submitter || ev.submitter.value !== "dry-run") return;
      ev.preventDefault();
      var data = new FormData(form);
      data.set("mode", "dry-run");
      var report = document.getElementById("report");
      report.setAttribute("aria-busy", "true");
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("report");
          var problem = doc.querySelector("main .problem");
          report.replaceChildren();
          if (problem) report.appendChild(problem);
          if (fresh) report.append.apply(report, Array.prototype.slice.call(fresh.childNodes));
          report.removeAttribute("aria-busy");
          var title = report.querySelector("h2, .problem");
          if (title) { title.setAttribute("tabindex", "-1"); title.focus(); }
        })
        .catch(function () { form.submit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindDryRun();
    bindSelection(document);
    bindSearch();
    bindMerge();
  });
})();
