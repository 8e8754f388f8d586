"use strict";
// Putting a version back: import into a "retakes" bin, then, inside project.lockedAccess and
// project.executeTransaction (Premiere 26.3 requires every create*Action inside lockedAccess),
// an overwrite onto a new video track above everything, at exactly the source clip's start
// tick. Then read back: the new item must sit where it was asked, and every clip that was on
// the sequence before must be exactly where it was (DESIGN.md invariant 5: only additions).
(function (name, deps, factory) {
  if (typeof window === "undefined" && typeof module === "object") {
    module.exports = factory(...deps.map((d) => require(`./${d}.js`)));
  } else {
    const ns = (globalThis.retakesPremiere = globalThis.retakesPremiere || {});
    ns[name] = factory(...deps.map((d) => ns[d]));
  }
})("place", ["ticks"], function (ticks) {
  const { Refused, ticksOf } = ticks;
  const BIN = "retakes";

  /**
   * Which part of the version plays, in the version's own ticks. The version starts `handleHead`
   * frames before the clip's first source frame; at mixed rates the clip also starts `offset`
   * ticks into that frame. Placing [in, out) of the version at the clip's start tick shows the
   * same instants of the same media the clip showed.
   */
  function placementPlan(described, version) {
    const media = described.ticks.media;
    const inTicks = BigInt(version.handleHead || 0) * media + described.ticks.offset;
    const outTicks = inTicks + (described.ticks.out - described.ticks.in);
    const length = BigInt(version.outputFrames) * media;
    if (outTicks > length) {
      throw new Refused("version", `${version.label} has ${version.outputFrames} frames, fewer than the clip shows`);
    }
    return { time: described.ticks.start, end: described.ticks.end, inTicks, outTicks,
      trim: inTicks !== 0n || outTicks !== length };
  }

  function transact(project, undoString, build) {
    let done = false;
    project.lockedAccess(() => {
      done = project.executeTransaction((compound) => {
        for (const action of build()) compound.addAction(action);
      }, undoString);
    });
    return done;
  }

  async function retakesBin(ppro, project) {
    const root = await project.getRootItem();
    const find = async () => (await root.getItems()).find((item) => item.name === BIN && ppro.FolderItem.cast(item));
    let bin = await find();
    if (!bin) {
      if (!transact(project, "retakes: bin", () => [root.createBinAction(BIN, false)])) {
        throw new Refused("place", `Premiere did not create the "${BIN}" bin`);
      }
      bin = await find();
      if (!bin) throw new Refused("place", `the "${BIN}" bin is not in the project after creating it`);
    }
    return ppro.FolderItem.cast(bin);
  }

  async function importedItem(ppro, bin, path) {
    const matches = [];
    for (const item of await bin.getItems()) {
      const clip = ppro.ClipProjectItem.cast(item);
      if (clip && (await clip.getMediaFilePath()) === path) matches.push(clip);
    }
    return matches[matches.length - 1] || null; // importFiles answers true/false only: find what it made
  }

  async function trackItems(ppro, sequence, kind) {
    const count = kind === "V" ? await sequence.getVideoTrackCount() : await sequence.getAudioTrackCount();
    const out = [];
    for (let index = 0; index < count; index++) {
      const track = kind === "V" ? await sequence.getVideoTrack(index) : await sequence.getAudioTrack(index);
      for (const item of track.getTrackItems(ppro.Constants.TrackItemType.CLIP, false)) {
        out.push({ item, index, key: [kind, index, (await item.getStartTime()).ticks, (await item.getEndTime()).ticks,
          (await item.getInPoint()).ticks, (await item.getOutPoint()).ticks, await item.getName()].join("|") });
      }
    }
    return out;
  }

  async function snapshot(ppro, sequence) {
    return [...(await trackItems(ppro, sequence, "V")), ...(await trackItems(ppro, sequence, "A"))];
  }

  /** Imports, trims, overwrites and reads back; returns where the version went. */
  async function placeVersion(ppro, project, sequence, described, version) {
    const plan = placementPlan(described, version);
    const bin = await retakesBin(ppro, project);
    if (!(await project.importFiles([version.outputPath], true, bin, false))) {
      throw new Refused("place", `Premiere did not import ${version.outputPath}`);
    }
    const item = await importedItem(ppro, bin, version.outputPath);
    if (!item) throw new Refused("place", `${version.outputPath} was imported but is not in the "${BIN}" bin`);
    const TickTime = ppro.TickTime;
    if (plan.trim && !transact(project, `retakes: trim ${version.label}`, () => [item.createSetInOutPointsAction(
      TickTime.createWithTicks(String(plan.inTicks)), TickTime.createWithTicks(String(plan.outTicks)))])) {
      throw new Refused("place", `Premiere did not set ${version.label}'s in and out points`);
    }
    const before = await snapshot(ppro, sequence);
    const videoTrack = await sequence.getVideoTrackCount(); // a new track, above every other
    const audioTrack = await sequence.getAudioTrackCount();
    const editor = ppro.SequenceEditor.getEditor(sequence);
    const undo = `retakes: place ${version.label}`;
    if (!transact(project, undo, () => [editor.createOverwriteItemAction(
      item, TickTime.createWithTicks(String(plan.time)), videoTrack, audioTrack)])) {
      throw new Refused("place", `Premiere refused to place ${version.label}`);
    }
    const after = await snapshot(ppro, sequence);
    const added = after.filter((a) => a.key.startsWith("V|") && a.index === videoTrack);
    const where = `on V${videoTrack + 1} at tick ${plan.time}`;
    if (added.length === 0) {
      throw new Refused("place", `Premiere said it placed ${version.label} ${where} but placed nothing; add an ` +
        `empty video track above V${described.clip.track} (Sequence > Add Tracks) and place it again`);
    }
    const placed = added[0].item;
    const got = [ticksOf(await placed.getStartTime()), ticksOf(await placed.getEndTime()),
      ticksOf(await placed.getInPoint())];
    const want = [plan.time, plan.end, plan.inTicks];
    const moved = before.filter((b) => !after.some((a) => a.key === b.key)).map((b) => b.key.split("|")[6]);
    if (added.length !== 1 || got.some((value, i) => value !== want[i]) || moved.length) {
      const what = moved.length ? `it changed clips that were already there (${moved.join(", ")})`
        : `it placed ${version.label} from tick ${got[0]} to ${got[1]} (in point ${got[2]}) instead of ` +
          `${want[0]} to ${want[1]} (in point ${want[2]})`;
      throw new Refused("place", `Premiere did not place ${version.label} as asked: ${what}; undo it with ` +
        `Edit > Undo "${undo}"`);
    }
    return { track: videoTrack + 1, audioTrack: audioTrack + 1, record: described.clip.record,
      itemId: `${described.clip.itemId.split(":")[0]}:V${videoTrack + 1}@${plan.time}`, trimmed: plan.trim };
  }

  return { BIN, placementPlan, placeVersion };
});
