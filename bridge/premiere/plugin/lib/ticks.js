"use strict";
// Premiere's time, converted at the edge: 254,016,000,000 ticks per second (docsforadobe
// premiere-scripting-guide docs/other/time.md; UXP TickTime.ticks is that count as a string).
// Everything here is BigInt: ticks of a long timeline pass 2^53, and frames are never derived
// from floating seconds (DESIGN.md "Time model").
(function (name, deps, factory) {
  if (typeof window === "undefined" && typeof module === "object") {
    module.exports = factory(...deps.map((d) => require(`./${d}.js`)));
  } else {
    const ns = (globalThis.retakesPremiere = globalThis.retakesPremiere || {});
    ns[name] = factory(...deps.map((d) => ns[d]));
  }
})("ticks", [], function () {
  const TICKS_PER_SECOND = 254016000000n;

  /** Something the panel cannot send or place as it is; `message` says why, for an editor. */
  class Refused extends Error {
    constructor(kind, message) {
      super(message);
      this.name = "Refused";
      this.kind = kind;
    }
  }

  /** Ticks of a TickTime (whose `ticks` is a string) or of a ticks string, as a BigInt. */
  function ticksOf(value) {
    const text = value !== null && typeof value === "object" ? value.ticks : value;
    if (typeof text !== "string") {
      throw new TypeError(`expected ticks as a string (TickTime.ticks), got ${typeof text}`);
    }
    if (!/^-?\d+$/.test(text)) throw new TypeError(`not a tick count: ${JSON.stringify(text)}`);
    return BigInt(text);
  }

  function gcd(a, b) {
    while (b) [a, b] = [b, a % b];
    return a;
  }

  /** The exact rate of a whole number of ticks per frame: {num, den, text: "24000/1001"}. */
  function rateOf(ticksPerFrame) {
    const tpf = BigInt(ticksPerFrame);
    if (tpf <= 0n) throw new Refused("rate", `a frame must last some ticks, got ${tpf}`);
    const g = gcd(TICKS_PER_SECOND, tpf);
    const num = TICKS_PER_SECOND / g;
    const den = tpf / g;
    return { num, den, text: den === 1n ? `${num}` : `${num}/${den}` };
  }

  /**
   * Ticks per frame for a rate Premiere reports as a float (FootageInterpretation.getFrameRate).
   * 23.976 and 29.97 spell the NTSC rates (24000/1001, 30000/1001), as the engine reads them.
   */
  function ticksPerFrameOfFps(fps) {
    if (typeof fps !== "number" || !Number.isFinite(fps) || fps <= 0) {
      throw new Refused("rate", `the clip has no frame rate (got ${fps}); stills and audio cannot be sent`);
    }
    const candidates = [];
    const whole = Math.round(fps);
    if (Math.abs(fps - whole) < 1e-6) candidates.push([BigInt(whole), 1n]);
    const k = Math.round((fps * 1001) / 1000);
    if (Math.abs((k * 1000) / 1001 - fps) < 0.01) candidates.push([BigInt(k * 1000), 1001n]);
    for (const [num, den] of candidates) {
      if ((TICKS_PER_SECOND * den) % num === 0n) return (TICKS_PER_SECOND * den) / num;
    }
    const tpf = Math.round(Number(TICKS_PER_SECOND) / fps);
    if (Math.abs(Number(TICKS_PER_SECOND) / fps - tpf) < 1e-3) return BigInt(tpf);
    throw new Refused("rate", `the clip runs at ${fps} fps, which is not a whole number of Premiere ticks per ` +
      "frame; interpret it at a standard rate (Modify > Interpret Footage) and send it again");
  }

  function floorDiv(a, b) {
    const q = a / b;
    return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
  }

  function ceilDiv(a, b) {
    return -floorDiv(-a, b);
  }

  /** Frames in `ticks` when they are a whole number; else a Refused naming `what`. */
  function exactFrames(ticks, ticksPerFrame, what) {
    if (ticks % ticksPerFrame !== 0n) {
      throw new Refused("subframe", `${what} is not on a frame boundary (${ticks} ticks at ${ticksPerFrame} ` +
        "ticks per frame)");
    }
    return ticks / ticksPerFrame;
  }

  /** "HH:MM:SS:FF" of an absolute frame count; ";" before FF for drop-frame (29.97, 59.94). */
  function timecode(frame, rate, dropFrame = false) {
    let f = Number(frame);
    const nominal = Math.round(Number(rate.num) / Number(rate.den));
    if (dropFrame) {
      if (rate.den !== 1001n || (nominal !== 30 && nominal !== 60)) {
        throw new Refused("rate", `drop-frame timecode needs 29.97 or 59.94 fps, not ${rate.text}`);
      }
      const drop = nominal / 15; // 2 frame numbers a minute at 29.97, 4 at 59.94, except every tenth minute
      const perTen = nominal * 600 - drop * 9;
      const perMinute = nominal * 60 - drop;
      const tens = Math.floor(f / perTen);
      const rest = f % perTen;
      f += drop * 9 * tens + (rest > drop ? drop * Math.floor((rest - drop) / perMinute) : 0);
    }
    const pad = (n) => String(n).padStart(2, "0");
    const ff = f % nominal;
    const ss = Math.floor(f / nominal) % 60;
    const mm = Math.floor(f / (nominal * 60)) % 60;
    const hh = Math.floor(f / (nominal * 3600)) % 24;
    return `${pad(hh)}:${pad(mm)}:${pad(ss)}${dropFrame ? ";" : ":"}${pad(ff)}`;
  }

  return { TICKS_PER_SECOND, Refused, ticksOf, rateOf, ticksPerFrameOfFps, floorDiv, ceilDiv, exactFrames, timecode };
});
