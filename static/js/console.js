// Console behaviour without inline scripts (the CSP forbids them).
(function () {
  "use strict";

  // Scripted layout (the folding menu) applies only when this file ran; loaded in <head>, so the
  // class is there before the first paint.
  document.documentElement.classList.add("js");

  // The control to give the focus back to when the dialog closes: the one that opened it, or, when
  // that was an item of a dropdown menu (gone with its menu), the menu's button.
  var opener = null;
  function focusTarget(active, source) {
    var el = active && active !== document.body ? active : source.querySelector("button, [type=submit]") || source;
    var menu = el.closest && el.closest(".dropdown-menu");
    if (menu) {
      var toggle = menu.parentNode.querySelector("[data-bs-toggle=dropdown]");
      if (toggle) return toggle;
    }
    return el;
  }
  document.addEventListener("hidden.bs.modal", function (evt) {
    if (evt.target.id !== "confirm-dialog" || !opener) return;
    var el = opener;
    opener = null;
    if (document.contains(el)) el.focus();
  });

  // Confirmation dialogs: any element with data-confirm-title asks first, in a Bootstrap modal.
  // Works for htmx requests (htmx:confirm) and for plain form submits.
  function ask(el, proceed) {
    var modalEl = document.getElementById("confirm-dialog");
    if (!modalEl || !window.bootstrap) {
      // Scripts still loading: ask with the browser's own dialog rather than not at all.
      if (window.confirm((el.dataset.confirmTitle || "") + "\n\n" + (el.dataset.confirmMessage || ""))) { proceed(); }
      return;
    }
    document.getElementById("confirm-dialog-title").textContent = el.dataset.confirmTitle || "";
    document.getElementById("confirm-dialog-message").textContent = el.dataset.confirmMessage || "";
    var yes = document.getElementById("confirm-dialog-yes");
    var no = document.getElementById("confirm-dialog-no");
    yes.textContent = el.dataset.confirmYes || "Continue";
    no.textContent = el.dataset.confirmNo || "Cancel";
    yes.className = "btn " + (el.dataset.confirmDanger ? "btn-danger" : "btn-primary");
    var modal = bootstrap.Modal.getOrCreateInstance(modalEl);
    opener = focusTarget(document.activeElement, el);
    var fresh = yes.cloneNode(true);
    yes.parentNode.replaceChild(fresh, yes);
    fresh.addEventListener("click", function () { modal.hide(); proceed(); });
    modal.show();
  }

  document.addEventListener("htmx:confirm", function (evt) {
    var el = evt.detail.elt;
    // A second submit while the first runs is dropped here, before htmx would queue it.
    if (evt.detail.verb !== "get" && sending.has(el)) { evt.preventDefault(); return; }
    var source = el.closest("[data-confirm-title]");
    if (!source) return;
    evt.preventDefault();
    ask(source, function () { evt.detail.issueRequest(true); });
  });

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var source = evt.submitter && evt.submitter.closest("[data-confirm-title]") || form.closest("[data-confirm-title]");
    if (!source || form.dataset.confirmed || form.hasAttribute("hx-post")) return;
    evt.preventDefault();
    ask(source, function () { form.dataset.confirmed = "1"; form.requestSubmit(evt.submitter); });
  });

  // A form sent twice writes once (with the server's one-time form token, adminconsole.form_tokens):
  // while a post runs, its submit buttons are disabled and show a spinner, and a second submit of
  // the same form or control is dropped. One rule for htmx posts and plain ones.
  var sending = new WeakSet();

  function submitButtons(el) {
    if (el.tagName !== "FORM") return [el];
    return Array.prototype.filter.call(el.elements, function (c) { return c.type === "submit"; });
  }

  function busy(el, on) {
    submitButtons(el).forEach(function (button) {
      if (on && !button.disabled) {
        button.disabled = true;
        button.dataset.busyGuard = "1";
        button.setAttribute("aria-busy", "true");
        var spinner = document.createElement("span");
        spinner.className = "spinner-border spinner-border-sm ms-1 busy-spinner";
        spinner.setAttribute("aria-hidden", "true");
        button.appendChild(spinner);
      } else if (!on && button.dataset.busyGuard) {
        release(button);
      }
    });
  }

  function release(button) {
    button.disabled = false;
    delete button.dataset.busyGuard;
    button.removeAttribute("aria-busy");
    button.querySelectorAll(".busy-spinner").forEach(function (s) { s.remove(); });
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (evt.detail.requestConfig.verb === "get") return;
    sending.add(evt.detail.elt);
    busy(evt.detail.elt, true);
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var el = evt.detail.elt;
    if (!sending.has(el)) return;
    // On its way to another page (HX-Redirect): stay busy until it has left.
    if (evt.detail.successful && evt.detail.xhr && evt.detail.xhr.getResponseHeader("HX-Redirect")) return;
    sending.delete(el);
    busy(el, false);
  });

  // Plain posts (after the confirmation listener above: a submit it holds back is not sent yet;
  // htmx forms prevent the default themselves). Disabled on the next tick, since a submitter that
  // is already disabled would leave its name and value out of the post.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (evt.defaultPrevented || (form.getAttribute("method") || "").toLowerCase() !== "post") return;
    if (sending.has(form)) { evt.preventDefault(); return; }
    sending.add(form);
    setTimeout(function () { busy(form, true); }, 0);
  });

  // Back to a page the browser kept: its forms may be sent again (with a fresh token on reload).
  window.addEventListener("pageshow", function (evt) {
    if (!evt.persisted) return;
    sending = new WeakSet();
    document.querySelectorAll("[data-busy-guard]").forEach(release);
  });

  // Show/hide a masked secret: <button data-toggle-secret="#input-id">.
  document.addEventListener("click", function (evt) {
    var toggle = evt.target.closest("[data-toggle-secret]");
    if (toggle) {
      var input = document.querySelector(toggle.dataset.toggleSecret);
      if (input) {
        var show = input.type === "password";
        input.type = show ? "text" : "password";
        toggle.setAttribute("aria-pressed", show ? "true" : "false");
        toggle.setAttribute("aria-label", (show ? "Hide " : "Show ") + (toggle.dataset.what || "secret"));
      }
      return;
    }
    var copy = evt.target.closest("[data-copy-target]");
    if (copy) {
      var source = document.querySelector(copy.dataset.copyTarget);
      var status = document.getElementById(copy.dataset.copyStatus || "");
      var say = function (text) { if (status) { status.textContent = text; } };
      if (!source) return;
      if (!navigator.clipboard) { say("Your browser is blocking access to the clipboard."); return; }
      navigator.clipboard.writeText(source.value).then(
        function () { say("Successfully copied to clipboard!"); },
        function () { say("Error copying to clipboard."); }
      );
    }
  });

  // A table's select-all checkbox: <input type="checkbox" data-select-all="NAME"> ticks or clears
  // every checkbox named NAME in its table.
  document.addEventListener("change", function (evt) {
    var all = evt.target;
    if (!all.matches || !all.matches("input[data-select-all]")) return;
    var table = all.closest("table");
    if (!table) return;
    table.querySelectorAll('input[type="checkbox"][name="' + all.dataset.selectAll + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });

  // Changing the client authenticator asks first ("Change to …?"), as Keycloak's console does.
  document.addEventListener("change", function (evt) {
    var select = evt.target;
    var form = select.closest && select.closest("form[data-authenticator-form]");
    if (!form || select.tagName !== "SELECT") return;
    if (select.value === form.dataset.current) {
      delete form.dataset.confirmTitle;
      return;
    }
    var label = select.options[select.selectedIndex].text;
    form.dataset.confirmTitle = "Change to " + label + "?";
    form.dataset.confirmMessage = "If you change authenticator to " + label + ", the database will be updated and you may need to download a new adapter configuration for this client.";
    form.dataset.confirmYes = "Yes";
    form.dataset.confirmNo = "No";
  });

  // Toasts fade after a while, errors stay until closed: the same after a page load and an htmx swap.
  function fadeToasts() {
    document.querySelectorAll("#alerts .alert-success:not([data-fading])").forEach(function (el) {
      el.dataset.fading = "1";
      setTimeout(function () { el.remove(); }, 8000);
    });
  }
  document.addEventListener("DOMContentLoaded", fadeToasts);
  document.addEventListener("htmx:afterSwap", fadeToasts);

  // The narrow screen's Menu button folds the sidebar in and out.
  document.addEventListener("click", function (evt) {
    var toggle = evt.target.closest(".console-menu-toggle");
    if (!toggle) return;
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!menu) return;
    var open = !menu.classList.contains("is-open");
    menu.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { var first = menu.querySelector("button, a[href]"); if (first) first.focus(); }
  });

  // An htmx swap that replaces the focused control (a form that swaps itself after Save) gives
  // the focus to the same control in the new content: same id, else same name, else same words.
  // The focused control is noted when the request starts (capture phase: before the busy guard
  // above disables a focused submit button, which takes its focus away) and again before the swap.
  var focused = null;
  function noteFocus() {
    var el = document.activeElement;
    return el && el !== document.body ? {
      el: el, id: el.id, tag: el.tagName, name: el.getAttribute("name"), text: (el.textContent || "").trim(),
    } : null;
  }
  document.addEventListener("htmx:beforeRequest", function () { focused = noteFocus(); }, true);
  document.addEventListener("htmx:beforeSwap", function () { focused = noteFocus() || focused; });
  document.addEventListener("htmx:afterSettle", function () {
    var was = focused;
    focused = null;
    if (!was || document.contains(was.el)) return;
    var found = was.id && document.getElementById(was.id);
    var candidates = Array.prototype.slice.call(document.querySelectorAll("#main " + was.tag));
    if (!found && was.name) found = candidates.filter(function (c) { return c.getAttribute("name") === was.name; })[0];
    if (!found && was.text) found = candidates.filter(function (c) { return (c.textContent || "").trim() === was.text; })[0];
    if (found) found.focus();
  });

  // Help popovers (<button popovertarget>): shown next to their button rather than mid-screen.
  document.addEventListener("toggle", function (evt) {
    var pop = evt.target;
    if (!pop.classList || !pop.classList.contains("help-popover") || evt.newState !== "open") return;
    var button = document.querySelector('[popovertarget="' + pop.id + '"]');
    if (!button) return;
    var box = button.getBoundingClientRect();
    var left = Math.max(8, Math.min(box.left, window.innerWidth - pop.offsetWidth - 8));
    pop.style.position = "fixed";
    pop.style.inset = "auto";
    pop.style.left = left + "px";
    pop.style.top = (box.bottom + 6) + "px";
  }, true);
})();

