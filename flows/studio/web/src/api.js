// The studio's HTTP API (issue 11), and nothing else: what the editor does, a script can do.
// The browser authenticates with the HttpOnly cookie the login URL sets; EventSource, <img> and
// <video> send it too, which an Authorization header could not do.
import { store } from "./store.js";

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function messageOf(status, body) {
  if (body && typeof body === "object") {
    const detail = body.detail ?? body.error ?? body.message;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => d.msg || d.message || JSON.stringify(d)).join("; ");
    if (detail && typeof detail === "object") return detail.message || JSON.stringify(detail);
  }
  return `HTTP ${status}`;
}

async function request(method, path, { body, headers = {}, raw = false } = {}) {
  const init = { method, headers: { ...headers }, credentials: "same-origin" };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(API + path, init);
  if (response.status === 401) store.set({ auth: false });
  if (raw) return response;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!response.ok) throw new ApiError(response.status, messageOf(response.status, data), data);
  return { data, headers: response.headers, status: response.status };
}

const listOf = (data, ...keys) => {
  if (Array.isArray(data)) return data;
  for (const key of keys) if (data && Array.isArray(data[key])) return data[key];
  return [];
};

/** Node types as {name: schema}; each schema as `reelgraph nodes show --json` prints it.
 * The API lists [{type, version, title, category, schema}]. */
export async function nodeTypes() {
  const { data } = await request("GET", "/node-types");
  const list = Array.isArray(data) ? data : listOf(data, "node_types", "types");
  return Object.fromEntries(list.map((entry) => {
    const schema = entry.schema || entry;
    return [entry.type || schema.type_name, { ...schema, category: schema.category || entry.category }];
  }));
}

/** Validation issues of a document: [{node, field, code, message}] (empty when valid). */
export async function validate(doc) {
  try {
    const { data } = await request("POST", "/validate", { body: doc });
    return listOf(data, "issues", "errors");
  } catch (error) {
    if (error.status === 422 && error.body) return listOf(error.body, "issues", "errors", "detail");
    throw error;
  }
}

// FastAPI embeds the body as {"document": ...} when a route has other body params; remember
// which form this server takes.
let planEmbedsDocument = false;

export async function plan(doc) {
  try {
    return (await request("POST", "/plan", { body: planEmbedsDocument ? { document: doc } : doc })).data;
  } catch (error) {
    if (error.status === 422 && Array.isArray(error.body?.detail) && !planEmbedsDocument) {
      planEmbedsDocument = true;
      return plan(doc);
    }
    throw error;
  }
}

const graphPath = (path) => "/graphs/" + path.split("/").map(encodeURIComponent).join("/");

export async function listGraphs() {
  const { data } = await request("GET", "/graphs");
  return listOf(data, "graphs", "items").map((g) => (typeof g === "string" ? { path: g } : g));
}

/** {doc, etag, text} of a saved document; a file that does not parse raises with its errors. */
export async function openGraph(path) {
  const { data, headers } = await request("GET", graphPath(path));
  if (!data.document) {
    const why = (data.parse_errors || []).map((e) => e.message).join("; ") || "it does not parse";
    throw new ApiError(422, why, data);
  }
  return { doc: data.document, etag: headers.get("ETag"), text: data.text };
}

/** The text of one saved revision. */
export async function revisionText(path, id) {
  const response = await request("GET", `${graphPath(path)}/revisions/${id}`, { raw: true });
  if (!response.ok) throw new ApiError(response.status, `revision ${id}: HTTP ${response.status}`);
  return response.text();
}

/** Save a file's full text (restoring a revision). */
export async function saveGraphText(path, text, etag) {
  const { headers } = await request("PUT", graphPath(path), { body: { text }, headers: etag ? { "If-Match": etag } : {} });
  return { etag: headers.get("ETag") };
}

/** Save; the server merges the document into the file's YAML, so its comments stay. */
export async function saveGraph(path, doc, etag) {
  const headers = etag ? { "If-Match": etag } : {};
  const { data, headers: answer } = await request("PUT", graphPath(path), { body: { document: doc }, headers });
  return { etag: answer.get("ETag") || data?.etag || null, data };
}

export async function graphRevisions(path) {
  const { data } = await request("GET", graphPath(path) + "/revisions");
  return listOf(data, "revisions", "items");
}

export async function submitRun(body) {
  const { data } = await request("POST", "/runs", { body });
  return data;
}

export const getRun = async (id) => (await request("GET", `/runs/${id}`)).data;
export const listRuns = async () => listOf((await request("GET", "/runs")).data, "runs", "items");
export const setPriority = (id, priority) => request("PATCH", `/runs/${id}`, { body: { priority } });
export const cancelRun = (id) => request("POST", `/runs/${id}/cancel`);
export const resumeRun = async (id) => (await request("POST", `/runs/${id}/resume`)).data;
export const getQueue = async () => (await request("GET", "/queue")).data;
export const pauseQueue = () => request("POST", "/queue/pause");
export const resumeQueue = () => request("POST", "/queue/resume");

/** Upload a file into the graphs folder (the body is the file); returns the path a param names. */
export async function upload(file) {
  const response = await fetch(`${API}/uploads?name=${encodeURIComponent(file.name)}`, {
    method: "POST", body: file, credentials: "same-origin",
    headers: { "Content-Type": file.type || "application/octet-stream" },
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, messageOf(response.status, data), data);
  return data.path;
}

export const artifactUrl = (sha) => `${API}/artifacts/${sha}/content`;
export const previewUrl = (sha, width = 256) => `${API}/artifacts/${sha}/preview?w=${width}`;
export async function artifactText(sha, limit = 4000) {
  const response = await request("GET", `/artifacts/${sha}/content`, { raw: true, headers: { Range: `bytes=0-${limit - 1}` } });
  return response.ok ? response.text() : "";
}

/** Follow a run's events (after event `after`, else from its first). EventSource reconnects by
 * itself and sends Last-Event-ID, so a dropped connection resumes where it left off. Returns a
 * close function. */
export function followRun(runId, onEvent, after = null) {
  const query = `run_id=${encodeURIComponent(runId)}${after ? `&after=${after}` : ""}`;
  const source = new EventSource(`${API}/events?${query}`, { withCredentials: true });
  const names = ["queue", "run_status", "node_started", "node_progress", "node_finished", "run_finished"];
  for (const name of names) {
    source.addEventListener(name, (message) => {
      let data = {};
      try { data = JSON.parse(message.data); } catch { /* a keep-alive or a bare string */ }
      onEvent(name, data, Number(message.lastEventId) || null);
      if (name === "run_finished") source.close();
    });
  }
  return () => source.close();
}
