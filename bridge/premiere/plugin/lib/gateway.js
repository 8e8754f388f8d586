"use strict";
// The panel's client of `retakes gateway serve`: fetch for requests, a WebSocket for progress.
// Bodies and answers are the retakes.v1 protos in protobuf's JSON mapping (lowerCamelCase).
(function (name, deps, factory) {
  if (typeof window === "undefined" && typeof module === "object") {
    module.exports = factory(...deps.map((d) => require(`./${d}.js`)));
  } else {
    const ns = (globalThis.retakesPremiere = globalThis.retakesPremiere || {});
    ns[name] = factory(...deps.map((d) => ns[d]));
  }
})("gateway", [], function () {
  const TERMINAL = ["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"];

  /** A refusal from the gateway (or the engine behind it); `field` names the request field. */
  class GatewayError extends Error {
    constructor(status, body) {
      super(body.field ? `${body.field}: ${body.message}` : body.message);
      this.name = "GatewayError";
      this.status = status;
      this.code = body.code;
      this.field = body.field || "";
    }
  }

  class Gateway {
    constructor(base, token) {
      this.base = String(base).replace(/\/+$/, "");
      this.token = token;
    }

    async request(method, path, body) {
      const headers = { Authorization: `Bearer ${this.token}` };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      let response;
      try {
        response = await fetch(this.base + path, { method, headers,
          body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (error) {
        throw new GatewayError(0, { code: "UNAVAILABLE", message: `cannot reach the gateway at ${this.base}; is ` +
          "`retakes gateway serve` running, and does the plugin's manifest list this address?" });
      }
      const text = await response.text();
      let data;
      try {
        data = JSON.parse(text);
      } catch (error) {
        data = { code: "INTERNAL", message: text.slice(0, 200) || response.statusText };
      }
      if (!response.ok) throw new GatewayError(response.status, data);
      return data;
    }

    capabilities() { return this.request("GET", "/v1/capabilities"); }
    preview(edit, frame) { return this.request("POST", "/v1/preview", { edit, frame }); }
    submit(clip, edit) { return this.request("POST", "/v1/jobs", { clip, edit }); }
    job(id) { return this.request("GET", `/v1/jobs/${encodeURIComponent(id)}`); }
    cancel(id) { return this.request("POST", `/v1/jobs/${encodeURIComponent(id)}/cancel`); }
    record(jobId, clip) { return this.request("POST", "/v1/versions", { jobId, clip }); }
    versions(clip) { return this.request("POST", "/v1/clips/versions", clip); }
    lineage(id) { return this.request("GET", `/v1/versions/${id}/lineage`); }
    placed(id, placement) { return this.request("POST", `/v1/versions/${id}/placements`, placement); }

    /** Calls `onJob` with each snapshot; resolves with the finished job. */
    watch(jobId, onJob) {
      const url = `${this.base.replace(/^http/, "ws")}/v1/jobs/${encodeURIComponent(jobId)}/watch`;
      return new Promise((resolve, reject) => {
        const socket = new WebSocket(url);
        let last = null;
        socket.onopen = () => socket.send(JSON.stringify({ token: this.token }));
        socket.onmessage = (message) => {
          const data = JSON.parse(message.data);
          if (data.error) {
            reject(new GatewayError(0, data.error));
            return;
          }
          last = data.event.job;
          onJob(last);
          if (TERMINAL.includes(last.state)) resolve(last);
        };
        socket.onclose = (event) => {
          if (!last || !TERMINAL.includes(last.state)) {
            reject(new GatewayError(0, { code: "UNAVAILABLE", message: `the progress connection closed (${event.code}` +
              `${event.reason ? `: ${event.reason}` : ""}); the job goes on in the engine` }));
          }
        };
      });
    }
  }

  return { Gateway, GatewayError, TERMINAL };
});
