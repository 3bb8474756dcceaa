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

  // The palette's items are tab stops only while a slot waits for a choice: the canvas is not
  // behind 14 of them, and a slot's Enter takes the focus there.
  function paletteTabbable(tabbable) {
    document.querySelectorAll("#palette .palette-item").forEach((item) => {
      item.tabIndex = tabbable ? 0 : -1;
    });
  }

  function disarm() {
    if (armedSlot) armedSlot.classList.remove("armed");
    armedSlot = null;
    document.querySelectorAll(".palette").forEach((p) => p.classList.remove("choosing"));
    paletteTabbable(false);
  }

  function arm(slot) {
    disarm();
    armedSlot = slot;
    slot.classList.add("armed");
    const palette = document.getElementById("palette");
    if (palette) {
      palette.classList.add("choosing");
      paletteTabbable(true);
      const first = palette.querySelector(".palette-item");
      if (first) first.focus();
    }
    notify("Now choose an activity to insert here (Escape cancels).");
  }

  // Pan and zoom, our own (a vendored library zoomed around the wrong point and drifted the
  // journey out of view): the stage is translated then scaled from its top left corner, so a
  // canvas point p is drawn at p * scale + offset, in the viewport's pixels. The stage keeps its
  // transform while the canvas inside it is swapped.
  const view = { scale: 1, x: 0, y: 0 };
  const MIN_SCALE = 0.1;
  const MAX_SCALE = 3;
  const KEEP_VISIBLE = 80; // pixels of the journey that always stay inside the viewport
  const MARGIN = 16;

  function stage() { return document.getElementById("stage"); }
  function viewport() { return document.getElementById("viewport"); }
  function journeySize() {
    const svg = document.querySelector("#canvas svg");
    return svg ? [svg.width.baseVal.value, svg.height.baseVal.value] : [0, 0];
  }

  function show() {
    const port = viewport();
    const [width, height] = journeySize();
    if (port && width) { // never drift the journey out of view
      const w = width * view.scale, h = height * view.scale;
      const keepX = Math.min(KEEP_VISIBLE, w), keepY = Math.min(KEEP_VISIBLE, h);
      view.x = Math.min(Math.max(view.x, keepX - w), port.clientWidth - keepX);
      view.y = Math.min(Math.max(view.y, keepY - h), port.clientHeight - keepY);
    }
    const box = stage();
    if (!box) return;
    box.style.transformOrigin = "0 0";
    box.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
    const level = document.getElementById("zoom-level");
    if (level) level.textContent = `${Math.round(view.scale * 100)}%`;
    showViewOnMinimap();
  }

  // The minimap: every card as a small box, the part of the journey in view as a frame; a click
  // centres the view there. Drawn for journeys wider or taller than the viewport.
  const SVG_NS = "http://www.w3.org/2000/svg";
  const MINIMAP_WIDTH = 200;
  const MINIMAP_HEIGHT = 160;
  function drawMinimap() {
    const map = document.getElementById("minimap");
    const port = viewport();
    const [width, height] = journeySize();
    if (!map || !port || !width) return;
    const large = width > port.clientWidth || height > port.clientHeight;
    map.toggleAttribute("hidden", !large); // an SVG element has no `hidden` property
    if (!large) return;
    const ratio = Math.min(MINIMAP_WIDTH / width, MINIMAP_HEIGHT / height);
    map.setAttribute("width", Math.max(20, Math.round(width * ratio)));
    map.setAttribute("height", Math.max(20, Math.round(height * ratio)));
    map.setAttribute("viewBox", `0 0 ${width} ${height}`);
    map.textContent = "";
    document.querySelectorAll("#canvas a.node rect.card").forEach((card) => {
      const box = card.getBBox();
      const mark = document.createElementNS(SVG_NS, "rect");
      ["x", "y", "width", "height"].forEach((name) => mark.setAttribute(name, box[name]));
      const node = card.closest("a.node");
      mark.setAttribute("class", `minimap-node${node.classList.contains("selected") ? " selected" : ""}`);
      map.appendChild(mark);
    });
    const frame = document.createElementNS(SVG_NS, "rect");
    frame.setAttribute("class", "minimap-view");
    frame.id = "minimap-view";
    map.appendChild(frame);
    showViewOnMinimap();
  }
  function showViewOnMinimap() {
    const frame = document.getElementById("minimap-view");
    const port = viewport();
    if (!frame || !port) return;
    frame.setAttribute("x", -view.x / view.scale);
    frame.setAttribute("y", -view.y / view.scale);
    frame.setAttribute("width", port.clientWidth / view.scale);
    frame.setAttribute("height", port.clientHeight / view.scale);
  }
  document.addEventListener("click", (event) => {
    const map = event.target.closest && event.target.closest("#minimap");
    const port = viewport();
    if (!map || !port) return;
    const at = map.getBoundingClientRect();
    const [width, height] = journeySize();
    const jx = ((event.clientX - at.left) / at.width) * width;
    const jy = ((event.clientY - at.top) / at.height) * height;
    view.x = port.clientWidth / 2 - jx * view.scale;
    view.y = port.clientHeight / 2 - jy * view.scale;
    show();
  });

  // Zoom to `scale` keeping the viewport point (px, py) over the same point of the journey.
  function zoomAround(scale, px, py) {
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
    view.x = px - ((px - view.x) * next) / view.scale;
    view.y = py - ((py - view.y) * next) / view.scale;
    view.scale = next;
    show();
  }

  function zoomAroundCentre(factor) {
    const port = viewport();
    if (port) zoomAround(view.scale * factor, port.clientWidth / 2, port.clientHeight / 2);
  }

  function fit() {
    const port = viewport();
    const [width, height] = journeySize();
    if (!port || !width) return;
    view.scale = Math.min(
      1, (port.clientWidth - 2 * MARGIN) / width, (port.clientHeight - 2 * MARGIN) / height,
    );
    view.x = MARGIN;
    view.y = MARGIN;
    show();
  }

  function centreOn(node) {
    const port = viewport();
    if (!port) return;
    const box = node.getBBox();
    view.x = port.clientWidth / 2 - (box.x + box.width / 2) * view.scale;
    view.y = port.clientHeight / 2 - (box.y + box.height / 2) * view.scale;
    show();
  }

  function keepInView(element) {
    const port = viewport();
    if (!port) return;
    const at = element.getBoundingClientRect(), view = port.getBoundingClientRect();
    if (at.left >= view.left && at.right <= view.right && at.top >= view.top
        && at.bottom <= view.bottom) return;
    centreOn(element);
  }

  function setUpView() {
    const port = viewport();
    if (!port) return;
    port.addEventListener("wheel", (event) => {
      event.preventDefault();
      const at = port.getBoundingClientRect();
      const factor = Math.exp(-event.deltaY * 0.0015); // one notch (100) is about 14 %
      zoomAround(view.scale * factor, event.clientX - at.left, event.clientY - at.top);
    }, { passive: false });
    let drag = null;
    port.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || event.target.closest("a, button, input, select, textarea")) return;
      drag = { id: event.pointerId, x: event.clientX, y: event.clientY };
      port.setPointerCapture(event.pointerId);
    });
    port.addEventListener("pointermove", (event) => {
      if (!drag || event.pointerId !== drag.id) return;
      view.x += event.clientX - drag.x;
      view.y += event.clientY - drag.y;
      drag.x = event.clientX;
      drag.y = event.clientY;
      show();
    });
    const stop = (event) => {
      if (drag && event.pointerId === drag.id) drag = null;
    };
    port.addEventListener("pointerup", stop);
    port.addEventListener("pointercancel", stop);
    fit();
    drawMinimap();
  }

  // After an insert, the view moves to the new activity and selects it (its panel opens).
  let keysBeforeSwap = null;
  function nodeKeys() {
    return new Set([...document.querySelectorAll("#canvas a.node")].map((n) => n.dataset.key));
  }
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "canvas") keysBeforeSwap = nodeKeys();
  });
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (!keysBeforeSwap || !canvas()) return;
    const before = keysBeforeSwap;
    keysBeforeSwap = null;
    const added = [...nodeKeys()].filter((key) => !before.has(key));
    if (added.length !== 1) return;
    openNode(document.querySelector(`#canvas a.node[data-key="${CSS.escape(added[0])}"]`));
  });

  // Edits answer with only what changed on the canvas when the browser says what it holds:
  // each drawn part's fingerprint (data-fp) goes with every request aimed at the canvas, and
  // the answer's #canvas-patch brings the new and changed parts (canvas_parts.patch_for).
  document.body.addEventListener("htmx:configRequest", (event) => {
    const target = event.detail.target;
    if (!target || target.id !== "canvas" || event.detail.verb !== "post") return;
    const drawn = [...document.querySelectorAll("#canvas [data-fp]")].map((part) => part.dataset.fp);
    event.detail.parameters.drawn = drawn.join(" ");
  });
  document.body.addEventListener("htmx:oobBeforeSwap", (event) => {
    if (!event.detail.target || event.detail.target.id !== "canvas-patch") return;
    event.detail.shouldSwap = false;
    const patch = event.detail.fragment.firstElementChild;
    if (patch) applyPatch(patch);
  });
  function applyPatch(patch) {
    const svg = document.querySelector("#canvas svg");
    if (!svg) return;
    const before = nodeKeys();
    const gone = new Set(patch.dataset.remove.split(" ").filter(Boolean));
    svg.querySelectorAll("[data-fp]").forEach((part) => { if (gone.has(part.dataset.fp)) part.remove(); });
    const fresh = [];
    ["edges", "ends", "nodes", "slots"].forEach((name) => {
      const group = svg.querySelector(`g.${name}`), parts = patch.querySelector(`g.${name}`);
      if (!group || !parts) return;
      // From the last: the part each one goes before is in place already, if it is new too.
      [...parts.children].reverse().forEach((part) => {
        const same = group.querySelector(`:scope > [data-pk="${CSS.escape(part.dataset.pk)}"]`);
        const next = part.dataset.next && group.querySelector(`:scope > [data-pk="${CSS.escape(part.dataset.next)}"]`);
        if (same) same.remove();
        group.insertBefore(part, next || null);
        fresh.push(part);
      });
    });
    fresh.forEach((part) => htmx.process(part));
    const { width, height, revision } = patch.dataset;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    canvas().dataset.revision = revision;
    canvas().classList.toggle("tracing", false); // edits draw no test contact's path
    disarm();
    drawMinimap();
    const added = [...nodeKeys()].filter((key) => !before.has(key));
    if (added.length === 1) openNode(document.querySelector(`#canvas a.node[data-key="${CSS.escape(added[0])}"]`));
  }

  function markSelected(node) {
    document.querySelectorAll("a.node.selected").forEach((n) => n.classList.remove("selected"));
    node.classList.add("selected");
  }

  // Centre the view on an activity, select and focus it, and open its panel.
  function openNode(node) {
    centreOn(node);
    markSelected(node);
    node.focus({ preventScroll: true });
    htmx.ajax("GET", node.getAttribute("hx-get"), { target: "#panel", swap: "outerHTML" });
  }

  document.addEventListener("click", (event) => {
    const zoom = event.target.closest("[data-zoom]");
    if (zoom) {
      const action = zoom.dataset.zoom;
      if (action === "in") zoomAroundCentre(1.25);
      if (action === "out") zoomAroundCentre(0.8);
      if (action === "fit") fit();
      if (action === "reset") zoomAroundCentre(1 / view.scale);
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
    if (node) markSelected(node);
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

  // Arrow keys walk the journey from the focused activity: right to what follows (its first
  // path), left to what leads to it, up and down between the paths of the split before it;
  // "+" goes to the insert slot after it, and from a slot the arrows lead to its two ends.
  function slotsWhere(attribute, key) {
    return [...document.querySelectorAll(`#canvas a.slot[${attribute}="${CSS.escape(key)}"]`)];
  }
  function nodeOf(key) {
    return key ? document.querySelector(`#canvas a.node[data-key="${CSS.escape(key)}"]`) : null;
  }
  function walk(from, direction) {
    if (from.matches("a.slot")) {
      return direction === "ArrowLeft" ? nodeOf(from.dataset.after) : direction === "ArrowRight"
        ? nodeOf(from.dataset.before) : null;
    }
    const key = from.dataset.key;
    if (direction === "+") return slotsWhere("data-after", key)[0] || null;
    if (direction === "ArrowRight") {
      const next = slotsWhere("data-after", key).map((slot) => nodeOf(slot.dataset.before));
      return next.find(Boolean) || null;
    }
    const into = slotsWhere("data-before", key).filter((slot) => slot.dataset.after);
    if (direction === "ArrowLeft") return into.length ? nodeOf(into[0].dataset.after) : null;
    if (!into.length) return null;
    const siblings = slotsWhere("data-after", into[0].dataset.after)
      .map((slot) => nodeOf(slot.dataset.before)).filter(Boolean);
    const at = siblings.indexOf(from) + (direction === "ArrowDown" ? 1 : -1);
    return siblings[at] || null;
  }
  function moveFocus(event) {
    const from = event.target.closest && event.target.closest("#canvas a.node, #canvas a.slot");
    const keys = ["ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown", "+"];
    if (!from || !keys.includes(event.key)) return false;
    event.preventDefault();
    const to = walk(from, event.key);
    if (!to) return true;
    to.focus({ preventScroll: true });
    if (to.matches("a.node")) markSelected(to);
    keepInView(to);
    return true;
  }

  // Search: the nodes whose name, type, key, email or conditions hold every typed word; the
  // list under the box; arrows choose, Enter (or a click) centres and selects the activity.
  let found = [];
  let chosen = 0;
  function search(text) {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    const list = document.getElementById("search-results");
    found = !words.length ? [] : [...document.querySelectorAll("#canvas a.node")]
      .filter((node) => words.every((word) => (node.dataset.search || "").includes(word)));
    chosen = 0;
    list.textContent = "";
    found.slice(0, 30).forEach((node, index) => {
      const item = document.createElement("li");
      item.id = `search-result-${index}`;
      item.setAttribute("role", "option");
      item.dataset.key = node.dataset.key;
      const [name, ...rest] = (node.getAttribute("aria-label") || "").split(", ");
      item.textContent = name;
      const detail = document.createElement("small");
      detail.textContent = rest.join(", ");
      item.appendChild(detail);
      item.title = node.dataset.key;
      list.appendChild(item);
    });
    list.hidden = !words.length;
    document.getElementById("search-count").textContent = words.length
      ? `${found.length} activit${found.length === 1 ? "y" : "ies"} found` : "";
    markChosen();
  }
  function markChosen() {
    const items = [...document.querySelectorAll("#search-results li")];
    items.forEach((item, index) => item.setAttribute("aria-selected", String(index === chosen)));
    const box = document.getElementById("canvas-search");
    if (items[chosen]) {
      box.setAttribute("aria-activedescendant", items[chosen].id);
      items[chosen].scrollIntoView({ block: "nearest" });
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  }
  function goTo(node) {
    if (!node) return;
    document.getElementById("search-results").hidden = true;
    openNode(node);
  }
  document.addEventListener("input", (event) => {
    if (event.target.id === "canvas-search") search(event.target.value);
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.id !== "canvas-search") return;
    const count = Math.min(found.length, 30);
    if (event.key === "ArrowDown" && count) {
      event.preventDefault();
      chosen = Math.min(chosen + 1, count - 1);
      markChosen();
    } else if (event.key === "ArrowUp" && count) {
      event.preventDefault();
      chosen = Math.max(chosen - 1, 0);
      markChosen();
    } else if (event.key === "Enter") {
      event.preventDefault();
      goTo(found[chosen]);
    } else if (event.key === "Escape") {
      event.target.value = "";
      search("");
    }
  });
  document.addEventListener("click", (event) => {
    const item = event.target.closest && event.target.closest("#search-results li");
    if (item) goTo(document.querySelector(`#canvas a.node[data-key="${CSS.escape(item.dataset.key)}"]`));
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
    if (moveFocus(event)) return;
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

  document.addEventListener("DOMContentLoaded", setUpView);
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "canvas") {
      disarm();
      drawMinimap();
    }
  });
})();
