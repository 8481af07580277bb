// Enhancements only: every page works without this file.
// Search-as-you-type: suggests knowledge-base articles under a search box (or the ticket form's
// subject) marked data-suggest; on the ticket form, the chosen type's fields are swapped in.
(function () {
  "use strict";
  function debounce(fn, ms) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }
  function attach(form) {
    var input = form.querySelector("[data-suggest-input], input[type=search]");
    var list = form.querySelector(".suggestions");
    if (!input || !list) return;
    var endpoint = form.getAttribute("data-suggest");
    // On the ticket form the articles open in a new tab carrying the form's key, so the draft stays put.
    var params = form.getAttribute("data-suggest-params");
    var title = form.querySelector("[data-suggest-title]");
    var lang = document.documentElement.lang || "en";
    var controller = null;
    function show(visible) {
      list.hidden = !visible;
      if (title) title.hidden = !visible;
      input.setAttribute("aria-expanded", visible ? "true" : "false");
    }
    function clear() { list.innerHTML = ""; show(false); }
    var lookup = debounce(function (text) {
      if (controller) controller.abort();
      if (text.trim().length < 2) { clear(); return; }
      controller = new AbortController();
      fetch(endpoint + "?" + new URLSearchParams({ q: text, locale: lang }), { signal: controller.signal, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) {
          list.innerHTML = "";
          (data.suggestions || []).forEach(function (s, i) {
            var li = document.createElement("li");
            li.setAttribute("role", "option");
            li.id = "kb-suggestion-" + i;
            var a = document.createElement("a");
            a.href = params ? s.url + (s.url.indexOf("?") < 0 ? "?" : "&") + params : s.url;
            if (params) { a.target = "_blank"; a.rel = "noopener"; }
            a.textContent = s.title;
            li.appendChild(a);
            list.appendChild(li);
          });
          show(list.children.length > 0);
        })
        .catch(function () {});
    }, 150);
    input.addEventListener("input", function () { lookup(input.value); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") clear();
      if (e.key === "ArrowDown" && !list.hidden) { e.preventDefault(); list.querySelector("a").focus(); }
    });
    list.addEventListener("keydown", function (e) {
      var current = document.activeElement.parentElement;
      if (e.key === "ArrowDown" && current.nextElementSibling) { e.preventDefault(); current.nextElementSibling.firstChild.focus(); }
      if (e.key === "ArrowUp") { e.preventDefault(); (current.previousElementSibling ? current.previousElementSibling.firstChild : input).focus(); }
      if (e.key === "Escape") { clear(); input.focus(); }
    });
  }
  document.querySelectorAll("[data-suggest]").forEach(attach);

  // The ticket form: without this script a "Continue" button re-renders the form for the new type.
  function swapFields(select) {
    var target = document.getElementById(select.getAttribute("aria-controls"));
    if (!target) return;
    document.querySelectorAll("[data-fields-button]").forEach(function (el) { el.hidden = true; });
    select.addEventListener("change", function () {
      var url = select.getAttribute("data-fields-url") + "?" + new URLSearchParams({ type: select.value });
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        // Server-rendered and autoescaped, from our own origin.
        .then(function (html) { target.innerHTML = html; })
        .catch(function () { select.form.querySelector("button[value=fields]").hidden = false; });
    });
  }
  document.querySelectorAll("select[data-fields-url]").forEach(swapFields);
})();
