// The side panel's feedback: fields saved together, messages that follow the save, and word of
// newer revisions made elsewhere. editor.js owns the canvas; this file only the panel and the
// "changed elsewhere" bar. Loaded by editor.html after htmx.
(function () {
  "use strict";

  function panelForm(elt) { return elt && elt.closest ? elt.closest("#panel form.panel-form") : null; }

  // --- Fields saved together ----------------------------------------------------------------
  // A fieldset marked data-together (a split's shares, a wait's number and unit) is not saved
  // field by field: its change is held until the group is consistent (data-total reached), the
  // focus leaves the group, or the user saves (Enter, Save). Then the whole form posts once.

  function group(elt) { return elt && elt.closest ? elt.closest("fieldset[data-together]") : null; }

  function consistent(fieldset) {
    const total = Number(fieldset.dataset.total);
    if (!total) return false; // no rule the browser can check: saved when the user leaves it
    let sum = 0;
    for (const input of fieldset.querySelectorAll("input")) {
      if (input.value.trim() === "" || !/^-?\d+$/.test(input.value.trim())) return false;
      sum += Number(input.value);
    }
    return sum === total;
  }

  function hint(fieldset, shown) {
    fieldset.classList.toggle("pending", shown);
    const text = fieldset.querySelector(".together-hint");
    if (text) text.hidden = !shown;
  }

  // What the group last posted: the change event that follows a release (it is delayed) must
  // not post the same values a second time.
  function values(fieldset) {
    return Array.from(fieldset.querySelectorAll("input, select, textarea"), (e) => e.value).join("\u0000");
  }

  function release(fieldset) {
    // Not only a group waiting with its hint: the focus may leave before the (delayed) change
    // of its last field was even looked at, and that change would die with the panel.
    if (fieldset.dataset.sent === undefined || fieldset.dataset.sent === values(fieldset)) return;
    hint(fieldset, false);
    fieldset.dataset.sent = values(fieldset);
    const form = panelForm(fieldset);
    if (form) htmx.trigger(form, "together-done");
  }

  // htmx asks before every request: a change inside a waiting group does not post yet.
  document.addEventListener("htmx:confirm", (event) => {
    const trigger = event.detail.triggeringEvent;
    if (!trigger || trigger.type !== "change" || !panelForm(event.detail.elt)) return;
    const fieldset = group(trigger.target);
    if (!fieldset) return;
    // A value that cannot be right (a wait of -3) is sent at once: the server's message shows.
    const wrong = Array.from(fieldset.elements).some((e) => e.willValidate && !e.checkValidity());
    // The change of the last field edited arrives after the focus left the group (it is
    // delayed): then it is the group's save.
    const left = !fieldset.contains(document.activeElement);
    if (fieldset.dataset.sent === values(fieldset)) {
      event.preventDefault(); // already posted when the focus left the group
    } else if (wrong || left || consistent(fieldset)) {
      hint(fieldset, false);
      fieldset.dataset.sent = values(fieldset);
    } else {
      event.preventDefault();
      hint(fieldset, true);
    }
  });

  // What a group held when the focus came in: leaving it unchanged saves nothing.
  document.addEventListener("focusin", (event) => {
    const fieldset = group(event.target);
    if (fieldset && fieldset.dataset.sent === undefined) fieldset.dataset.sent = values(fieldset);
  });

  // Leaving the group saves what it holds (a refusal then says why, at once).
  document.addEventListener("focusout", (event) => {
    const fieldset = group(event.target);
    if (!fieldset || (event.relatedTarget && fieldset.contains(event.relatedTarget))) return;
    release(fieldset);
  });

  // Enter or Save posts the whole form: the group's hint goes with it.
  document.addEventListener("submit", (event) => {
    const form = panelForm(event.target);
    if (!form) return;
    form.querySelectorAll("fieldset[data-together]").forEach((fieldset) => {
      hint(fieldset, false);
      fieldset.dataset.sent = values(fieldset);
    });
  }, true);

  // --- Messages that follow the save -------------------------------------------------------
  // A kept panel gets each field's messages afresh (out of band); the field's aria-invalid, set
  // when the panel was drawn, follows them.
  function markInvalid(root) {
    (root || document).querySelectorAll("#panel .field-errors").forEach((errors) => {
      const field = errors.closest(".field");
      if (!field) return;
      const invalid = Boolean(errors.querySelector(".errorlist"));
      field.querySelectorAll("input:not([type=hidden]), select, textarea").forEach((input) => {
        if (invalid) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      });
    });
  }
  document.addEventListener("htmx:afterSettle", () => markInvalid(document));

  // A save answered after its panel was replaced (the user selected another item meanwhile):
  // the canvas and bar it brings still apply, but the parts of the kept panel (title, problems,
  // messages) are the old item's and must not land in the new panel. htmx would look for the
  // out-of-band parts around the form that asked, which is gone: they are swapped from here.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const elt = event.detail.requestConfig && event.detail.requestConfig.elt; // detail.elt: the target
    if (!event.detail.shouldSwap || !panelForm(elt) || document.body.contains(elt)) return;
    const response = document.createElement("template");
    response.innerHTML = event.detail.serverResponse;
    response.content.querySelectorAll("[data-panel-part]").forEach((part) => part.remove());
    event.detail.shouldSwap = false;
    // HX-Reswap "none": the answer is all out of band (a canvas patch, see editor.js).
    const reswap = event.detail.xhr.getResponseHeader("HX-Reswap");
    const style = (reswap || elt.getAttribute("hx-swap") || "innerHTML").split(" ")[0];
    htmx.swap(event.detail.target, response.innerHTML, { swapStyle: style });
  });

  // --- Newer revisions made elsewhere ------------------------------------------------------
  // Every POLL_MS while the tab is visible, and when it comes back into view, ask the draft's
  // revision (an ETag makes an unchanged answer a bodiless 304). Newer than the canvas: a bar
  // offers to reload the canvas and bar; a panel being typed in keeps its text.
  const POLL_MS = 10000;
  let timer = null;
  let typing = false; // the panel holds text not saved yet

  function shownRevision() {
    const canvas = document.getElementById("canvas");
    return canvas ? Number(canvas.dataset.revision) : 0;
  }

  function showBar(latest) {
    const bar = document.getElementById("newer-bar");
    if (!bar) return;
    const newer = latest && latest.revision > shownRevision();
    if (newer) {
      const where = latest.mine ? "in another tab" : `by ${latest.by || "someone else"}`;
      document.getElementById("newer-text").textContent =
        `This draft changed ${where} (revision ${latest.revision}).`;
    }
    bar.hidden = !newer;
  }

  let latest = null;
  async function poll() {
    const editor = document.getElementById("editor");
    if (!editor || document.visibilityState !== "visible") return;
    try {
      // The browser's cache revalidates with If-None-Match and hands back the last body on 304.
      const response = await fetch(editor.dataset.revisionUrl, {
        headers: { Accept: "application/json" }, cache: "no-cache", credentials: "same-origin",
      });
      if (response.ok) latest = await response.json();
    } catch (error) {
      return; // offline for a moment: the next poll asks again
    }
    showBar(latest);
  }

  function schedule() {
    clearInterval(timer);
    timer = null;
    if (document.visibilityState !== "visible") return; // a hidden tab asks nothing
    timer = setInterval(poll, POLL_MS);
  }

  function reload() {
    const editor = document.getElementById("editor");
    const form = document.querySelector("#panel form.panel-form");
    const params = new URLSearchParams({ typing: typing && form ? "1" : "0" });
    const opened = document.getElementById("panel-revision"); // what the panel was drawn from
    if (opened) params.set("since", opened.value);
    // The panel's item: its form says it (the goal, settings…), else the selected card.
    const selected = document.querySelector("#canvas a.node.selected");
    const target = form ? new URL(form.action, location.href).searchParams.get("target") : null;
    params.set("select", target || (selected ? selected.dataset.select : ""));
    htmx.ajax("GET", `${editor.dataset.refreshUrl}?${params}`, { target: "#canvas", swap: "none" })
      .then(() => showBar(latest));
  }

  // Typing marks the panel; a save the server took (2xx) clears the mark.
  document.addEventListener("input", (event) => { if (panelForm(event.target)) typing = true; });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (panelForm(event.detail.elt) && event.detail.successful) typing = false;
    showBar(latest); // an edit of ours may have caught up with the newer revision
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "panel") typing = false; // a new panel
  });

  document.addEventListener("visibilitychange", () => {
    schedule();
    if (document.visibilityState === "visible") poll();
  });
  window.addEventListener("focus", poll);
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("#newer-reload")) reload();
  });
  schedule();
})();
