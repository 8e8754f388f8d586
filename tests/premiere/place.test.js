"use strict";
// Placing a version back through the stand-in premierepro: the transaction sequence, the exact
// position, the read-back, and that nothing already on the sequence changes.
const test = require("node:test");
const assert = require("node:assert/strict");
const { readClip } = require("../../bridge/premiere/plugin/lib/clip.js");
const { placementPlan, placeVersion } = require("../../bridge/premiere/plugin/lib/place.js");
const { TPF, FPS, scene } = require("./helpers.js");

const A = "/media/a.mov";
const OTHER = "/media/other.mov";
const V1 = "/versions/a/a_v001.mov";

function at(rate, frames) {
  return String(BigInt(frames) * TPF[rate]);
}

/** A busy sequence: the source on V1, other clips on V1, V2 and A1 that must not move. */
function busy(rate, { mediaRate = rate, inFrames = 24, zeroFrame = 0, overwrite, display } = {}) {
  const media = { [A]: { fps: FPS[mediaRate], frames: 1000, audio: true }, [OTHER]: { fps: FPS[rate], frames: 1000, audio: true } };
  const made = scene({ rate, zeroFrame, media, overwrite, display, clips: [
    { media: OTHER, duration: at(rate, 100), start: "0", name: "before" },
    { media: A, in: at(mediaRate, inFrames), duration: at(rate, 48), start: at(rate, 100), name: "source" },
    { media: OTHER, in: at(rate, 100), duration: at(rate, 50), start: at(rate, 148), name: "after" },
  ], upper: [{ media: OTHER, in: at(rate, 300), duration: at(rate, 200), start: at(rate, 80), name: "title over" }] });
  made.scene.select(made.items[1]);
  return made;
}

async function sendAndPlace(made, { versionFrames, mediaRate, handleHead = 0, label = "v001", path = V1 }) {
  const described = await readClip(made.ppro, made.project);
  const frames = versionFrames ?? described.clip.sourceRange.end - described.clip.sourceRange.start + handleHead;
  made.scene.media(path, { fps: FPS[mediaRate], frames, audio: true });
  const version = { label, outputPath: path, outputFrames: frames, handleHead };
  const before = made.scene.clips();
  const placed = await placeVersion(made.ppro, made.project, made.sequence, described, version);
  return { described, placed, before, after: made.scene.clips() };
}

for (const [rate, zeroFrame, df] of [["23.976", 86400, false], [25, 900000, false], ["29.97", 107892, true],
  ["59.94", 215784, true]]) {
  test(`${rate}: the version lands on a new track above, at the source's start tick, nothing else moves`, async () => {
    const made = busy(rate, { zeroFrame, display: df ? 102 : undefined });
    const { described, placed, before, after } = await sendAndPlace(made, { mediaRate: rate });
    assert.equal(placed.track, 3); // V1 and V2 exist: the new one is V3
    assert.deepEqual(placed.record, described.clip.record);
    assert.equal(placed.trimmed, false);
    const key = (c) => `${c.track}|${c.start}|${c.end}|${c.in}|${c.media}`;
    const added = after.filter((c) => !before.some((b) => key(b) === key(c)));
    assert.ok(before.every((b) => after.some((c) => key(b) === key(c)))); // every clip still where it was
    assert.deepEqual(added.map((c) => [c.track, c.start, c.end, c.in, c.media]), [
      ["A2", BigInt(at(rate, 100)), BigInt(at(rate, 148)), 0n, V1],
      ["V3", BigInt(at(rate, 100)), BigInt(at(rate, 148)), 0n, V1],
    ]);
    assert.equal(after.length, before.length + 2); // nothing removed, trimmed or moved
    // The transaction sequence: bin, import, place; every create*Action inside lockedAccess.
    assert.deepEqual(made.scene.log, [
      "lockedAccess", 'executeTransaction(createBin) "retakes: bin"',
      `importFiles(${V1})`,
      "lockedAccess", 'executeTransaction(overwrite) "retakes: place v001"',
    ]);
    assert.deepEqual(made.scene.bins(), ["retakes"]);
  });
}

