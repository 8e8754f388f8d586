// retakes review page. Frame-exact by construction: frame N is the image /api/frames/v/<id>/N.jpg,
// playback shows frame floor(elapsed * num / den) (integer maths on the exact rational rate), and
// every timecode shown comes from the server (engine.timecode), so the page does no timecode maths.
"use strict";
const token = new URLSearchParams(location.search).get("t") || "";
const $ = (id) => document.getElementById(id);
const state = { clip: null, v: 0, frame: 0, mode: "single", playing: false, inPt: null, outPt: null, wipe: 50 };
const cache = new Map();

async function api(path, body) {
  const init = { headers: { "X-Review-Token": token } };
  if (body) Object.assign(init, { method: "POST", body: JSON.stringify(body),
    headers: { "X-Review-Token": token, "Content-Type": "application/json" } });
  const r = await fetch(path, init);
  if (!r.ok) throw new Error((await r.json().catch(() => ({}))).error || r.statusText);
  return r.json();
}
const version = () => state.clip.versions[state.v];
const frameUrl = (kind, id, n) => `/api/frames/${kind}/${encodeURIComponent(id)}/${n}.jpg?t=${encodeURIComponent(token)}`;
function preload(kind, id, n) {
  const key = `${kind}/${id}/${n}`;
  if (!cache.has(key)) { const im = new Image(); im.src = frameUrl(kind, id, n); cache.set(key, im); }
  return cache.get(key);
}
function toast(msg) { const t = $("toast"); t.textContent = msg; t.classList.add("show");
  clearTimeout(toast.h); toast.h = setTimeout(() => t.classList.remove("show"), 1800); }

