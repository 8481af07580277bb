// Enhancements only: every page works without this file.
// Search-as-you-type: suggests knowledge-base articles under a search box marked data-suggest.
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
    var input = form.querySelector("input[type=search]");
    var list = form.querySelector(".suggestions");
    if (!input || !list) return;
    var endpoint = form.getAttribute("data-suggest");
    var lang = document.documentElement.lang || "en";
    var controller = null;
    function clear() { list.innerHTML = ""; list.hidden = true; input.setAttribute("aria-expanded", "false"); }
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
            a.href = s.url;
            a.textContent = s.title;
            li.appendChild(a);
            list.appendChild(li);
          });
          list.hidden = list.children.length === 0;
          input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
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
  document.querySelectorAll("form[data-suggest]").forEach(attach);
})();
