// Output previews on a node: image thumbnails (the first frame of frames and image lists), a
// player for MP4s and audio, the text of subtitles and text outputs.
import { memo, useEffect, useState } from "react";
import { artifactText, artifactUrl, previewUrl } from "./api.js";

const ORDER = ["video", "image", "frames", "images", "audio", "subtitles", "text", "json"];

/** The output port worth showing: a video before a picture before text. */
function primaryPort(outputs, outputKinds) {
  const ports = Object.keys(outputs || {}).filter((port) => outputs[port]);
  ports.sort((a, b) => ORDER.indexOf(outputKinds[a]) - ORDER.indexOf(outputKinds[b]));
  return ports[0];
}

export const Preview = memo(function Preview({ state, outputKinds }) {
  const expansions = Object.entries(state?.expansions || {})
    .filter(([, e]) => e.outputs && Object.keys(e.outputs).length)
    .sort(([a], [b]) => a.localeCompare(b));  // matrix order, not finishing order
  const [index, setIndex] = useState(0);
  if (!expansions.length) return null;
  const [expanded, { outputs }] = expansions[Math.min(index, expansions.length - 1)];
  const port = primaryPort(outputs, outputKinds);
  if (!port) return null;
  const sha = outputs[port];
  const kind = outputKinds[port];
  return (
    <div className="preview nodrag nowheel" data-kind={kind}>
      {expansions.length > 1 && (
        <div className="preview-switch">
          <button className="link" onClick={() => setIndex((index + expansions.length - 1) % expansions.length)}>‹</button>
          <span title={expanded}>{expanded.replace(/^[^[]*/, "") || expanded}</span>
          <button className="link" onClick={() => setIndex((index + 1) % expansions.length)}>›</button>
        </div>
      )}
      <Media kind={kind} sha={sha} />
    </div>
  );
});

function Media({ kind, sha }) {
  switch (kind) {
    case "image":
    case "images":
    case "frames":
      return <a href={artifactUrl(sha)} target="_blank" rel="noreferrer">
        <img className="preview-image" src={previewUrl(sha)} alt={`${kind} preview`} loading="lazy" />
      </a>;
    case "video":
      return <video className="preview-video" src={artifactUrl(sha)} poster={previewUrl(sha)}
        controls muted playsInline preload="auto" />;
    case "audio":
      return <audio className="preview-audio" src={artifactUrl(sha)} controls preload="metadata" />;
    case "subtitles":
    case "text":
    case "json":
      return <TextPreview sha={sha} kind={kind} />;
    default:
      return <code className="muted">{sha.slice(0, 12)}</code>;
  }
}

function TextPreview({ sha, kind }) {
  const [text, setText] = useState("");
  useEffect(() => {
    let live = true;
    const full = kind !== "text";  // JSON must arrive whole to be read
    artifactText(sha, full ? 200_000 : 4000).then((body) => {
      if (live) setText(kind === "subtitles" ? subtitlesText(body) : kind === "json" ? jsonText(body) : body);
    });
    return () => { live = false; };
  }, [sha, kind]);
  return <pre className="preview-text">{text}</pre>;
}

const clock = (seconds) => {
  const s = Math.max(0, Number(seconds) || 0);
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${(s % 60).toFixed(1).padStart(4, "0")}`;
};

function jsonText(body) {
  try {
    return JSON.stringify(JSON.parse(body), null, 1).slice(0, 2000);
  } catch {
    return body.slice(0, 2000);
  }
}

function subtitlesText(body) {
  try {
    const subtitles = JSON.parse(body);
    const cues = subtitles.cues || [];
    return [subtitles.language ? `[${subtitles.language}]` : null,
      ...cues.slice(0, 8).map((c) => `${clock(c.start)} ${c.text}`), cues.length > 8 ? "…" : null]
      .filter(Boolean).join("\n");
  } catch {
    return body;
  }
}