function show(n) {
  const v = version();
  state.frame = Math.max(0, Math.min(v.frames - 1, n));
  const ver = preload("v", v.id, state.frame);
  $("img-version").src = ver.src;
  if (state.clip.original && state.mode !== "single") $("img-original").src = preload("o", "original", state.frame).src;
  $("timecode").textContent = v.timecodes[state.frame];
  $("frame-number").textContent = `frame ${state.frame} / ${v.frames - 1}`;
  $("playhead").style.left = `${(100 * state.frame) / Math.max(1, v.frames - 1)}%`;
  document.body.dataset.frame = String(state.frame);
  const [a, b] = range();
  $("comment-at").textContent = b > a + 1 ? `${v.timecodes[a]} – ${v.timecodes[b - 1]} (${b - a} fr)` : `at ${v.timecodes[a]}`;
  for (let k = 1; k <= 8 && state.frame + k < v.frames; k++) preload("v", v.id, state.frame + k);
}
function range() { // [start, end) of the note being written
  if (state.inPt === null && state.outPt === null) return [state.frame, state.frame + 1];
  const a = state.inPt ?? state.frame, b = (state.outPt ?? state.frame) + 1;
  return a < b ? [a, b] : [b - 1, a + 1];
}
function step(d) { pause(); show(state.frame + d); }
function pause() { state.playing = false; $("play").textContent = "▶"; }
function play() {
  const v = version();
  if (state.frame >= v.frames - 1) show(0);
  state.playing = true; $("play").textContent = "❚❚";
  const t0 = performance.now(), f0 = state.frame, [num, den] = v.rate;
  const tick = (now) => {
    if (!state.playing) return;
    const n = f0 + Math.floor(((now - t0) * num) / (den * 1000));
    if (n >= v.frames) { show(v.frames - 1); return pause(); }
    if (n !== state.frame) show(n);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
function setMode(mode) {
  state.mode = mode; $("viewer").dataset.mode = mode;
  document.querySelectorAll(".seg").forEach((b) => b.classList.toggle("active", b.dataset.mode === mode));
  show(state.frame);
}
function renderVersions() {
  const nav = $("versions"); nav.textContent = "";
  state.clip.versions.forEach((v, i) => {
    const b = document.createElement("button");
    b.className = i === state.v ? "active" : ""; b.dataset.version = v.id;
    const dot = document.createElement("span"); dot.className = "dot"; dot.dataset.status = v.status;
    b.append(dot, document.createTextNode(v.label));
    b.onclick = () => { state.v = i; state.inPt = state.outPt = null; render(); };
    nav.append(b);
  });
}
function renderNotes() {
  const v = version(), list = $("notes"), ticks = $("ticks");
  list.textContent = ""; ticks.textContent = "";
  $("note-count").textContent = v.notes.length;
  for (const n of v.notes) {
    const li = document.createElement("li"); li.className = "note"; li.dataset.frame = n.frame;
    const meta = document.createElement("div"); meta.className = "meta";
    const when = document.createElement("span"); when.className = "when";
    when.textContent = v.timecodes[n.frame] + (n.duration > 1 ? ` +${n.duration}f` : "");
    const who = document.createElement("span"); who.className = "who"; who.textContent = n.author || "Reviewer";
    const src = document.createElement("span"); src.className = "src"; src.textContent = n.source;
    meta.append(when, who, src);
    const text = document.createElement("div"); text.className = "text"; text.textContent = n.text;
    li.append(meta, text); li.onclick = () => { pause(); show(n.frame); };
    list.append(li);
    const t = document.createElement("span");
    t.style.left = `${(100 * n.frame) / v.frames}%`; t.style.width = `${(100 * n.duration) / v.frames}%`;
    ticks.append(t);
  }
}
function renderRange() {
  const v = version(), el = $("range-mark");
  if (state.inPt === null && state.outPt === null) { el.style.display = "none"; return; }
  const [a, b] = range(); el.style.display = "block";
  el.style.left = `${(100 * a) / v.frames}%`; el.style.width = `${(100 * (b - a)) / v.frames}%`;
}
function render() {
  const v = version();
  $("clip-name").textContent = state.clip.name; $("clip-name").title = `clip key ${state.clip.clip}`;
  document.title = `${state.clip.name} ${v.label} · retakes review`;
  $("status").textContent = v.status; $("status").dataset.status = v.status;
  // The edit that made this version; the whole chain back to the original is the tooltip.
  $("ver-caption").textContent = v.label; $("lineage").textContent = (v.lineage || "").split("\n")[0];
  $("lineage").title = v.lineage || "";
  const [num, den] = v.rate; $("rate").textContent = `${(num / den).toFixed(3).replace(/\.?0+$/, "")} fps`;
  document.querySelectorAll(".seg[data-mode=side], .seg[data-mode=wipe]").forEach((b) => { b.disabled = !state.clip.original; });
  renderVersions(); renderNotes(); renderRange(); show(state.frame);
}
async function reload() { const keep = state.clip ? version().id : null; state.clip = await api("/api/clip");
  const i = state.clip.versions.findIndex((v) => v.id === keep); if (i >= 0) state.v = i; render(); }

async function postNote(ev) {
  ev.preventDefault();
  const text = $("comment-text").value.trim(); if (!text) return $("comment-text").focus();
  const [a, b] = range();
  const res = await api("/api/notes", { version: version().id, frame: a, duration: b - a, text,
    author: $("comment-author").value.trim() });
  $("comment-text").value = ""; state.inPt = state.outPt = null;
  localStorage.setItem("retakes-author", $("comment-author").value.trim());
  await reload();
  toast(res.markers.added.length ? "Comment added · marker placed in Resolve" : "Comment added");
}
async function decide(decision) {
  const res = await api("/api/decision", { version: version().id, decision });
  await reload(); toast(`${version().label}: ${res.status}`);
}
function wire() {
  $("prev-frame").onclick = () => step(-1); $("next-frame").onclick = () => step(1);
  $("first-frame").onclick = () => { pause(); show(0); }; $("last-frame").onclick = () => { pause(); show(version().frames - 1); };
  $("play").onclick = () => (state.playing ? pause() : play());
  $("mark-in").onclick = () => { state.inPt = state.frame; renderRange(); show(state.frame); };
  $("mark-out").onclick = () => { state.outPt = state.frame; renderRange(); show(state.frame); };
  $("clear-range").onclick = () => { state.inPt = state.outPt = null; renderRange(); show(state.frame); };
  $("approve").onclick = () => decide("approve"); $("request-changes").onclick = () => decide("request_changes");
  $("composer").onsubmit = postNote;
  document.querySelectorAll(".seg").forEach((b) => (b.onclick = () => setMode(b.dataset.mode)));
  const scrubTo = (e) => { const r = $("scrub").getBoundingClientRect(); pause();
    show(Math.round(((e.clientX - r.left) / r.width) * (version().frames - 1))); };
  $("scrub").onmousedown = (e) => { scrubTo(e); const mv = (m) => scrubTo(m);
    addEventListener("mousemove", mv); addEventListener("mouseup", () => removeEventListener("mousemove", mv), { once: true }); };
  const wipeTo = (e) => { const r = $("viewer").getBoundingClientRect();
    state.wipe = Math.max(0, Math.min(100, (100 * (e.clientX - r.left)) / r.width));
    $("viewer").style.setProperty("--wipe", `${state.wipe}%`); };
  $("viewer").onmousedown = (e) => { if (state.mode !== "wipe") return; wipeTo(e);
    addEventListener("mousemove", wipeTo); addEventListener("mouseup", () => removeEventListener("mousemove", wipeTo), { once: true }); };
  addEventListener("keydown", (e) => {
    if (e.target.closest("input, textarea")) return;
    const k = { ArrowLeft: () => step(-1), ArrowRight: () => step(1), " ": () => (state.playing ? pause() : play()),
      Home: () => show(0), End: () => show(version().frames - 1), i: () => $("mark-in").click(), o: () => $("mark-out").click() }[e.key];
    if (k) { e.preventDefault(); k(); }
  });
  $("comment-author").value = localStorage.getItem("retakes-author") || "";
}
wire();
reload().then(() => { document.body.dataset.ready = "1"; }).catch((e) => toast(e.message));
