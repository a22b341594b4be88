// The JSON editor of the Client Policies tab: a <textarea data-json-editor> becomes a CodeMirror 5
// editor (static/vendor/codemirror) with line numbers, a check as you type and a Format button.
// The textarea stays the form field: the editor writes every change back into it, so a plain
// submit and an htmx submit both send what is shown. Without JavaScript the textarea is used as is.
// CodeMirror 5 styles its elements through the CSSOM (element.style), which the console's CSP
// (style-src 'self') allows; it injects no <style> element and evaluates no code.
(function () {
  "use strict";

  // "... in JSON at position 12 (line 2 column 5)" (Chromium), "... at line 2 column 5 of the
  // JSON data" (Firefox), "... at position 12" (older engines): the line and column, 1-based.
  function errorPlace(message, text) {
    var m = /line (\d+) column (\d+)/.exec(message);
    if (m) return { line: Number(m[1]), column: Number(m[2]) };
    m = /position (\d+)/.exec(message);
    var at = m ? Number(m[1]) : text.length;
    var before = text.slice(0, at).split("\n");
    return { line: before.length, column: before[before.length - 1].length + 1 };
  }

  function errorText(message) {
    // The place is said once, in front; the engine's own wording follows without it.
    return message.replace(/^JSON\.parse: /, "")
      .replace(/ in JSON at position \d+( \(line \d+ column \d+\))?/, "")
      .replace(/ at line \d+ column \d+ of the JSON data/, "");
  }

  // null when ``text`` is valid JSON, else {line, column, message}.
  function check(text) {
    try {
      JSON.parse(text);
      return null;
    } catch (exc) {
      var place = errorPlace(String(exc.message), text);
      return { line: place.line, column: place.column, message: errorText(String(exc.message)) };
    }
  }

  function enhance(textarea) {
    if (textarea.dataset.jsonEditorReady || !window.CodeMirror) return;
    textarea.dataset.jsonEditorReady = "1";
    var form = textarea.form;
    var status = document.getElementById(textarea.dataset.jsonEditorStatus);
    var formatButton = form && form.querySelector("[data-json-format]");
    var serverError = textarea.getAttribute("aria-describedby") ? document.getElementById(textarea.getAttribute("aria-describedby")) : null;
    var readOnly = textarea.readOnly;

    var cm = window.CodeMirror.fromTextArea(textarea, {
      mode: { name: "javascript", json: true },
      lineNumbers: true,
      lineWrapping: true,
      readOnly: readOnly,
      indentUnit: 2,
      tabSize: 2,
      // Tab moves on to the next control (keyboard users must be able to leave the editor).
      extraKeys: { Tab: false, "Shift-Tab": false },
      // A contenteditable surface reads better with screen readers than the hidden textarea.
      inputStyle: "contenteditable",
      screenReaderLabel: (textarea.labels && textarea.labels[0] ? textarea.labels[0].textContent : "JSON").trim(),
      viewportMargin: Infinity
    });
    // Hidden by a class rather than CodeMirror's inline display: htmx's settle step copies the old
    // element's style attribute onto its replacement (same id), which the CSP reports and blocks.
    textarea.removeAttribute("style");
    textarea.classList.add("json-editor-source");
    var input = cm.getInputField();
    input.setAttribute("role", "textbox");
    input.setAttribute("aria-multiline", "true");
    if (readOnly) input.setAttribute("aria-readonly", "true");
    var described = [status && status.id, serverError && serverError.id].filter(Boolean).join(" ");
    if (described) input.setAttribute("aria-describedby", described);
    var marked = null;

    function show(problem) {
      if (marked !== null) { cm.removeLineClass(marked, "background", "json-editor-error-line"); marked = null; }
      var invalid = problem !== null;
      [input, textarea].forEach(function (el) {
        if (invalid) el.setAttribute("aria-invalid", "true"); else el.removeAttribute("aria-invalid");
      });
      cm.getWrapperElement().classList.toggle("json-editor-invalid", invalid);
      if (formatButton) formatButton.disabled = invalid || readOnly;
      if (!status) return;
      status.classList.toggle("text-danger", invalid);
      // Valid text says nothing: the description of the editor stays the error, when there is one.
      status.textContent = invalid ? "Not valid JSON: line " + problem.line + ", column " + problem.column + ": " + problem.message : "";
      if (invalid) marked = cm.addLineClass(Math.max(0, Math.min(problem.line - 1, cm.lineCount() - 1)), "background", "json-editor-error-line");
    }

    var pending = null;
    cm.on("change", function () {
      cm.save();  // the textarea is what the form sends
      // The server's message was about the text as it was sent; from now on the live check speaks.
      if (serverError) { serverError.hidden = true; serverError = null; input.setAttribute("aria-describedby", status ? status.id : ""); }
      clearTimeout(pending);
      pending = setTimeout(function () { show(check(cm.getValue())); }, 150);
    });
    show(check(cm.getValue()));

    if (formatButton) {
      formatButton.hidden = false;
      formatButton.addEventListener("click", function () {
        var text = cm.getValue();
        var problem = check(text);
        if (problem) { show(problem); return; }
        cm.setValue(JSON.stringify(JSON.parse(text), null, 2) + "\n");
        cm.save();
        show(null);
        cm.focus();
      });
    }
  }

  function enhanceAll(root) {
    if (root.matches && root.matches("textarea[data-json-editor]")) enhance(root);
    if (root.querySelectorAll) root.querySelectorAll("textarea[data-json-editor]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  } else {
    enhanceAll(document);
  }
  // The Form view / JSON editor switch and the save swap the pane in with htmx: enhanced once htmx
  // has settled that very content. Not earlier (htmx:load, or the settle of the alerts swapped in
  // alongside): htmx would then put its settled attributes back over the editor's.
  document.addEventListener("htmx:afterSettle", function (evt) { enhanceAll(evt.target); });
  // htmx copies the style attribute of the element it replaces onto the one with the same id
  // (its settle step) with setAttribute, which the CSP blocks and reports: the outgoing textarea
  // (hidden by its class) leaves without one.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    if (!target || !target.querySelectorAll) return;
    target.querySelectorAll("textarea[data-json-editor]").forEach(function (t) { t.removeAttribute("style"); });
  });
})();
