// app.tsx — the page: a header (rig, unsaved mark, save, undo/redo, A/B,
// connection), views (edit, library, perform, tuner, capture), messages, dialogs,
// and a file drop target for importing captures, IRs and circuits.

import { useEffect, useState } from 'preact/hooks';
import { app, abRecall, abStore, edit, redo, save, undo, useApp, type View } from './store';
import { rigInfoEdit, type RigInfo } from './undo';
import type { Rig } from './graph';
import { Bin, Chain, Palette } from './chain';
import { Editor, Meters, Perform, Scenes, Tuner } from './panels';
import { Library, importFiles, saveAs } from './library';
import { Dialogs } from './dialog';
import { PairButton } from './pairing';
import { Capture } from './capture';

const VIEWS: [View, string, string][] = [
  ['edit', 'Edit', '1'],
  ['browse', 'Library', '2'],
  ['perform', 'Perform', '3'],
  ['tuner', 'Tuner', '4'],
  ['capture', 'Capture', '5'],
];

/** The rig's name, author and tags, edited in place (set_rig_info, one
 * undo step); Enter applies, Escape leaves them as they were. */
function RigInfoForm({ rig, done }: { rig: Rig; done: () => void }) {
  const [name, setName] = useState(rig.name);
  const [author, setAuthor] = useState(rig.author ?? '');
  const [tags, setTags] = useState((rig.tags ?? []).join(', '));
  const apply = () => {
    const info: RigInfo = {};
    const t = tags.split(',').map((x) => x.trim()).filter(Boolean);
    if (name.trim() && name.trim() !== rig.name) info.name = name.trim();
    if (author.trim() !== (rig.author ?? '')) info.author = author.trim();
    if (t.join(',') !== (rig.tags ?? []).join(',')) info.tags = t;
    if (Object.keys(info).length) edit(rigInfoEdit(rig, info));
    done();
  };
  const keys = (e: KeyboardEvent) => {
    if (e.key === 'Enter') apply();
    else if (e.key === 'Escape') done();
  };
  return (
    <span class="rig-info" data-testid="rig-info">
      <input aria-label="rig name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} onKeyDown={keys} ref={(el) => { if (el && !el.dataset.f) { el.dataset.f = '1'; el.focus(); } }} />
      <input aria-label="rig author" placeholder="author" value={author} onInput={(e) => setAuthor((e.target as HTMLInputElement).value)} onKeyDown={keys} />
      <input aria-label="rig tags" placeholder="tags, comma-separated" value={tags} onInput={(e) => setTags((e.target as HTMLInputElement).value)} onKeyDown={keys} />
    </span>
  );
}

function Header() {
  const { state, status, rig, view, canUndo, canRedo, undoLabel, redoLabel, ab } = useApp();
  const [editing, setEditing] = useState(false);
  return (
    <header class="top">
      <div class="brand">PyTone FX</div>
      <div class="rig-title" data-testid="rig-title">
        {editing && rig ? (
          <RigInfoForm rig={rig} done={() => setEditing(false)} />
        ) : (
          <span data-testid="rig-name" title="double-click to edit the rig's name, author and tags" onDblClick={() => rig && setEditing(true)}>
            {rig?.name ?? '—'}
          </span>
        )}
        {state?.dirty && (
          <span class="dirty" data-testid="dirty" title="unsaved changes">
            ●
          </span>
        )}
        <small class="dim rig-file">{state?.path?.split('/').pop()}</small>
      </div>
      <nav class="views" role="tablist">
        {VIEWS.map(([v, label]) => (
          <button role="tab" aria-selected={view === v} class={view === v ? 'active' : ''} data-testid={`view-${v}`} onClick={() => app.set({ view: v })}>
            {label}
          </button>
        ))}
      </nav>
      <div class="actions">
        <button data-testid="undo" disabled={!canUndo} title={canUndo ? `Undo ${undoLabel} (Ctrl+Z)` : 'Undo'} onClick={undo}>
          ↶
        </button>
        <button data-testid="redo" disabled={!canRedo} title={canRedo ? `Redo ${redoLabel} (Ctrl+Shift+Z)` : 'Redo'} onClick={redo}>
          ↷
        </button>
        <button data-testid="save" disabled={!rig} title="Save (Ctrl+S)" onClick={() => save()}>
          Save
        </button>
        <button data-testid="save-as" disabled={!rig} onClick={saveAs}>
          Save as…
        </button>
        <PairButton />
        <span class="ab" title="A/B compare: store two versions, switch between them">
          {(['a', 'b'] as const).map((s) => (
            <button
              data-testid={`ab-${s}`}
              class={ab.showing === s ? 'active' : ''}
              onClick={() => (ab[s] ? abRecall(s) : abStore(s))}
              onContextMenu={(e) => {
                e.preventDefault();
                abStore(s);
              }}
              title={ab[s] ? `recall ${s.toUpperCase()} (right-click: store again)` : `store the current sound as ${s.toUpperCase()}`}
            >
              {s.toUpperCase()}
              {ab[s] ? '' : '+'}
            </button>
          ))}
        </span>
      </div>
      <div class={`conn ${status}`} data-testid="conn" data-status={status} title={`engine: ${status}`}>
        {status === 'open' ? 'connected' : status === 'connecting' ? 'connecting…' : 'engine offline — retrying'}
      </div>
    </header>
  );
}

