// A node's params as a form generated from its JSON Schema, with a JSON fallback per field.
import { useEffect, useRef, useState } from "react";
import { upload } from "./api.js";
import { notify } from "./store.js";
import { defaultOf, describe, issuesAt, resolve, unwrapNullable, widgetOf } from "./schema.js";

export function ParamForm({ schema, params, issues, onChange }) {
  const paramsSchema = schema.params || {};
  const defs = { ...(schema.$defs || {}), ...(paramsSchema.$defs || {}) };
  const required = new Set(paramsSchema.required || []);
  const properties = Object.entries(paramsSchema.properties || {});
  if (!properties.length) return <p className="muted">No params.</p>;
  return (
    <div className="param-form">
      {properties.map(([name, property]) => (
        <Field key={name} name={name} path={[name]} schema={property} defs={defs} value={params[name]}
          required={required.has(name)} issues={issues} onChange={onChange} top />
      ))}
    </div>
  );
}

function Field({ name, path, schema, defs, value, required, issues, onChange, top = false }) {
  const { schema: inner, nullable } = unwrapNullable(schema, defs);
  const widget = widgetOf(inner, defs);
  const [asJson, setAsJson] = useState(false);
  const mine = issuesAt(issues, path);
  const expression = typeof value === "string" && value.includes("${") && widget !== "string" && widget !== "file";
  const useJson = asJson || widget === "json" || expression;
  const title = inner.title || name;
  const fallback = nullable && "default" in (schema || {}) ? schema.default : defaultOf(inner, defs);
  const set = (next) => onChange(path, next);
  const isNone = value === null || (value === undefined && nullable && fallback === null);
  return (
    <div className={`field${mine.length ? " field-invalid" : ""}`} data-field={path.join(".")}>
      <label className="field-label" title={inner.description || ""}>
        <span>{top ? name : title}{required ? " *" : ""}</span>
        <span className="field-tools">
          {nullable && (
            <label className="tiny"><input type="checkbox" checked={isNone}
              onChange={(e) => set(e.target.checked ? null : starterValue(widget, inner, defs))} /> none</label>
          )}
          {value !== undefined && top && <button className="link" title="Back to the default" onClick={() => set(undefined)}>reset</button>}
          {widget !== "json" && (
            <button className={`link${useJson ? " on" : ""}`} title="Edit as JSON (or a ${matrix} expression)"
              onClick={() => setAsJson(!asJson)}>{"{}"}</button>
          )}
        </span>
      </label>
      {isNone ? <div className="muted small">none</div>
        : useJson ? <JsonInput value={value} fallback={fallback} onCommit={set} />
        : <Widget widget={widget} name={name} path={path} schema={inner} defs={defs} value={value}
            fallback={fallback} issues={issues} onChange={onChange} set={set} />}
      {inner.description && top && <div className="field-help">{inner.description}</div>}
      {mine.map((issue, i) => <div key={i} className="field-issue" role="alert">{issue.message}</div>)}
    </div>
  );
}

function Widget({ widget, name, path, schema, defs, value, fallback, issues, onChange, set }) {
  switch (widget) {
    case "enum":
      return (
        <select value={value === undefined ? "" : String(value)} onChange={(e) => {
          const choice = schema.enum.find((option) => String(option) === e.target.value);
          set(e.target.value === "" ? undefined : choice);
        }}>
          <option value="">{fallback === undefined ? "(choose)" : `default: ${fallback}`}</option>
          {schema.enum.map((option) => <option key={String(option)} value={String(option)}>{String(option)}</option>)}
        </select>
      );
    case "boolean":
      return <input type="checkbox" checked={value === undefined ? Boolean(fallback) : Boolean(value)}
        onChange={(e) => set(e.target.checked)} />;
    case "integer":
    case "number":
      return <NumberInput schema={schema} value={value} fallback={fallback} integer={widget === "integer"} onCommit={set} />;
    case "string":
      return <TextInput schema={schema} value={value} fallback={fallback} onCommit={set} />;
    case "file":
      return <FileInput value={value} onCommit={set} />;
    case "files":
    case "list":
      return <ListInput schema={schema} defs={defs} value={value ?? fallback ?? []} files={widget === "files"} onCommit={set} />;
    case "tuple":
      return <TupleInput schema={schema} defs={defs} value={value ?? fallback ?? []} onCommit={set} />;
    case "object":
      return (
        <fieldset className="nested">
          {Object.entries(schema.properties).map(([key, property]) => (
            <Field key={key} name={key} path={[...path, key]} schema={property} defs={defs}
              value={(value || {})[key]} issues={issues} onChange={onChange}
              required={(schema.required || []).includes(key)} />
          ))}
        </fieldset>
      );
    case "objects":
      return <ObjectList name={name} path={path} schema={schema} defs={defs} value={value ?? fallback ?? []}
        issues={issues} onChange={onChange} set={set} />;
    default:
      return <JsonInput value={value} fallback={fallback} onCommit={set} />;
  }
}

