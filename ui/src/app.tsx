// app.tsx — the page: a header (rig, unsaved mark, save, undo/redo, A/B,
// connection), views (edit, browse, perform, tuner), messages, and a file
// drop target for importing captures, IRs and circuits.

import { useEffect, useState } from 'preact/hooks';
import { app, abRecall, abStore, optional, redo, save, undo, useApp, type View, say } from './store';
import { Bin, Chain, Palette } from './chain';
import { Browser, Editor, Meters, Perform, Scenes, Tuner, saveAs } from './panels';

const VIEWS: [View, string, string][] = [
  ['edit', 'Edit', '1'],
  ['browse', 'Rigs', '2'],
  ['perform', 'Perform', '3'],
  ['tuner', 'Tuner', '4'],
];

function Header() {
  const { state, status, rig, view, canUndo, canRedo, undoLabel, redoLabel, ab } = useApp();
  return (
    <header class="top">
      <div class="brand">PyTone FX</div>
      <div class="rig-title" data-testid="rig-title">
        <span data-testid="rig-name">{rig?.name ?? '—'}</span>
        {state?.dirty && (
          <span class="dirty" data-testid="dirty" title="unsaved changes">
            ●
          </span>
        )}
        <small class="dim">{state?.path?.split('/').pop()}</small>
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

/** Files dropped on the page: imported into the library by the engine (`import_asset`). */
async function importFiles(files: FileList) {
  for (const f of Array.from(files)) {
    const kind = /\.nam$/i.test(f.name) ? 'model' : /\.(wav|flac|aiff?)$/i.test(f.name) ? 'ir' : /\.(cir|sp|spice|net)$/i.test(f.name) ? 'circuit' : /\.ya?ml$/i.test(f.name) ? 'rig' : null;
    if (!kind) {
      say(`${f.name}: not a capture (.nam), IR (.wav) or circuit`, true);
      continue;
    }
    if (f.size > 32 * 1024) {
      // the protocol caps a message at 64 KiB; bigger files need an upload endpoint
      say(`${f.name}: ${Math.round(f.size / 1024)} KiB; importing files over 32 KiB needs an upload endpoint on the engine (POST /api/import)`, true);
      continue;
    }
    const buf = new Uint8Array(await f.arrayBuffer());
    let bin = '';
    for (const b of buf) bin += String.fromCharCode(b);
    const r = await optional('import_asset', { name: f.name, kind, data_base64: btoa(bin) }, 'Importing files');
    if (r) say(`Imported ${f.name}`);
  }
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
      } else if (e.altKey && ['1', '2', '3', '4'].includes(e.key)) {
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
          <Browser />
          <aside class="right">
            <Meters />
          </aside>
        </main>
      )}
      {rig && view === 'perform' && <Perform rig={rig} />}
      {rig && view === 'tuner' && (
        <main class="tuner-view">
          <Tuner rig={rig} />
        </main>
      )}
      <Toast />
    </div>
  );
}
