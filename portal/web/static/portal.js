// Enhancements only: every page works without this file.
// Search-as-you-type: suggests knowledge-base articles under a search box (or the ticket form's
// subject) marked data-suggest; on the ticket form, the chosen type's fields are swapped in.
(function () {
  "use strict";
  // Whatever is there only for pages without this script (class "no-js-only") hides from here on.
  document.documentElement.classList.add("js");
  function debounce(fn, ms) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }
  // The ARIA 1.2 combobox: focus stays in the input, arrows move aria-activedescendant over plain
  // options (no links inside them: an option is the one interactive thing), Enter or a click opens one.
  function attach(form) {
    var input = form.querySelector("[data-suggest-input], input[type=search]");
    var list = form.querySelector(".suggestions");
    if (!input || !list) return;
    var endpoint = form.getAttribute("data-suggest");
    // On the ticket form the articles open in a new tab carrying the form's key, so the draft stays put,
    // and the list stays in view while the customer writes on.
    var params = form.getAttribute("data-suggest-params");
    var title = form.querySelector("[data-suggest-title]");
    var lang = document.documentElement.lang || "en";
    var controller = null;
    var active = -1;
    function options() { return list.querySelectorAll("[role=option]"); }
    function show(visible) {
      list.hidden = !visible;
      if (title) title.hidden = !visible;
      input.setAttribute("aria-expanded", visible ? "true" : "false");
      if (!visible) select(-1);
    }
    function select(index) {
      var items = options();
      active = index;
      items.forEach(function (item, n) { item.setAttribute("aria-selected", n === index ? "true" : "false"); });
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function go(item) {
      var url = item.getAttribute("data-url");
      if (params) { window.open(url, "_blank", "noopener"); } else { window.location.assign(url); }
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
            li.setAttribute("aria-selected", "false");
            li.id = list.id + "-option-" + i;
            li.setAttribute("data-url", params ? s.url + (s.url.indexOf("?") < 0 ? "?" : "&") + params : s.url);
            li.textContent = s.title;
            if (s.locale && s.locale !== lang) li.lang = s.locale;
            // Keep the focus in the input when an option is pressed.
            li.addEventListener("mousedown", function (e) { e.preventDefault(); });
            li.addEventListener("click", function () { go(li); });
            list.appendChild(li);
          });
          active = -1;
          show(list.children.length > 0);
        })
        .catch(function () {});
    }, 150);
    input.addEventListener("input", function () { lookup(input.value); });
    input.addEventListener("keydown", function (e) {
      var count = options().length;
      if (e.key === "ArrowDown" && count) {
        e.preventDefault();
        if (list.hidden) show(true);
        select(Math.min(active + 1, count - 1));
      } else if (e.key === "ArrowUp" && count && !list.hidden) {
        e.preventDefault();
        select(active - 1);
      } else if (e.key === "Enter" && active >= 0 && !list.hidden) {
        e.preventDefault();
        go(options()[active]);
      } else if (e.key === "Escape" && !list.hidden) {
        e.preventDefault();
        show(false);
      }
    });
    if (!params) input.addEventListener("blur", function () { show(false); });
  }
  document.querySelectorAll("[data-suggest]").forEach(attach);

  // The ticket form: without this script a "Continue" button re-renders the form for the new type.
  function swapFields(select) {
    var target = document.getElementById(select.getAttribute("aria-controls"));
    if (!target) return;
    select.addEventListener("change", function () {
      var url = select.getAttribute("data-fields-url") + "?" + new URLSearchParams({ type: select.value });
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        // Server-rendered and autoescaped, from our own origin.
        .then(function (html) { target.innerHTML = html; })
        .catch(function () {
          select.form.querySelectorAll(".no-js-only").forEach(function (el) { el.classList.remove("no-js-only"); });
        });
    });
  }
  document.querySelectorAll("select[data-fields-url]").forEach(swapFields);

  // Canned replies on the staff ticket page: "Insert" puts the chosen reply (already filled for the
  // ticket by the server) at the cursor instead of reloading the page.
  function cannedInsert(button) {
    var form = button.form;
    var select = form.querySelector("select[name=canned]");
    var box = form.querySelector("textarea[name=body]");
    if (!select || !box) return;
    button.addEventListener("click", function (event) {
      var option = select.options[select.selectedIndex];
      if (!option) return;
      event.preventDefault();
      var text = option.getAttribute("data-text") || "";
      var start = box.selectionStart, end = box.selectionEnd;
      box.value = box.value.slice(0, start) + text + box.value.slice(end);
      box.focus();
      box.setSelectionRange(start + text.length, start + text.length);
    });
  }
  document.querySelectorAll("[data-canned-insert]").forEach(cannedInsert);

  // Registration: the browser knows the reader's time zone; the list without this script starts at the site's.
  document.querySelectorAll("select[data-browser-zone]").forEach(function (select) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) select.value = zone;
  });
})();