/** A first value for a field that was none. */
function starterValue(widget, schema, defs) {
  const fallback = defaultOf(schema, defs);
  if (fallback !== undefined && fallback !== null) return fallback;
  switch (widget) {
    case "enum": return schema.enum[0];
    case "integer": case "number": return schema.minimum ?? 0;
    case "boolean": return false;
    case "string": case "file": return "";
    case "list": case "files": case "tuple": case "objects": return [];
    default: return {};
  }
}

/** An input whose text is kept while typing and committed when it parses. */
function useDraft(value, format) {
  const [draft, setDraft] = useState(format(value));
  const focused = useRef(false);
  useEffect(() => { if (!focused.current) setDraft(format(value)); }, [value]); // eslint-disable-line
  const bind = {
    onFocus: () => { focused.current = true; },
    onBlur: () => { focused.current = false; setDraft(format(value)); },
  };
  return [draft, setDraft, bind];
}

function NumberInput({ schema, value, fallback, integer, onCommit }) {
  const [draft, setDraft, bind] = useDraft(value, (v) => (v === undefined ? "" : String(v)));
  const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum : undefined);
  const max = schema.maximum ?? schema.exclusiveMaximum;
  return (
    <input type="number" value={draft} min={min} max={max} step={integer ? 1 : "any"}
      placeholder={fallback === undefined ? "" : String(fallback)} {...bind}
      onChange={(e) => {
        setDraft(e.target.value);
        if (e.target.value === "") return onCommit(undefined);
        const number = Number(e.target.value);
        if (Number.isFinite(number)) onCommit(number);
      }} />
  );
}

function TextInput({ schema, value, fallback, onCommit }) {
  const long = (schema.maxLength || 0) > 200 || (typeof value === "string" && (value.length > 60 || value.includes("\n")));
  const props = {
    value: value ?? "", placeholder: fallback ? String(fallback) : "",
    onChange: (e) => onCommit(e.target.value === "" && fallback !== undefined ? undefined : e.target.value),
  };
  return long ? <textarea rows={3} {...props} /> : <input type="text" {...props} />;
}

function FileInput({ value, onCommit }) {
  const picker = useRef(null);
  const [busy, setBusy] = useState(false);
  const send = async (file) => {
    if (!file) return;
    setBusy(true);
    try { onCommit(await upload(file)); } catch (error) { notify("error", `upload of ${file.name}: ${error.message}`); }
    setBusy(false);
  };
  return (
    <div className="file-input">
      <input type="text" value={value ?? ""} placeholder="path in the graphs folder"
        onChange={(e) => onCommit(e.target.value || undefined)} />
      <button onClick={() => picker.current.click()} disabled={busy}>{busy ? "…" : "Upload"}</button>
      <input ref={picker} type="file" hidden onChange={(e) => send(e.target.files[0])} />
    </div>
  );
}