test("mixed rates: a 25 fps clip in a 23.976 sequence comes back showing exactly the same instants", async () => {
  const rate = "23.976";
  const media = { [A]: { fps: 25, frames: 1000, audio: false } };
  const made = scene({ rate, zeroFrame: 86400, media, clips: [{ media: A, in: at(rate, 7), duration: at(rate, 48),
    start: at(rate, 240), name: "source" }] });
  made.scene.select(made.items[0]);
  const { described, placed, after } = await sendAndPlace(made, { mediaRate: 25 });
  assert.deepEqual(described.clip.sourceRange, { start: 7, end: 58 }); // 51 frames rendered
  assert.equal(placed.trimmed, true);
  const version = after.find((c) => c.media === V1);
  assert.equal(version.start, BigInt(at(rate, 240)));
  assert.equal(version.end, BigInt(at(rate, 288)));
  // The version's frame 0 is media frame 7; the clip starts 3,037,608,000 ticks into it.
  assert.equal(version.in, 7n * TPF[rate] - 7n * TPF[25]);
  assert.deepEqual(made.scene.log.slice(3), ["lockedAccess", 'executeTransaction(setInOutPoints) "retakes: trim v001"',
    "lockedAccess", 'executeTransaction(overwrite) "retakes: place v001"']);
});

test("handles: the version's head frames are trimmed away", async () => {
  const made = busy(25);
  const { after } = await sendAndPlace(made, { mediaRate: 25, handleHead: 6 });
  const version = after.find((c) => c.media === V1 && c.track.startsWith("V"));
  assert.equal(version.in, 6n * TPF[25]);
  assert.equal(version.end - version.start, 48n * TPF[25]);
});

test("a second version reuses the retakes bin and goes on a track of its own", async () => {
  const made = busy(25);
  await sendAndPlace(made, { mediaRate: 25 });
  const second = await sendAndPlace(made, { mediaRate: 25, label: "v002", path: "/versions/a/a_v002.mov" });
  assert.equal(second.placed.track, 4);
  assert.deepEqual(made.scene.bins(), ["retakes"]);
  assert.equal(made.scene.undo.filter((u) => u.startsWith("retakes: place")).length, 2);
});

test("an overwrite that places nothing is caught by the read-back and said in words", async () => {
  const made = busy(25, { overwrite: "drops" });
  await assert.rejects(sendAndPlace(made, { mediaRate: 25 }),
    /said it placed v001 on V3 .* but placed nothing; add an empty video track above V1/);
});

test("a version shorter than the clip, or one Premiere cannot import, is refused", async () => {
  let made = busy(25);
  await assert.rejects(sendAndPlace(made, { mediaRate: 25, versionFrames: 40 }), /v001 has 40 frames, fewer than/);
  made = busy(25);
  const described = await readClip(made.ppro, made.project);
  await assert.rejects(placeVersion(made.ppro, made.project, made.sequence, described,
    { label: "v001", outputPath: "/nowhere.mov", outputFrames: 48, handleHead: 0 }), /did not import \/nowhere.mov/);
});

test("the plan at equal rates needs no trim", () => {
  const described = { ticks: { start: 100n, end: 100n + 48n * TPF[25], in: 24n * TPF[25], out: 72n * TPF[25],
    offset: 0n, media: TPF[25] } };
  const plan = placementPlan(described, { label: "v001", outputFrames: 48, handleHead: 0 });
  assert.deepEqual([plan.time, plan.inTicks, plan.outTicks, plan.trim], [100n, 0n, 48n * TPF[25], false]);
});

test("the stand-in keeps Premiere's rules: actions only inside lockedAccess, and only inside a transaction", async () => {
  const made = busy(25);
  const { ppro, project, sequence } = made;
  const editor = ppro.SequenceEditor.getEditor(sequence);
  const [item] = await (await project.getRootItem()).getItems();
  const time = ppro.TickTime.createWithTicks("0");
  assert.throws(() => editor.createOverwriteItemAction(item, time, 2, 1), /inside project.lockedAccess/);
  assert.throws(() => ppro.TickTime.createWithTicks(0), /ticks must be a string/);
  let action;
  project.lockedAccess(() => { action = editor.createOverwriteItemAction(item, time, 2, 1); });
  const clipsBefore = made.scene.clips();
  assert.deepEqual(made.scene.clips(), clipsBefore); // created, not executed: nothing happened
  let late;
  project.lockedAccess(() => project.executeTransaction((compound) => { late = compound; }, "empty"));
  assert.throws(() => late.addAction(action), /transaction has ended/);
  // An async callback loses the lock at its first await.
  let failure;
  project.lockedAccess(async () => {
    await null;
    try { editor.createOverwriteItemAction(item, time, 2, 1); } catch (e) { failure = e; }
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.match(String(failure), /inside project.lockedAccess/);
});
