"use strict";
// Reading the clip to send from Premiere's active sequence (UXP `premierepro`, 25.6+), and
// converting its ticks to the engine's frames: source frames from the media's first frame at
// the media's rate, record frames absolute at the sequence's rate, every range end-exclusive.
// Every getter of the premierepro module is async (Promise); ticks arrive as strings.
(function (name, deps, factory) {
  if (typeof window === "undefined" && typeof module === "object") {
    module.exports = factory(...deps.map((d) => require(`./${d}.js`)));
  } else {
    const ns = (globalThis.retakesPremiere = globalThis.retakesPremiere || {});
    ns[name] = factory(...deps.map((d) => ns[d]));
  }
})("clip", ["ticks"], function (ticks) {
  const { Refused, ticksOf, rateOf, ticksPerFrameOfFps, floorDiv, ceilDiv, exactFrames, timecode } = ticks;

  /**
   * The clip as the engine and the gateway need it, from what Premiere reports (all ticks as
   * BigInt, the media rate as Premiere's float). Pure: every rule is here, testable without
   * Premiere. At equal rates the clip must sit on whole media frames; at mixed rates (a 25 fps
   * clip in a 23.976 sequence) the source range covers every media frame the clip shows, and
   * `ticks.offset` is where the clip's first instant lies inside that range's first frame, so
   * placement can trim the version to exactly the same instants.
   */
  function describeClip(read) {
    if (read.speed !== 1 || read.reversed) {
      const how = read.reversed ? "reversed" : `at ${Math.round(read.speed * 100)}% speed`;
      throw new Refused("retimed", `"${read.name}" plays ${how}; retakes sends clips at their own speed only ` +
        "(remove the speed change, or nest the clip and send the nest's render)");
    }
    const tpfSeq = BigInt(read.sequenceTicksPerFrame);
    const tpfMedia = ticksPerFrameOfFps(read.mediaFps);
    const duration = read.endTicks - read.startTicks;
    if (duration <= 0n || read.outTicks - read.inTicks !== duration) {
      throw new Refused("retimed", `"${read.name}" shows ${read.outTicks - read.inTicks} ticks of media in ` +
        `${duration} ticks of sequence; only clips at their own speed can be sent`);
    }
    if (read.inTicks < 0n) throw new Refused("range", `"${read.name}" starts before its media's first frame`);
    const sameRate = tpfSeq === tpfMedia;
    const sourceStart = sameRate ? exactFrames(read.inTicks, tpfMedia, `the in point of "${read.name}"`)
      : floorDiv(read.inTicks, tpfMedia);
    const sourceEnd = sameRate ? exactFrames(read.outTicks, tpfMedia, `the out point of "${read.name}"`)
      : ceilDiv(read.outTicks, tpfMedia);
    const zeroFrame = exactFrames(read.zeroPointTicks, tpfSeq, "the sequence's start time");
    const recordStart = exactFrames(read.zeroPointTicks + read.startTicks, tpfSeq, `the start of "${read.name}"`);
    const recordEnd = exactFrames(read.zeroPointTicks + read.endTicks, tpfSeq, `the end of "${read.name}"`);
    const seqRate = rateOf(tpfSeq);
    const mediaRate = rateOf(tpfMedia);
    const dropFrame = Boolean(read.dropFrame) && seqRate.den === 1001n;
    return {
      clip: {
        name: read.name, mediaPath: read.mediaPath, sourceRate: mediaRate.text,
        sourceRange: { start: Number(sourceStart), end: Number(sourceEnd) },
        timelineName: read.sequenceName, timelineRate: seqRate.text, dropFrame,
        timelineStartFrame: Number(zeroFrame), track: read.trackIndex + 1,
        record: { start: Number(recordStart), end: Number(recordEnd) },
        itemId: `${read.sequenceId}:V${read.trackIndex + 1}@${read.startTicks}`, host: "premiere",
      },
      ticks: {
        start: read.startTicks, end: read.endTicks, in: read.inTicks, out: read.outTicks,
        offset: read.inTicks - sourceStart * tpfMedia, media: tpfMedia, sequence: tpfSeq,
      },
      recordTimecode: timecode(recordStart, seqRate, dropFrame),
      sameRate,
    };
  }

  async function topmostUnderPlayhead(ppro, sequence) {
    const position = ticksOf(await sequence.getPlayerPosition());
    const count = await sequence.getVideoTrackCount();
    for (let index = count - 1; index >= 0; index--) {
      const track = await sequence.getVideoTrack(index);
      for (const item of track.getTrackItems(ppro.Constants.TrackItemType.CLIP, false)) {
        const start = ticksOf(await item.getStartTime());
        const end = ticksOf(await item.getEndTime());
        if (start <= position && position < end) return item;
      }
    }
    return null;
  }

  async function chosenItem(ppro, sequence) {
    const selection = await sequence.getSelection();
    const items = await selection.getTrackItems();
    const video = [];
    for (const item of items) {
      if ((await item.getMediaType()) === ppro.Constants.MediaType.VIDEO) video.push(item);
    }
    if (video.length > 1) {
      throw new Refused("selection", `${video.length} video clips are selected; select the one to send`);
    }
    return video[0] || (await topmostUnderPlayhead(ppro, sequence));
  }

  /** Reads the selected clip (else the topmost one under the playhead) of the active sequence. */
  async function readClip(ppro, project) {
    const sequence = await project.getActiveSequence();
    if (!sequence) throw new Refused("selection", "open a sequence first");
    const item = await chosenItem(ppro, sequence);
    if (!item) throw new Refused("selection", "select a video clip, or put the playhead over one");
    const projectItem = ppro.ClipProjectItem.cast(await item.getProjectItem());
    if (!projectItem) throw new Refused("kind", "the clip is not media (a title, a nest or a generator)");
    if (await projectItem.isSequence()) {
      throw new Refused("kind", "the clip is a nested sequence; send the clips inside it");
    }
    const interpretation = await projectItem.getFootageInterpretation();
    const settings = await sequence.getSettings();
    const display = await settings.getVideoDisplayFormat();
    return describeClip({
      name: await item.getName(),
      mediaPath: await projectItem.getMediaFilePath(),
      mediaFps: interpretation.getFrameRate(),
      speed: await item.getSpeed(),
      reversed: Boolean(await item.isSpeedReversed()),
      trackIndex: await item.getTrackIndex(),
      startTicks: ticksOf(await item.getStartTime()),
      endTicks: ticksOf(await item.getEndTime()),
      inTicks: ticksOf(await item.getInPoint()),
      outTicks: ticksOf(await item.getOutPoint()),
      zeroPointTicks: ticksOf(await sequence.getZeroPoint()),
      sequenceTicksPerFrame: BigInt(settings.getVideoFrameRate().ticksPerFrame),
      dropFrame: display.type === ppro.Constants.VideoDisplayFormatType.FPS_29_97,
      sequenceName: sequence.name,
      sequenceId: String(sequence.guid),
    });
  }

  /** The source frame under the playhead, when it is inside the clip (for the preview). */
  async function frameUnderPlayhead(sequence, described) {
    const position = ticksOf(await sequence.getPlayerPosition());
    const { start, end, in: inTicks, media } = described.ticks;
    if (position < start || position >= end) return null;
    return Number(floorDiv(inTicks + (position - start), media));
  }

  return { describeClip, readClip, frameUnderPlayhead };
});
