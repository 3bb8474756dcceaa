// Canvas glue only: pan/zoom, drag-and-drop from the palette, keyboard shortcuts.
// The server owns the graph and its layout; every edit is an htmx request that returns it.
(function () {
  "use strict";

  // 409 (stale or refused edit) and 400 carry a refreshed canvas and a notice: swap them.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "40[09]", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
  ];
  htmx.config.allowEval = false;

  let panzoom = null;
  let armedSlot = null;

  function editor() { return document.getElementById("editor"); }
  function canvas() { return document.getElementById("canvas"); }

  function notify(text) {
    const notice = document.getElementById("notice");
    if (!notice) return;
    notice.textContent = text;
    notice.classList.toggle("shown", Boolean(text));
  }

  function insert(typeId, slot) {
    const values = {
      op: "insert",
      type_id: typeId,
      after: slot.dataset.after || "",
      outcome_key: slot.dataset.outcome || "",
      revision: canvas().dataset.revision,
    };
    disarm();
    htmx.ajax("POST", editor().dataset.editUrl, {
      target: "#canvas",
      swap: "outerHTML",
      values: values,
      // The CSRF header comes from the body's hx-headers; sending it again here under another
      // spelling made the browser join both values ("t, t") and Django refuse the insert.
    });
  }

  function disarm() {
    if (armedSlot) armedSlot.classList.remove("armed");
    armedSlot = null;
    document.querySelectorAll(".palette").forEach((p) => p.classList.remove("choosing"));
  }

  function arm(slot) {
    disarm();
    armedSlot = slot;
    slot.classList.add("armed");
    const palette = document.getElementById("palette");
    if (palette) {
      palette.classList.add("choosing");
      const first = palette.querySelector(".palette-item");
      if (first) first.focus();
    }
    notify("Now choose an activity to insert here (Escape cancels).");
  }

  // Pan and zoom: the stage keeps its transform while the canvas inside it is swapped.
  function setUpPanzoom() {
    const stage = document.getElementById("stage");
    const viewport = document.getElementById("viewport");
    if (!stage || !viewport || !window.Panzoom) return;
    panzoom = Panzoom(stage, {
      maxScale: 3, minScale: 0.1, canvas: true, origin: "0 0", excludeClass: "slot",
    });
    viewport.addEventListener("wheel", panzoom.zoomWithWheel);
    fit();
  }

  function fit() {
    const svg = document.querySelector("#canvas svg");
    const viewport = document.getElementById("viewport");
    if (!panzoom || !svg || !viewport) return;
    const width = svg.width.baseVal.value;
    const height = svg.height.baseVal.value;
    const margin = 16;
    const scale = Math.min(
      1, (viewport.clientWidth - 2 * margin) / width, (viewport.clientHeight - 2 * margin) / height,
    );
    panzoom.zoom(scale, { animate: false });
    // With origin 0 0, pan offsets are in unscaled pixels.
    setTimeout(() => panzoom.pan(margin / scale, margin / scale, { animate: false }), 0);
  }

  document.addEventListener("click", (event) => {
    const zoom = event.target.closest("[data-zoom]");
    if (zoom && panzoom) {
      const action = zoom.dataset.zoom;
      if (action === "in") panzoom.zoomIn();
      if (action === "out") panzoom.zoomOut();
      if (action === "fit") fit();
      if (action === "reset") panzoom.reset();
      return;
    }
    const slot = event.target.closest("a.slot");
    if (slot) {
      event.preventDefault();
      arm(slot);
      return;
    }
    const item = event.target.closest("#palette .palette-item");
    if (item) {
      if (armedSlot) insert(item.dataset.type, armedSlot);
      else notify("First select a + on the canvas, or drag the activity onto one.");
      return;
    }
    const node = event.target.closest("a.node");
    if (node) {
      document.querySelectorAll("a.node.selected").forEach((n) => n.classList.remove("selected"));
      node.classList.add("selected");
    }
  });

  // Native drag-and-drop from the palette onto a drop slot.
  document.addEventListener("dragstart", (event) => {
    const item = event.target.closest && event.target.closest(".palette-item");
    if (!item) return;
    event.dataTransfer.setData("text/plain", item.dataset.type);
    event.dataTransfer.effectAllowed = "copy";
    document.body.classList.add("dragging");
  });
  document.addEventListener("dragend", () => document.body.classList.remove("dragging"));
  document.addEventListener("dragover", (event) => {
    const slot = event.target.closest && event.target.closest("a.slot");
    if (!slot) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    slot.classList.add("over");
  });
  document.addEventListener("dragleave", (event) => {
    const slot = event.target.closest && event.target.closest("a.slot");
    if (slot) slot.classList.remove("over");
  });
  document.addEventListener("drop", (event) => {
    const slot = event.target.closest && event.target.closest("a.slot");
    if (!slot) return;
    event.preventDefault();
    document.body.classList.remove("dragging");
    const typeId = event.dataTransfer.getData("text/plain");
    if (typeId) insert(typeId, slot);
  });

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", (event) => {
    if (!editor()) return;
    if (event.key === "Escape" && armedSlot) {
      disarm();
      notify("");
      return;
    }
    if (typing(event.target)) return;
    const mod = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    if (mod && key === "z") {
      event.preventDefault();
      const button = document.getElementById(event.shiftKey ? "redo-button" : "undo-button");
      if (button && !button.disabled) button.click();
    } else if (mod && key === "y") {
      event.preventDefault();
      const button = document.getElementById("redo-button");
      if (button && !button.disabled) button.click();
    } else if ((event.key === "Delete" || event.key === "Backspace") && event.target.closest("a.node")) {
      // Only when the panel shows the focused node: else it would delete the panel's activity.
      const form = document.querySelector("#panel .delete-form");
      const key = form && form.querySelector("input[name=key]");
      if (key && key.value === event.target.closest("a.node").dataset.key) {
        event.preventDefault();
        form.querySelector("#delete-button").click();
      }
    } else if (event.key === "Enter" && event.target.closest("a.slot")) {
      event.preventDefault();
      arm(event.target.closest("a.slot"));
    }
  });

  // Catalog pickers (templates/journeys/_picker.html): choosing a name writes its id into the
  // field and fires the change that saves the panel; the search box itself never saves.
  function pick(button) {
    const input = document.getElementById(button.dataset.pickTarget);
    if (!input) return;
    const picker = input.closest(".picker");
    const form = input.form;
    input.value = button.dataset.pickValue;
    const fill = JSON.parse(button.dataset.pickFill || "{}");
    Object.entries(fill).forEach(([name, value]) => {
      const other = form && form.elements[name];
      // A select takes only a value it offers (else it would go blank and clear the id).
      const offered = other && (other.tagName !== "SELECT"
        || Array.from(other.options).some((option) => option.value === value));
      if (offered && value) other.value = value;
    });
    const chosen = picker.querySelector(".picked");
    chosen.textContent = "";
    const name = document.createElement("strong");
    name.textContent = button.dataset.pickName;
    name.title = button.title;
    chosen.appendChild(name);
    if (button.dataset.pickDetail) {
      const detail = document.createElement("small");
      detail.textContent = " " + button.dataset.pickDetail;
      chosen.appendChild(detail);
    }
    picker.querySelector(".picker-results").textContent = "";
    const search = picker.querySelector(".picker-search");
    search.value = "";
    search.setAttribute("aria-expanded", "false");
    search.focus();
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("change", (event) => {
    if (event.target.closest && event.target.closest(".picker-search")) event.stopPropagation();
  }, true);
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button.pick");
    if (button) pick(button);
  });
  document.addEventListener("keydown", (event) => {
    const search = event.target.closest && event.target.closest(".picker-search");
    const option = event.target.closest && event.target.closest("button.pick");
    if (!search && !option) return;
    const picker = event.target.closest(".picker");
    const options = Array.from(picker.querySelectorAll("button.pick"));
    const at = options.indexOf(option);
    if (event.key === "Enter" && search) {
      event.preventDefault(); // Enter in the search box chooses the first match, never saves
      if (options.length) pick(options[0]);
    } else if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      options[Math.min(at + 1, options.length - 1)].focus();
    } else if (event.key === "ArrowUp" && option) {
      event.preventDefault();
      if (at > 0) options[at - 1].focus();
      else picker.querySelector(".picker-search").focus();
    } else if (event.key === "Escape") {
      picker.querySelector(".picker-results").textContent = "";
      picker.querySelector(".picker-search").focus();
    }
  }, true);
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const box = event.detail.target;
    const picker = box && box.classList && box.classList.contains("picker-results") && box.closest(".picker");
    if (picker) {
      const search = picker.querySelector(".picker-search");
      search.setAttribute("aria-expanded", box.querySelector("button.pick") ? "true" : "false");
    }
  });

  document.addEventListener("DOMContentLoaded", setUpPanzoom);
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "canvas") disarm();
  });
})();
