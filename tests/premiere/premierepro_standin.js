"use strict";
// A stand-in for Premiere's UXP `premierepro` module, for the plugin's tests (node and Chromium).
//
// Written from Adobe's documented API, not from the plugin: AdobeDocs/uxp-premiere-pro at
// d7ca9c8 (2026-08-15), src/pages/ppro-reference/classes/{project,sequence,sequenceeditor,
// sequencesettings,videotrack,videocliptrackitem,clipprojectitem,folderitem,projectitem,ticktime,
// framerate,footageinterpretation,compoundaction,trackitemselection}.md and constants/index.md;
// src/pages/changelog/index.md (26.3); and the AdobeDocs/uxp-premiere-pro-samples
// 3psample-panel (html/src/sequenceEditor.ts, projectPanel.ts, sequence.ts). Quirks kept:
//
// - every getter that the reference lists as Promise<...> returns a Promise (forget an await
//   and you compare a Promise); VideoTrack.getTrackItems, SequenceSettings.getVideoFrameRate,
//   FootageInterpretation.getFrameRate, FolderItem/ClipProjectItem.cast, project.executeTransaction
//   and lockedAccess are synchronous, as listed;
// - TickTime.ticks is a string; createWithTicks takes a string;
// - create*Action must run inside project.lockedAccess (26.3: "enforced consistently"); an
//   Action does nothing until it is added to the compound action of executeTransaction, and a
//   compound action cannot be used after its transaction's callback returned;
// - lockedAccess's callback is synchronous: an async callback loses the lock at its first await;
// - track indices count from 0; importFiles answers only true/false (the item must be found in
//   the target bin afterwards, as AYON does in ExtendScript, research/nle.md 2.3);
// - an overwrite past the last track: the reference documents track creation only for
//   createInsertProjectItemAction ("a new track will be created"); `overwriteToNewTrack:
//   "creates"` models it the same way, `"drops"` models the ExtendScript behaviour reported in
//   premiere-pro-mcp #130 ("returns success but places nothing").
(function (root, factory) {
  if (typeof window === "undefined" && typeof module === "object") module.exports = factory();
  else root.createPremiereStandIn = factory().createPremiere;
})(globalThis, function () {
  const TPS = 254016000000n;

  function createPremiere(options = {}) {
    const settings = { ...options, overwriteToNewTrack: options.overwriteToNewTrack ?? "creates" };
    // path -> {fps, frames, audio}; `probe(path)` answers for files made during the test.
    const media = new Map(Object.entries(settings.media || {}));
    const state = { locked: 0, transaction: false, log: [], undo: [], guid: 0 };
    const log = (entry) => state.log.push(entry);

    function requireLock(what) {
      if (state.locked === 0) {
        throw new Error(`${what}: Action instances must be created inside project.lockedAccess() (Premiere 26.3)`);
      }
    }

    class TickTime {
      constructor(t) { this._t = BigInt(t); }
      get ticks() { return this._t.toString(); }
      get ticksNumber() { return Number(this._t); }
      get seconds() { return Number(this._t) / Number(TPS); }
      static createWithTicks(text) {
        if (typeof text !== "string") throw new TypeError("TickTime.createWithTicks: ticks must be a string");
        if (!/^-?\d+$/.test(text)) throw new TypeError(`TickTime.createWithTicks: not ticks: ${text}`);
        return new TickTime(BigInt(text));
      }
      static createWithSeconds(seconds) { return new TickTime(BigInt(Math.round(seconds * Number(TPS)))); }
      static createWithFrameAndFrameRate(frame, rate) { return new TickTime(BigInt(frame) * BigInt(rate.ticksPerFrame)); }
      add(other) { return new TickTime(this._t + other._t); }
      subtract(other) { return new TickTime(this._t - other._t); }
      equals(other) { return other instanceof TickTime && other._t === this._t; }
    }
    TickTime.TIME_ZERO = new TickTime(0n);

    class FrameRate {
      constructor(tpf) { this.ticksPerFrame = Number(tpf); }
      get value() { return Number(TPS) / this.ticksPerFrame; }
      static createWithValue(fps) { return new FrameRate(Math.round(Number(TPS) / fps)); }
      equals(other) { return other.ticksPerFrame === this.ticksPerFrame; }
    }

    class Action {
      constructor(name, apply) { this.name = name; this._apply = apply; this._used = false; }
    }

    class CompoundAction {
      constructor() { this._actions = []; this._open = true; }
      get empty() { return this._actions.length === 0; }
      addAction(action) {
        if (!this._open) throw new Error("CompoundAction.addAction: the transaction has ended");
        if (!(action instanceof Action)) throw new TypeError("CompoundAction.addAction: not an Action");
        if (action._used) throw new Error("CompoundAction.addAction: this Action was already executed");
        this._actions.push(action);
        return true;
      }
    }

    const Constants = {
      TrackItemType: { EMPTY: 0, CLIP: 1, TRANSITION: 2, PREVIEW: 3, FEEDBACK: 4 },
      MediaType: { ANY: "media-any", DATA: "media-data", VIDEO: "media-video", AUDIO: "media-audio" },
      ContentType: { ANY: 0, SEQUENCE: 1, MEDIA: 2 },
      VideoDisplayFormatType: { FPS_23_976: 100, FPS_25: 101, FPS_29_97: 102, FPS_29_97_NON_DROP: 103,
        FEET_FRAME_16mm: 104, FEET_FRAME_35mm: 105, FRAMES: 106 },
    };

    class ProjectItem {
      constructor(name, type) { this.name = name; this.type = type; this._id = `item-${++state.guid}`; }
      getId() { return this._id; }
    }

    class FolderItem extends ProjectItem {
      constructor(name) { super(name, 2); this._items = []; }
      static cast(item) { return item instanceof FolderItem ? item : null; }
      async getItems() { return [...this._items]; }
      createBinAction(name, makeUnique) {
        requireLock("FolderItem.createBinAction");
        return new Action("createBin", () => {
          let unique = name;
          for (let n = 2; makeUnique && this._items.some((i) => i.name === unique); n++) unique = `${name} ${n}`;
          this._items.push(new FolderItem(unique));
          return true;
        });
      }
    }

    class ClipProjectItem extends ProjectItem {
      constructor(path, info, kind = "media") {
        super(path.split(/[\\/]/).pop(), 1);
        this._path = path;
        this._info = info;
        this._kind = kind;
        const tpf = BigInt(Math.round(Number(TPS) / info.fps));
        this._length = BigInt(info.frames) * tpf;
        this._in = 0n;
        this._out = this._length;
      }
      static cast(item) { return item instanceof ClipProjectItem ? item : null; }
      async getMediaFilePath() { return this._path; }
      async isSequence() { return this._kind === "sequence"; }
      async getContentType() { return this._kind === "sequence" ? Constants.ContentType.SEQUENCE : Constants.ContentType.MEDIA; }
      async getFootageInterpretation() {
        const fps = this._info.fps;
        return { getFrameRate: () => fps };
      }
      async getInPoint() { return new TickTime(this._in); }
      async getOutPoint() { return new TickTime(this._out); }
      createSetInOutPointsAction(inPoint, outPoint) {
        requireLock("ClipProjectItem.createSetInOutPointsAction");
        if (!(inPoint instanceof TickTime) || !(outPoint instanceof TickTime)) {
          throw new TypeError("createSetInOutPointsAction: TickTime arguments expected");
        }
        return new Action("setInOutPoints", () => {
          if (inPoint._t < 0n || outPoint._t > this._length || outPoint._t <= inPoint._t) return false;
          this._in = inPoint._t;
          this._out = outPoint._t;
          return true;
        });
      }
    }

    class TrackItem {
      constructor(track, projectItem, start, end, inPoint, name, extra = {}) {
        Object.assign(this, { _track: track, _projectItem: projectItem, _start: start, _end: end, _in: inPoint,
          _name: name, _speed: extra.speed ?? 1, _reversed: extra.reversed ?? false });
      }
      async getStartTime() { return new TickTime(this._start); }
      async getEndTime() { return new TickTime(this._end); }
      async getInPoint() { return new TickTime(this._in); }
      async getOutPoint() { return new TickTime(this._in + (this._end - this._start) * BigInt(Math.round(this._speed * 1000)) / 1000n); }
      async getDuration() { return new TickTime(this._end - this._start); }
      async getProjectItem() { return this._projectItem; }
      async getSpeed() { return this._speed; }
      async isSpeedReversed() { return this._reversed ? 1 : 0; }
      async getTrackIndex() { return this._track._index; }
      async getName() { return this._name; }
      async getMediaType() { return this._track._kind === "V" ? Constants.MediaType.VIDEO : Constants.MediaType.AUDIO; }
      async getType() { return Constants.TrackItemType.CLIP; }
    }

    class Track {
      constructor(kind, index) { this._kind = kind; this._index = index; this._items = []; this.name = `${kind}${index + 1}`; }
      async getIndex() { return this._index; }
      getTrackItems(type, includeEmpty) {
        if (type !== Constants.TrackItemType.CLIP || includeEmpty) return [];
        return [...this._items].sort((a, b) => (a._start < b._start ? -1 : 1));
      }
      _overwrite(projectItem, start, end, inPoint) {
        // An overwrite edit: what was under [start, end) on this track is cut away.
        const kept = [];
        for (const it of this._items) {
          if (it._end <= start || it._start >= end) { kept.push(it); continue; }
          if (it._start < start) kept.push(new TrackItem(this, it._projectItem, it._start, start, it._in, it._name));
          if (it._end > end) kept.push(new TrackItem(this, it._projectItem, end, it._end, it._in + (end - it._start), it._name));
        }
        kept.push(new TrackItem(this, projectItem, start, end, inPoint, projectItem.name));
        this._items = kept;
      }
    }

    class Sequence {
      constructor(spec) {
        this.name = spec.name;
        this.guid = `seq-${++state.guid}`;
        this._tpf = BigInt(spec.ticksPerFrame);
        this._zero = BigInt(spec.zeroPointTicks || 0);
        this._display = spec.displayFormat ?? Constants.VideoDisplayFormatType.FRAMES;
        this._video = [];
        this._audio = [];
        this._player = 0n;
        this._selection = [];
      }
      async getSettings() {
        const rate = new FrameRate(this._tpf);
        const display = { type: this._display };
        return { getVideoFrameRate: () => rate, getVideoDisplayFormat: async () => display };
      }
      async getZeroPoint() { return new TickTime(this._zero); }
      async getTimebase() { return this._tpf.toString(); }
      async getPlayerPosition() { return new TickTime(this._player); }
      async getSelection() {
        const items = [...this._selection];
        return { getTrackItems: async () => items };
      }
      async getVideoTrackCount() { return this._video.length; }
      async getAudioTrackCount() { return this._audio.length; }
      async getVideoTrack(index) { return this._video[index]; }
      async getAudioTrack(index) { return this._audio[index]; }
    }

    class SequenceEditor {
      constructor(sequence) { this._sequence = sequence; }
      static getEditor(sequence) { return new SequenceEditor(sequence); }
      createOverwriteItemAction(projectItem, time, videoTrackIndex, audioTrackIndex) {
        requireLock("SequenceEditor.createOverwriteItemAction");
        if (!(time instanceof TickTime)) throw new TypeError("createOverwriteItemAction: time must be a TickTime");
        for (const index of [videoTrackIndex, audioTrackIndex]) {
          if (!Number.isInteger(index) || index < 0) throw new TypeError(`track index ${index} is not an index from 0`);
        }
        const seq = this._sequence;
        return new Action("overwrite", () => {
          const clip = ClipProjectItem.cast(projectItem);
          if (!clip) return false;
          const start = time._t;
          const end = start + (clip._out - clip._in);
          const place = (tracks, kind, index) => {
            if (index >= tracks.length) {
              if (settings.overwriteToNewTrack !== "creates") return; // success, nothing placed (#130)
              while (tracks.length <= index) tracks.push(new Track(kind, tracks.length));
            }
            tracks[index]._overwrite(clip, start, end, clip._in);
          };
          place(seq._video, "V", videoTrackIndex);
          if (clip._info.audio) place(seq._audio, "A", audioTrackIndex);
          return true;
        });
      }
    }

    class Project {
      constructor() { this.name = "Untitled"; this.guid = "project-1"; this._root = new FolderItem("root"); this._sequence = null; }
      static async getActiveProject() { return state.project; }
      async getActiveSequence() { return this._sequence; }
      async getRootItem() { return this._root; }
      lockedAccess(callback) {
        if (typeof callback !== "function") throw new TypeError("lockedAccess: callback expected");
        state.locked++;
        log("lockedAccess");
        try {
          callback(); // an async callback's awaits run after this returns: outside the lock
        } finally {
          state.locked--;
        }
      }
      executeTransaction(callback, undoString) {
        if (state.transaction) throw new Error("executeTransaction: transactions do not nest");
        const compound = new CompoundAction();
        state.transaction = true;
        try {
          callback(compound);
        } finally {
          compound._open = false;
          state.transaction = false;
        }
        log(`executeTransaction(${compound._actions.map((a) => a.name).join(",")}) "${undoString || ""}"`);
        if (compound.empty) return false;
        for (const action of compound._actions) {
          action._used = true;
          if (!action._apply()) return false;
        }
        state.undo.push(undoString || "");
        return true;
      }
      async importFiles(paths, suppressUI, targetBin, asNumberedStills) {
        log(`importFiles(${paths.join(",")})`);
        const bin = targetBin ? FolderItem.cast(targetBin) : this._root;
        if (!bin || asNumberedStills) return false;
        for (const path of paths) {
          const info = media.get(path) || (settings.probe && settings.probe(path));
          if (!info) return false;
          bin._items.push(new ClipProjectItem(path, info));
        }
        return true;
      }
    }

    const ppro = { Project, Sequence, SequenceEditor, TickTime, FrameRate, FolderItem, ClipProjectItem, ProjectItem,
      CompoundAction, Constants };

    // ---------------------------------------------------------------- the test's side
    const scene = {
      log: state.log,
      undo: state.undo,
      media(path, info) { media.set(path, info); },
      /** A project whose active sequence has these clips; ticks as BigInt or decimal strings. */
      sequence(spec) {
        const project = new Project();
        state.project = project;
        const seq = new Sequence(spec);
        project._sequence = seq;
        const items = [];
        (spec.video || [[]]).forEach((clips, index) => {
          const track = new Track("V", index);
          seq._video.push(track);
          for (const c of clips) {
            const info = media.get(c.media);
            if (!info) throw new Error(`stand-in: unknown media ${c.media}`);
            const projectItem = new ClipProjectItem(c.media, info, c.kind);
            project._root._items.push(projectItem);
            const start = BigInt(c.start);
            const speed = c.speed ?? 1;
            const item = new TrackItem(track, projectItem, start, start + BigInt(c.duration), BigInt(c.in || 0),
              c.name || projectItem.name, { speed, reversed: c.reversed });
            track._items.push(item);
            items.push(item);
          }
        });
        for (let i = 0; i < (spec.audioTracks ?? 1); i++) seq._audio.push(new Track("A", i));
        return { project, sequence: seq, items };
      },
      select(...items) { state.project._sequence._selection = items; },
      playhead(ticks) { state.project._sequence._player = BigInt(ticks); },
      /** Every clip on every track, as plain values, for before/after comparisons. */
      clips() {
        const seq = state.project._sequence;
        return [...seq._video, ...seq._audio].flatMap((t) => t._items.map((i) => ({ track: t.name,
          start: i._start, end: i._end, in: i._in, media: i._projectItem._path }))).sort((a, b) =>
          a.track === b.track ? (a.start < b.start ? -1 : 1) : a.track < b.track ? -1 : 1);
      },
      bins() { return state.project._root._items.filter((i) => i instanceof FolderItem).map((b) => b.name); },
    };
    return { ppro, scene };
  }

  return { createPremiere, TPS };
});
