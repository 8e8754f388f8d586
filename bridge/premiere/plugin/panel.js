"use strict";
// The panel: connect to the gateway, read the clip, build the op's controls from the engine's
// capabilities, preview one frame, generate with progress and cancel, and place each version
// back. The rules live in lib/ (tested under node); this file only wires them to the page.
(function () {
  const { clip: clipLib, place: placeLib, gateway: gatewayLib } = globalThis.retakesPremiere;
  const $ = (id) => document.getElementById(id);
  const HIDDEN_OPS = ["track"]; // mask tracking alone: no version to place
  const state = { gateway: null, caps: null, described: null, job: null, versions: [] };

  /** Premiere's module; a test page provides a stand-in (`premiereproStandIn`) before this runs. */
  function premiere() {
    if (globalThis.premiereproStandIn) return globalThis.premiereproStandIn;
    try {
      return require("premierepro");
    } catch (error) {
      return null;
    }
  }

  function say(text, kind = "") {
    const status = $("status");
    status.textContent = text;
    status.className = kind;
  }

  function fail(error) {
    say(error && error.message ? error.message : String(error), "error");
  }

  function busy(on) {
    const ready = Boolean(state.caps && state.described);
    $("preview-button").disabled = on || !ready;
    $("generate-button").disabled = on || !ready;
    $("cancel-button").disabled = !on;
  }

  // ------------------------------------------------------------------ connection
  async function connect() {
    const url = $("gateway-url").value.trim();
    const token = $("gateway-token").value.trim();
    if (!token) return say("Paste the token that `retakes gateway serve` wrote (gateway.token).", "error");
    try {
      const gateway = new gatewayLib.Gateway(url, token);
      state.caps = await gateway.capabilities();
      state.gateway = gateway;
      localStorage.setItem("retakes.gateway", url);
      localStorage.setItem("retakes.token", token);
    } catch (error) {
      $("engine-state").textContent = "not connected";
      return fail(error);
    }
    $("engine-state").textContent = `engine ${state.caps.engineVersion}`;
    const picker = $("op");
    picker.innerHTML = "";
    for (const op of state.caps.ops.filter((o) => !HIDDEN_OPS.includes(o.name))) {
      picker.append(new Option(op.name, op.name));
    }
    picker.disabled = false;
    $("read-clip").disabled = false;
    showOp();
    busy(false);
    say("Connected. Select a clip and press “Use selected clip”.");
  }

  // ------------------------------------------------------------------ op controls from capabilities
  function currentOp() {
    return state.caps && state.caps.ops.find((o) => o.name === $("op").value);
  }

  function defaultText(spec) {
    const d = spec.defaultValue || {};
    for (const key of ["numberValue", "intValue", "textValue"]) if (d[key] !== undefined) return String(d[key]);
    return "";
  }

  function showOp() {
    const op = currentOp();
    const box = $("params");
    box.innerHTML = "";
    if (!op) return;
    $("op-summary").textContent = op.summary;
    $("mask-row").hidden = op.mask === "MASK_USE_NONE" || op.mask === "MASK_USE_UNSPECIFIED";
    for (const spec of op.params) {
      if (spec.type === "PARAM_TYPE_PATH") continue; // media paths: not typed into a Premiere panel
      const label = document.createElement("label");
      const name = document.createElement("span");
      name.textContent = spec.unit.trim() ? `${spec.name} (${spec.unit.trim()})` : spec.name;
      name.title = spec.help;
      let input;
      if (spec.type === "PARAM_TYPE_CHOICE") {
        input = document.createElement("select");
        input.append(new Option("—", ""));
        for (const choice of spec.choices) input.append(new Option(choice, choice));
        input.value = defaultText(spec);
      } else if (spec.type === "PARAM_TYPE_BOOL") {
        input = document.createElement("input");
        input.type = "checkbox";
        input.checked = Boolean(spec.defaultValue && spec.defaultValue.boolValue);
      } else {
        input = document.createElement("input");
        const numeric = spec.type === "PARAM_TYPE_NUMBER" || spec.type === "PARAM_TYPE_INTEGER";
        input.type = numeric ? "number" : "text";
        if (numeric && spec.minimum !== undefined) input.min = spec.minimum;
        if (numeric && spec.maximum !== undefined) input.max = spec.maximum;
        if (spec.type === "PARAM_TYPE_INTEGER") input.step = "1";
        input.placeholder = spec.type === "PARAM_TYPE_COLOR" ? "#RRGGBB" : defaultText(spec);
      }
      input.dataset.param = spec.name;
      input.dataset.type = spec.type;
      label.append(name, input);
      box.append(label);
    }
  }

  /** The EditRequest for the op as the controls say; empty controls are left to the engine. */
  function editRequest() {
    const op = currentOp();
    const params = {};
    for (const input of $("params").querySelectorAll("[data-param]")) {
      const type = input.dataset.type;
      if (type === "PARAM_TYPE_BOOL") {
        if (input.checked) params[input.dataset.param] = { boolValue: true };
        continue;
      }
      const text = input.value.trim();
      if (!text) continue;
      if (type === "PARAM_TYPE_NUMBER") params[input.dataset.param] = { numberValue: Number(text) };
      else if (type === "PARAM_TYPE_INTEGER") params[input.dataset.param] = { intValue: text };
      else params[input.dataset.param] = { textValue: text };
    }
    const edit = { op: op.name, params };
    const mask = $("mask-path").value.trim();
    if (mask && !$("mask-row").hidden) edit.mask = { path: mask };
    return edit;
  }

  // ------------------------------------------------------------------ the clip
  async function readClip() {
    const ppro = premiere();
    if (!ppro) return say("Premiere's API is not here: open this panel in Premiere (Window > UXP Plugins > retakes).", "error");
    try {
      const project = await ppro.Project.getActiveProject();
      const sequence = await project.getActiveSequence();
      state.described = await clipLib.readClip(ppro, project);
      const c = state.described.clip;
      $("clip-none").hidden = true;
      $("clip-info").hidden = false;
      $("clip-name").textContent = c.name;
      $("clip-source").textContent = `media frames ${c.sourceRange.start}–${c.sourceRange.end} (${c.sourceRange.end -
        c.sourceRange.start} frames)`;
      $("clip-record").textContent = `V${c.track} at ${state.described.recordTimecode}`;
      $("clip-rates").textContent = state.described.sameRate ? `${c.sourceRate} fps`
        : `clip ${c.sourceRate} fps in a ${c.timelineRate} fps sequence (placed back to the tick)`;
      const under = await clipLib.frameUnderPlayhead(sequence, state.described);
      $("preview-frame").value = under ?? Math.floor((c.sourceRange.start + c.sourceRange.end) / 2);
      busy(false);
      say(`${c.name}: ${c.sourceRange.end - c.sourceRange.start} frames ready to send.`);
      await refreshVersions();
    } catch (error) {
      state.described = null;
      busy(false);
      fail(error);
    }
  }

  // ------------------------------------------------------------------ preview, generate, cancel
  async function preview() {
    const frame = Number($("preview-frame").value);
    const edit = { ...editRequest(), source: { path: state.described.clip.mediaPath } };
    $("preview-note").textContent = "Previewing…";
    try {
      const shown = await state.gateway.preview(edit, frame);
      $("preview-image").src = `data:image/png;base64,${shown.image}`;
      $("preview-image").hidden = false;
      $("preview-note").hidden = true;
      say(`Preview of frame ${shown.frame}: ${Math.round(shown.latencyMs)} ms on ${shown.device}.`);
    } catch (error) {
      $("preview-note").textContent = "No preview";
      fail(error);
    }
  }

  function showJob(job) {
    const p = job.progress || {};
    const total = Number(p.framesTotal || 0);
    const done = Number(p.framesDone || 0);
    $("progress-bar").style.width = total ? `${Math.round((100 * done) / total)}%` : "0";
    const phase = p.stage || job.state.replace("JOB_STATE_", "").toLowerCase();
    $("job-state").textContent = `${job.request.op} · ${phase} · ${done}/${total} frames`;
  }

  async function generate() {
    const ppro = premiere();
    const described = state.described;
    busy(true);
    try {
      const job = await state.gateway.submit(described.clip, editRequest());
      state.job = job;
      say(`Rendering ${described.clip.name}…`);
      const finished = await state.gateway.watch(job.id, showJob);
      state.job = null;
      if (finished.state === "JOB_STATE_CANCELLED") return say("Cancelled. Nothing was placed.");
      if (finished.state !== "JOB_STATE_SUCCEEDED") {
        const e = finished.error || {};
        throw new Error(`The render failed: ${e.field ? `${e.field}: ` : ""}${e.message || "see the engine log"}`);
      }
      const version = await state.gateway.record(job.id, described.clip);
      await placeVersion(ppro, version);
    } catch (error) {
      fail(error);
    } finally {
      state.job = null;
      busy(false);
    }
  }

  async function placeVersion(ppro, version) {
    const described = state.described;
    const project = await ppro.Project.getActiveProject();
    const sequence = await project.getActiveSequence();
    if (!sequence || !described.clip.itemId.startsWith(`${sequence.guid}:`)) {
      throw new Error(`${version.label} is ready but the sequence changed; open ${described.clip.timelineName} ` +
        "and place it from the versions list");
    }
    const placed = await placeLib.placeVersion(ppro, project, sequence, described, {
      label: version.label, outputPath: version.outputPath, outputFrames: Number(version.outputFrames),
      handleHead: Number(version.handleHead) });
    await state.gateway.placed(version.id, { host: "premiere", timeline: described.clip.timelineName, mode: "track",
      itemId: placed.itemId, track: placed.track, record: placed.record });
    await refreshVersions();
    say(`${version.label} placed on V${placed.track} at ${described.recordTimecode}.`);
  }

  async function cancel() {
    if (!state.job) return;
    try {
      await state.gateway.cancel(state.job.id);
      say("Cancelling…");
    } catch (error) {
      fail(error);
    }
  }

  // ------------------------------------------------------------------ versions
  async function refreshVersions() {
    const list = $("versions");
    const found = (await state.gateway.versions(state.described.clip)).versions;
    state.versions = found;
    list.innerHTML = "";
    if (!found.length) list.innerHTML = '<li class="muted">None yet</li>';
    const labels = Object.fromEntries(found.map((v) => [v.id, v.label]));
    for (const v of found) {
      const item = document.createElement("li");
      item.dataset.version = v.label;
      const where = v.placements.length ? v.placements.map((p) => `V${p.track}`).join(", ") : "not placed";
      const parent = Number(v.parentId) ? ` ← ${labels[v.parentId] || "earlier"}` : "";
      item.innerHTML = '<span class="label"></span><span class="what"></span><span class="where"></span>';
      item.querySelector(".label").textContent = v.label;
      item.querySelector(".what").textContent = `${v.op}${parent} · ${v.status}`;
      item.querySelector(".where").textContent = where;
      const again = document.createElement("button");
      again.textContent = "Place";
      again.onclick = () => placeVersion(premiere(), v).catch(fail);
      item.append(again);
      list.append(item);
    }
  }

  // ------------------------------------------------------------------ start
  $("gateway-url").value = localStorage.getItem("retakes.gateway") || $("gateway-url").value;
  $("gateway-token").value = localStorage.getItem("retakes.token") || "";
  $("connect-button").onclick = connect;
  $("read-clip").onclick = readClip;
  $("op").onchange = showOp;
  $("preview-button").onclick = preview;
  $("generate-button").onclick = generate;
  $("cancel-button").onclick = cancel;
  document.body.dataset.ready = "1";
})();