function ListInput({ schema, defs, value, files, onCommit }) {
  const items = resolve(schema.items || {}, defs);
  const list = Array.isArray(value) ? value : [];
  const itemWidget = files ? "file" : widgetOf(items, defs);
  const setItem = (i, v) => onCommit(list.map((old, j) => (j === i ? v : old)));
  return (
    <div className="list-input">
      {list.map((item, i) => (
        <div className="list-row" key={i}>
          {itemWidget === "file" ? <FileInput value={item} onCommit={(v) => setItem(i, v ?? "")} />
            : itemWidget === "enum" ? (
              <select value={String(item)} onChange={(e) => setItem(i, items.enum.find((o) => String(o) === e.target.value))}>
                {items.enum.map((o) => <option key={String(o)}>{String(o)}</option>)}
              </select>)
            : itemWidget === "boolean" ? <input type="checkbox" checked={Boolean(item)} onChange={(e) => setItem(i, e.target.checked)} />
            : itemWidget === "integer" || itemWidget === "number"
              ? <NumberInput schema={items} value={item} integer={itemWidget === "integer"} onCommit={(v) => setItem(i, v ?? 0)} />
              : <input type="text" value={describe(item)} onChange={(e) => setItem(i, e.target.value)} />}
          <button className="link" title="Remove" onClick={() => onCommit(list.filter((_, j) => j !== i))}>✕</button>
        </div>
      ))}
      <button className="small" onClick={() => onCommit([...list, defaultOf(items, defs) ?? (itemWidget === "integer" || itemWidget === "number" ? 0 : "")])}>+ add</button>
    </div>
  );
}

function TupleInput({ schema, defs, value, onCommit }) {
  const list = Array.isArray(value) ? value : [];
  return (
    <div className="tuple-input">
      {schema.prefixItems.map((item, i) => {
        const s = resolve(item, defs);
        const set = (v) => { const copy = [...list]; copy[i] = v; onCommit(copy); };
        return s.type === "string" ? <input key={i} type="text" value={list[i] ?? ""} onChange={(e) => set(e.target.value)} />
          : s.type === "boolean" ? <input key={i} type="checkbox" checked={Boolean(list[i])} onChange={(e) => set(e.target.checked)} />
          : <NumberInput key={i} schema={s} value={list[i]} integer={s.type === "integer"} onCommit={(v) => set(v ?? 0)} />;
      })}
    </div>
  );
}

function ObjectList({ path, schema, defs, value, issues, onChange, set }) {
  const items = resolve(schema.items, defs);
  const list = Array.isArray(value) ? value : [];
  return (
    <div className="object-list">
      {list.map((item, i) => (
        <fieldset className="nested" key={i}>
          <legend>#{i + 1} <button className="link" onClick={() => set(list.filter((_, j) => j !== i))}>remove</button></legend>
          {Object.entries(items.properties).map(([key, property]) => (
            <Field key={key} name={key} path={[...path, i, key]} schema={property} defs={defs}
              value={(item || {})[key]} issues={issues} onChange={onChange} />
          ))}
        </fieldset>
      ))}
      <button className="small" onClick={() => set([...list, {}])}>+ add</button>
    </div>
  );
}

function JsonInput({ value, fallback, onCommit }) {
  const [error, setError] = useState(null);
  const [draft, setDraft, bind] = useDraft(value, (v) => (v === undefined ? "" : JSON.stringify(v, null, 1)));
  return (
    <>
      <textarea className="json" rows={Math.min(8, Math.max(2, draft.split("\n").length))} value={draft}
        placeholder={fallback === undefined ? "JSON" : JSON.stringify(fallback)} {...bind}
        onChange={(e) => {
          setDraft(e.target.value);
          if (e.target.value.trim() === "") { setError(null); return onCommit(undefined); }
          try { onCommit(JSON.parse(e.target.value)); setError(null); }
          catch { 
            // a bare word is text (a ${var} expression, a name)
            if (!/^[\s[{"]/.test(e.target.value)) { onCommit(e.target.value); setError(null); }
            else setError("not JSON yet");
          }
        }} />
      {error && <div className="field-help">{error}</div>}
    </>
  );
}
