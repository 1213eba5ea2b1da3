// Port kinds as the editor draws them: a colour each, and a colour per node category. Which kinds
// connect is not decided here but read from the served schemas (connections.js).
export const KIND_COLORS = {
  text: "#e0b341",
  json: "#9aa5b1",
  embedding: "#b07cd8",
  image: "#4fa3e3",
  images: "#2f7fc1",
  frames: "#3cb98b",
  audio: "#e07a5f",
  subtitles: "#d8a1c4",
  video: "#e05d8c",
};

export const kindColor = (kind) => KIND_COLORS[kind] || "#888";

const CATEGORY_COLORS = ["#4fa3e3", "#3cb98b", "#e0b341", "#e05d8c", "#b07cd8", "#e07a5f", "#5fc4d0", "#9aa5b1"];

export function categoryColor(category) {
  let hash = 0;
  for (const char of category || "") hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return CATEGORY_COLORS[Math.abs(hash) % CATEGORY_COLORS.length];
}