// Seconds as people read them: <output data-duration-for="INPUT-ID"> next to a seconds field
// shows "7 days" for 604800 and follows what is typed. Same words as the server's `duration`
// filter (adminconsole/templatetags/durations.py); a year is 365 days.
(function () {
  "use strict";

  var UNITS = [["year", 31536000], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];

  function durationText(value) {
    var text = String(value == null ? "" : value).trim();
    if (!/^-?[0-9]{1,30}$/.test(text)) return "";
    var rest = BigInt(text);  // exact beyond 2^53, like the server's int
    if (rest === 0n) return "0 seconds";
    var sign = rest < 0n ? "-" : "";
    if (rest < 0n) rest = -rest;
    var parts = [];
    UNITS.forEach(function (unit) {
      var size = BigInt(unit[1]);
      var count = rest / size;
      rest = rest % size;
      if (count > 0n) parts.push(count + " " + unit[0] + (count === 1n ? "" : "s"));
    });
    return sign + parts.join(" ");
  }

  function outputsFor(input) {
    return input.id ? document.querySelectorAll('output[data-duration-for="' + CSS.escape(input.id) + '"]') : [];
  }

  // Tie each reading to its field for assistive technology, where the server could not (forms
  // whose widgets crispy renders).
  function describe() {
    document.querySelectorAll("output[data-duration-for]").forEach(function (out) {
      var input = document.getElementById(out.dataset.durationFor);
      if (!input || !out.id) return;
      var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
      if (ids.indexOf(out.id) < 0) input.setAttribute("aria-describedby", [out.id].concat(ids).join(" "));
    });
  }

  document.addEventListener("input", function (evt) {
    var input = evt.target;
    outputsFor(input).forEach(function (out) { out.textContent = durationText(input.value); });
  });
  document.addEventListener("DOMContentLoaded", describe);
  document.addEventListener("htmx:afterSettle", describe);
})();
