"use strict";
// Reading the clip from the stand-in premierepro: ticks to the engine's frames at each rate.
const test = require("node:test");
const assert = require("node:assert/strict");
const { readClip, frameUnderPlayhead } = require("../../bridge/premiere/plugin/lib/clip.js");
const { TPF, FPS, scene } = require("./helpers.js");

const A = "/media/a.mov";

function at(rate, frames) {
  return String(BigInt(frames) * TPF[rate]);
}

/** One clip of `mediaRate` media on V1 of a `rate` sequence, selected, all in frames of its rate. */
function oneClip(rate, { mediaRate = rate, zeroFrame = 0, display, inFrames = 0, duration = 48, start = 0, ...extra } = {}) {
  const media = { [A]: { fps: FPS[mediaRate], frames: 2000, audio: true } };
  const made = scene({ rate, zeroFrame, display, media, clips: [{ media: A, name: "A001_C002", in: at(mediaRate, inFrames),
    duration: at(rate, duration), start: at(rate, start), ...extra }] });
  made.scene.select(made.items[0]);
  return made;
}

test("23.976: a trimmed clip's source range and record position, in frames", async () => {
  const { ppro, project } = oneClip("23.976", { zeroFrame: 86400, inFrames: 48, duration: 96, start: 240 });
  const got = await readClip(ppro, project);
  assert.deepEqual(got.clip.sourceRange, { start: 48, end: 144 });
  assert.deepEqual(got.clip.record, { start: 86640, end: 86736 });
  assert.equal(got.clip.sourceRate, "24000/1001");
  assert.equal(got.clip.timelineRate, "24000/1001");
  assert.equal(got.clip.timelineStartFrame, 86400);
  assert.equal(got.clip.track, 1); // track index 0 is V1
  assert.equal(got.clip.mediaPath, A);
  assert.equal(got.recordTimecode, "01:00:10:00");
  assert.equal(got.ticks.offset, 0n);
});

test("25 fps at 10:00:00:00", async () => {
  const { ppro, project } = oneClip(25, { zeroFrame: 900000, inFrames: 10, duration: 50, start: 25 });
  const got = await readClip(ppro, project);
  assert.deepEqual(got.clip.sourceRange, { start: 10, end: 60 });
  assert.deepEqual(got.clip.record, { start: 900025, end: 900075 });
  assert.equal(got.clip.sourceRate, "25");
  assert.equal(got.recordTimecode, "10:00:01:00");
  assert.equal(got.clip.dropFrame, false);
});

test("29.97 drop-frame: frames count every frame, the timecode skips numbers", async () => {
  const made = scene({ rate: "29.97", media: {} });
  const { ppro, project } = oneClip("29.97", { zeroFrame: 107892, display: made.ppro.Constants.VideoDisplayFormatType.FPS_29_97,
    inFrames: 12, duration: 30, start: 1800 });
  const got = await readClip(ppro, project);
  assert.deepEqual(got.clip.sourceRange, { start: 12, end: 42 });
  assert.deepEqual(got.clip.record, { start: 109692, end: 109722 });
  assert.equal(got.clip.timelineStartFrame, 107892);
  assert.equal(got.clip.dropFrame, true);
  assert.equal(got.clip.sourceRate, "30000/1001");
  assert.equal(got.recordTimecode, "01:01:00;02");
});

test("59.94", async () => {
  const made = scene({ rate: "59.94", media: {} });
  const { ppro, project } = oneClip("59.94", { display: made.ppro.Constants.VideoDisplayFormatType.FPS_29_97,
    inFrames: 120, duration: 240, start: 3600 });
  const got = await readClip(ppro, project);
  assert.deepEqual(got.clip.sourceRange, { start: 120, end: 360 });
  assert.deepEqual(got.clip.record, { start: 3600, end: 3840 });
  assert.equal(got.clip.sourceRate, "60000/1001");
  assert.equal(got.recordTimecode, "00:01:00;04");
});

