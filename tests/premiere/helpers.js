"use strict";
// Rates and clips for the plugin tests, in Premiere's own units (ticks per frame).
const { createPremiere, TPS } = require("./premierepro_standin.js");

const TPF = { "23.976": 10594584000n, 24: 10584000000n, 25: 10160640000n, "29.97": 8475667200n, "59.94": 4237833600n };
const FPS = { "23.976": 24000 / 1001, 24: 24, 25: 25, "29.97": 30000 / 1001, "59.94": 60000 / 1001 };

/** A project with one sequence at `rate`; `clips` on V1 given in frames of their own media. */
function scene({ rate, zeroFrame = 0, display, media = {}, clips = [], upper = [], audioTracks = 1, overwrite }) {
  const { ppro, scene } = createPremiere({ media, overwriteToNewTrack: overwrite });
  const tpf = TPF[rate];
  const made = scene.sequence({
    name: "Sequence 01", ticksPerFrame: tpf, zeroPointTicks: BigInt(zeroFrame) * tpf, displayFormat: display,
    video: [clips, upper], audioTracks,
  });
  return { ppro, scene, ...made, tpf };
}

module.exports = { createPremiere, TPS, TPF, FPS, scene };
