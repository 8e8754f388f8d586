"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const ticks = require("../../bridge/premiere/plugin/lib/ticks.js");
const { TPF, FPS } = require("./helpers.js");

test("a second is 254,016,000,000 ticks", () => {
  assert.equal(ticks.TICKS_PER_SECOND, 254016000000n);
});

test("rates Premiere reports as floats become exact ticks per frame", () => {
  for (const [name, tpf] of Object.entries(TPF)) {
    assert.equal(ticks.ticksPerFrameOfFps(FPS[name]), tpf, name);
  }
  // Premiere shows 23.976 and 29.97; both mean the NTSC rates, as the engine reads them.
  assert.equal(ticks.ticksPerFrameOfFps(23.976), TPF["23.976"]);
  assert.equal(ticks.ticksPerFrameOfFps(29.97), TPF["29.97"]);
  assert.equal(ticks.ticksPerFrameOfFps(59.94), TPF["59.94"]);
  assert.equal(ticks.rateOf(TPF["23.976"]).text, "24000/1001");
  assert.equal(ticks.rateOf(TPF["59.94"]).text, "60000/1001");
  assert.equal(ticks.rateOf(TPF[25]).text, "25");
});

test("a rate that is not whole ticks per frame is refused in words", () => {
  assert.throws(() => ticks.ticksPerFrameOfFps(23.9), (e) => e.kind === "rate" && /Interpret Footage/.test(e.message));
  assert.throws(() => ticks.ticksPerFrameOfFps(0), (e) => e.kind === "rate" && /stills/.test(e.message));
  assert.throws(() => ticks.ticksPerFrameOfFps(NaN), (e) => e.kind === "rate");
});

test("ticks arrive as strings, and numbers are refused rather than rounded", () => {
  assert.equal(ticks.ticksOf({ ticks: "914457600000000" }), 914457600000000n);
  assert.equal(ticks.ticksOf("-5"), -5n);
  assert.throws(() => ticks.ticksOf(914457600000000), /as a string/);
  assert.throws(() => ticks.ticksOf({ ticks: 1.5 }), /as a string/);
  assert.throws(() => ticks.ticksOf("1e9"), /not a tick count/);
});

test("timecodes: non-drop, 29.97 drop-frame and 59.94 drop-frame", () => {
  const r = (name) => ticks.rateOf(TPF[name]);
  assert.equal(ticks.timecode(86400, r("23.976")), "01:00:00:00");
  assert.equal(ticks.timecode(90000 + 24, r(25)), "01:00:00:24");
  assert.equal(ticks.timecode(1799, r("29.97"), true), "00:00:59;29");
  assert.equal(ticks.timecode(1800, r("29.97"), true), "00:01:00;02"); // ;00 and ;01 do not exist
  assert.equal(ticks.timecode(17982, r("29.97"), true), "00:10:00;00"); // every tenth minute keeps them
  assert.equal(ticks.timecode(107892, r("29.97"), true), "01:00:00;00");
  assert.equal(ticks.timecode(3600, r("59.94"), true), "00:01:00;04");
  assert.equal(ticks.timecode(215784, r("59.94"), true), "01:00:00;00");
  assert.throws(() => ticks.timecode(0, r(25), true), /29.97 or 59.94/);
});

test("floor and ceiling division of ticks", () => {
  assert.equal(ticks.floorDiv(7n * TPF["23.976"], TPF[25]), 7n);
  assert.equal(ticks.ceilDiv(7n * TPF["23.976"], TPF[25]), 8n);
  assert.equal(ticks.ceilDiv(8n * TPF[25], TPF[25]), 8n);
  assert.throws(() => ticks.exactFrames(5n, TPF[25], "the in point"), /the in point is not on a frame boundary/);
});