test("mixed rates: a 25 fps clip in a 23.976 sequence covers every media frame it shows, exactly", async () => {
  // Trimmed by 7 sequence frames at the head: the in point falls inside media frame 7.
  const media = { [A]: { fps: 25, frames: 2000, audio: false } };
  const made = scene({ rate: "23.976", zeroFrame: 86400, media, clips: [{ media: A, in: at("23.976", 7),
    duration: at("23.976", 48), start: at("23.976", 240) }] });
  made.scene.select(made.items[0]);
  const got = await readClip(made.ppro, made.project);
  assert.equal(got.sameRate, false);
  assert.equal(got.clip.sourceRate, "25");
  assert.equal(got.clip.timelineRate, "24000/1001");
  // 7 frames at 23.976 = 7.2989 frames at 25: from media frame 7; 55 sequence frames = 57.35: to 58.
  assert.deepEqual(got.clip.sourceRange, { start: 7, end: 58 });
  assert.deepEqual(got.clip.record, { start: 86640, end: 86688 });
  assert.equal(got.ticks.offset, 7n * TPF["23.976"] - 7n * TPF[25]);
  assert.equal(got.ticks.offset, 3037608000n);
});

test("the clip under the playhead, topmost first, when nothing is selected", async () => {
  const media = { [A]: { fps: 25, frames: 500 }, "/media/b.mov": { fps: 25, frames: 500 } };
  const made = scene({ rate: 25, media, clips: [{ media: A, duration: at(25, 100), start: "0" }],
    upper: [{ media: "/media/b.mov", in: at(25, 5), duration: at(25, 20), start: at(25, 40) }] });
  made.scene.playhead(at(25, 50));
  const got = await readClip(made.ppro, made.project);
  assert.equal(got.clip.mediaPath, "/media/b.mov");
  assert.equal(got.clip.track, 2);
  assert.equal(await frameUnderPlayhead(made.sequence, got), 15);
  made.scene.playhead(at(25, 70)); // past B: the clip on V1
  assert.equal((await readClip(made.ppro, made.project)).clip.mediaPath, A);
  made.scene.playhead(at(25, 100)); // the end is exclusive: nothing there
  await assert.rejects(readClip(made.ppro, made.project), /select a video clip, or put the playhead over one/);
});

test("refused in words: retimed, reversed, two selected, off-frame, odd rate, a nest", async () => {
  let made = oneClip(25, { speed: 2 });
  await assert.rejects(readClip(made.ppro, made.project), (e) => e.kind === "retimed" && /200% speed/.test(e.message));
  made = oneClip(25, { reversed: true });
  await assert.rejects(readClip(made.ppro, made.project), (e) => e.kind === "retimed" && /reversed/.test(e.message));
  made = oneClip(25);
  made.scene.select(made.items[0], made.items[0]);
  await assert.rejects(readClip(made.ppro, made.project), /2 video clips are selected/);
  const media = { [A]: { fps: 25, frames: 500 } };
  made = scene({ rate: 25, media, clips: [{ media: A, in: "5", duration: at(25, 10), start: "0" }] });
  made.scene.select(made.items[0]);
  await assert.rejects(readClip(made.ppro, made.project), (e) => e.kind === "subframe" && /in point/.test(e.message));
  made = scene({ rate: 25, media: { [A]: { fps: 23.9, frames: 500 } }, clips: [{ media: A, duration: at(25, 10), start: "0" }] });
  made.scene.select(made.items[0]);
  await assert.rejects(readClip(made.ppro, made.project), (e) => e.kind === "rate" && /23.9 fps/.test(e.message));
  made = scene({ rate: 25, media, clips: [{ media: A, duration: at(25, 10), start: "0", kind: "sequence" }] });
  made.scene.select(made.items[0]);
  await assert.rejects(readClip(made.ppro, made.project), /nested sequence/);
});
