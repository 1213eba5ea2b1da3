// Keyboard: undo/redo, copy/paste nodes, save, run. Delete is React Flow's (Delete, Backspace).
import { useEffect } from "react";
import { useReactFlow } from "@xyflow/react";
import { copyNodes, pasteNodes, removeNodes } from "./document.js";
import { runDocument, saveDocument } from "./session.js";
import { editDocument, notify, redo, store, undo } from "./store.js";

const CLIPBOARD_KEY = "reelgraph.clipboard";

const typing = (target) => target instanceof HTMLElement
  && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));

export function Shortcuts() {
  const { getNodes } = useReactFlow();
  useEffect(() => {
    const onKey = (event) => {
      const mod = event.ctrlKey || event.metaKey;
      if (!mod) return;
      const key = event.key.toLowerCase();
      if (key === "s") { event.preventDefault(); saveDocument(); return; }
      if (key === "enter") { event.preventDefault(); runDocument(); return; }
      if (typing(event.target)) return; // the field's own undo, copy and paste
      if (key === "z" && !event.shiftKey) { event.preventDefault(); undo(); }
      else if ((key === "z" && event.shiftKey) || key === "y") { event.preventDefault(); redo(); }
      else if (key === "c" || key === "x") {
        const ids = getNodes().filter((n) => n.selected).map((n) => n.id);
        if (!ids.length) return;
        event.preventDefault();
        localStorage.setItem(CLIPBOARD_KEY, JSON.stringify(copyNodes(store.get().doc, ids)));
        if (key === "x") editDocument((d) => removeNodes(d, ids));
        notify("info", `copied ${ids.length} node${ids.length > 1 ? "s" : ""}`);
      } else if (key === "v") {
        let snippet = null;
        try { snippet = JSON.parse(localStorage.getItem(CLIPBOARD_KEY) || "null"); } catch { /* not ours */ }
        if (!snippet?.reelgraphClipboard) return;
        event.preventDefault();
        let pasted = [];
        editDocument((d) => { const result = pasteNodes(d, snippet); pasted = result.ids; return result.doc; });
        store.set({ selectOnly: pasted, selected: pasted[pasted.length - 1] || null });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [getNodes]);
  return null;
}