function Toast() {
  const { message } = useApp();
  const [, tick] = useState(0);
  useEffect(() => {
    if (!message) return;
    const t = setTimeout(() => tick((n) => n + 1), 5000);
    return () => clearTimeout(t);
  }, [message]);
  if (!message || Date.now() - message.time > 5000) return null;
  return (
    <div class={`toast ${message.error ? 'error' : ''}`} role="status" data-testid="toast">
      {message.text}
    </div>
  );
}

export function App() {
  const { rig, view, status } = useApp();
  const [dropping, setDropping] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const tag = (e.target as HTMLElement)?.tagName;
      if (mod && e.key.toLowerCase() === 'z' && tag !== 'INPUT') {
        e.preventDefault();
        e.shiftKey ? redo() : undo();
      } else if (mod && e.key.toLowerCase() === 'y') {
        e.preventDefault();
        redo();
      } else if (mod && e.key.toLowerCase() === 's') {
        e.preventDefault();
        save();
      } else if (e.altKey && ['1', '2', '3', '4', '5'].includes(e.key)) {
        app.set({ view: VIEWS[Number(e.key) - 1][0] });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div
      class={`app view-${view} ${dropping ? 'file-over' : ''} ${status !== 'open' ? 'is-offline' : ''}`}
      onDragOver={(e) => {
        if (e.dataTransfer?.types.includes('Files')) {
          e.preventDefault();
          setDropping(true);
        }
      }}
      onDragLeave={(e) => e.target === e.currentTarget && setDropping(false)}
      onDrop={(e) => {
        if (e.dataTransfer?.files.length) {
          e.preventDefault();
          setDropping(false);
          importFiles(e.dataTransfer.files);
        }
      }}
    >
      <Header />
      {status !== 'open' && !rig && <div class="offline">Waiting for the engine at {location.host}…</div>}
      {rig && view === 'edit' && (
        <main class="edit">
          <aside class="left">
            <Palette />
          </aside>
          <div class="center">
            <Chain rig={rig} />
            <Bin />
            <Editor rig={rig} />
          </div>
          <aside class="right">
            <Meters />
            <Scenes rig={rig} />
          </aside>
        </main>
      )}
      {view === 'browse' && (
        <main class="browse">
          <Library />
        </main>
      )}
      {rig && view === 'perform' && <Perform rig={rig} />}
      {rig && view === 'tuner' && (
        <main class="tuner-view">
          <Tuner rig={rig} />
        </main>
      )}
      {view === 'capture' && (
        <main class="capture-view">
          <Capture />
        </main>
      )}
      <Toast />
      <Dialogs />
    </div>
  );
}
