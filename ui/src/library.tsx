// library.tsx — one library, browsable: rigs, captures, IRs and circuits,
// the user's and the factory's (`list_files`), listed by kind with search;
// a file picked from a list (with its pictures from `asset_info`) wherever
// a block needs one; import by a file button or by dropping files on the
// page; "Save as" asks for the rig's name and derives its file name.

import { useEffect, useState } from 'preact/hooks';
import { app, edit, listRigs, loadRig, optional, save, say, send, useApp, type RigEntry } from './store';
import { CommandError } from './protocol';
import { askConfirm, askText, openDialog } from './dialog';
import { KIND_WORDS, fileLabel, fileNameFor, type FileKind } from './names';
import { rigInfoEdit } from './undo';
import { metaEntry } from './taper';

export interface LibFile {
  path: string;
  kind: FileKind;
  bytes: number;
  factory: boolean;
}

// ---------------------------------------------------------------- the file list

let cache: LibFile[] | null = null;
const waiting = new Set<() => void>();

/** The library's files (all kinds), asked again when `fresh`. An engine
 * without list_files: its list_assets (the user's files only). */
export async function libraryFiles(fresh = false): Promise<LibFile[]> {
  if (cache && !fresh) return cache;
  try {
    cache = (await send('list_files', {})).files as LibFile[];
  } catch (err) {
    if (!(err instanceof CommandError && err.unknownCommand)) throw err;
    const old = (await send('list_assets', {})).assets as { path: string; kind: FileKind; bytes: number }[];
    cache = old.map((f) => ({ ...f, factory: false }));
  }
  waiting.forEach((l) => l());
  return cache;
}

function useFiles(): LibFile[] | null {
  const [files, setFiles] = useState<LibFile[] | null>(cache);
  useEffect(() => {
    const l = () => setFiles(cache);
    waiting.add(l);
    libraryFiles().then(setFiles, (e) => say(String(e.message ?? e), true));
    return () => void waiting.delete(l);
  }, []);
  return files;
}

const matches = (f: LibFile, needle: string) => !needle || f.path.toLowerCase().includes(needle) || fileLabel(f.path).toLowerCase().includes(needle);
const sizeText = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(b / 1024))} KB`);

/** Files of one kind as a list of big rows: the user's first, then the
 * factory's; `chosen` is marked. */
function FileList({ kind, needle, chosen, onChoose }: { kind: FileKind; needle: string; chosen: string; onChoose: (path: string) => void }) {
  const files = useFiles();
  if (!files) return <p class="hint">Reading the library…</p>;
  const shown = files.filter((f) => f.kind === kind && matches(f, needle));
  if (!shown.length)
    return <p class="hint">{needle ? `No ${KIND_WORDS[kind].one} matches “${needle}”.` : `No ${KIND_WORDS[kind].one} files yet: import one with the button above or drop it on the page.`}</p>;
  return (
    <ul class="file-list" data-testid={`files-${kind}`}>
      {shown.map((f) => (
        <li>
          <button class={`file-row ${f.path === chosen ? 'active' : ''}`} data-testid={`file-${f.path}`} aria-pressed={f.path === chosen} title={f.path} onClick={() => onChoose(f.path)}>
            <span class="file-name">{fileLabel(f.path)}</span>
            <span class="file-meta">
              {f.factory ? <span class="badge">factory</span> : <span class="badge user">yours</span>} {sizeText(f.bytes)}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

const ACCEPT: { [k in FileKind]: string } = { rig: '.yaml,.yml', nam: '.nam', ir: '.wav,.flac,.aif,.aiff', circuit: '.yaml,.yml' };

/** A button that opens the system's file chooser and imports what is chosen. */
function ImportButton({ kind, then }: { kind: FileKind; then?: (paths: string[]) => void }) {
  return (
    <label class="button import" data-testid={`import-${kind}`}>
      Import…
      <input
        type="file"
        multiple
        accept={ACCEPT[kind]}
        onChange={async (e) => {
          const input = e.target as HTMLInputElement;
          if (input.files?.length) {
            const paths = await importFiles(input.files);
            then?.(paths);
          }
          input.value = '';
        }}
      />
    </label>
  );
}

/** Files dropped or chosen go to the engine's library: `POST /api/import`
 * (name and kind in the query, the file as the body); the engine answers
 * {"ok": true, "path": "irs/x.wav"}. Returns the paths imported. */
export async function importFiles(files: FileList): Promise<string[]> {
  const done: string[] = [];
  for (const f of Array.from(files)) {
    const kind = importKind(f.name);
    if (!kind) {
      say(`${f.name}: not a capture (.nam), an IR (.wav, .flac, .aif), a circuit or a rig (.yaml)`, true);
      continue;
    }
    try {
      const r = await fetch(`/api/import?kind=${kind}&name=${encodeURIComponent(f.name)}`, { method: 'POST', body: f });
      const j = await r.json().catch(() => null);
      if (r.status === 404 || !j) say(`This engine cannot import files yet; copy ${f.name} into the library folder instead`, true);
      else if (!j.ok) say(`${f.name}: ${j.error}`, true);
      else {
        say(`Imported ${f.name} as ${j.path}`);
        done.push(j.path);
      }
    } catch (err) {
      say(`${f.name}: ${err instanceof Error ? err.message : err}`, true);
    }
  }
  if (done.length) {
    await libraryFiles(true).catch(() => {});
    if (done.some((p) => /\.ya?ml$/i.test(p))) listRigs();
  }
  return done;
}

/** The library kind of a file by its name, as the import asks for it; a
 * .yaml may be a rig or a circuit, which the engine tells apart ("auto"). */
export function importKind(name: string): 'nam' | 'ir' | 'auto' | null {
  if (/\.nam$/i.test(name)) return 'nam';
  if (/\.(wav|flac|aiff?)$/i.test(name)) return 'ir';
  if (/\.(ya?ml)$/i.test(name)) return 'auto';
  return null;
}

// ---------------------------------------------------------------- pictures

interface AssetInfo {
  kind?: string;
  rate?: number;
  channels?: number;
  frames?: number;
  waveform?: number[]; // min/max pairs, -1..1
  spectrum?: { freq_hz: number[]; gain_db: number[] };
  meta?: Record<string, string | number>;
}

/** A file's waveform, spectrum and metadata (`asset_info`). */
export function AssetPicture({ path }: { path: string }) {
  const [info, setInfo] = useState<AssetInfo | null | 'none'>(null);
  useEffect(() => {
    send('asset_info', { path })
      .then((r) => setInfo(r as AssetInfo))
      .catch(() => setInfo('none'));
  }, [path]);
  if (info === null) return null;
  if (info === 'none') return <p class="hint">{fileLabel(path)}: no picture of this file from this engine.</p>;
  const W = 300, H = 80;
  const wf = info.waveform ?? [];
  const cols = wf.length / 2;
  const wave = Array.from({ length: cols }, (_, i) => {
    const x = (i / Math.max(1, cols - 1)) * W;
    return `M${x.toFixed(1)},${((1 - wf[2 * i + 1]) * H / 2).toFixed(1)}V${((1 - wf[2 * i]) * H / 2).toFixed(1)}`;
  }).join('');
  const sp = info.spectrum;
  const x = (f: number) => (Math.log(f / 20) / Math.log(1000)) * W;
  const y = (db: number) => ((12 - Math.max(-48, Math.min(12, db))) / 60) * H;
  const spec = sp ? sp.freq_hz.map((f, i) => `${i ? 'L' : 'M'}${x(f).toFixed(1)},${y(sp.gain_db[i]).toFixed(1)}`).join(' ') : '';
  const kindWord = info.kind && info.kind in KIND_WORDS ? KIND_WORDS[info.kind as FileKind].one : info.kind;
  return (
    <figure class="asset-pic" data-testid="asset-picture">
      {wf.length > 0 && (
        <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label="waveform">
          <path d={wave} class="wave" />
        </svg>
      )}
      {sp && (
        <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label="spectrum">
          <path d={spec} class="curve" />
        </svg>
      )}
      <figcaption>
        {wf.length > 0 && 'waveform · '}
        {sp && 'spectrum 20 Hz – 20 kHz, +12 … −48 dB · '}
        {[kindWord, info.rate && `${info.rate} Hz`, info.channels && `${info.channels} ch`, info.frames && info.rate && `${((1000 * info.frames) / info.rate).toFixed(0)} ms`]
          .filter(Boolean)
          .join(' · ')}
        {Object.entries(info.meta ?? {}).map(([k, v]) => (
          <div>{metaEntry(k, v)}</div>
        ))}
      </figcaption>
    </figure>
  );
}

// ---------------------------------------------------------------- the picker

function Picker({ kind, current, close }: { kind: FileKind; current: string; close: (v: string | null) => void }) {
  const [q, setQ] = useState('');
  const [chosen, setChosen] = useState(current);
  return (
    <div class="picker">
      <div class="browser-bar">
        <input type="search" placeholder="search by name" aria-label="search files" data-testid="picker-search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        <ImportButton kind={kind} then={(p) => p[0] && setChosen(p[0])} />
      </div>
      <FileList kind={kind} needle={q.trim().toLowerCase()} chosen={chosen} onChoose={setChosen} />
      {chosen && <AssetPicture path={chosen} />}
      <div class="dialog-buttons">
        <button data-testid="dialog-cancel" onClick={() => close(null)}>
          Cancel
        </button>
        <button class="primary" data-testid="dialog-ok" disabled={!chosen} onClick={() => close(chosen)}>
          Use {chosen ? fileLabel(chosen) : 'this file'}
        </button>
      </div>
    </div>
  );
}

/** Pick a file of `kind` from the library; null when cancelled. */
export function pickFile(kind: FileKind, title: string, current = ''): Promise<string | null> {
  libraryFiles(true).catch(() => {});
  return openDialog<string | null>(title, null, (close) => <Picker kind={kind} current={current} close={close} />);
}

// ---------------------------------------------------------------- save as

/** Ask for the new rig's name, derive a file name that is free, name the
 * rig so (one undo step) and save it there. Cancelled: nothing changes. */
export async function saveAs() {
  const rig = app.value.rig;
  if (!rig) return;
  await listRigs();
  const taken = app.value.rigs.map((r) => r.file);
  const name = await askText('Save as a new rig', 'Name', `${rig.name} 2`, 'Save', (t) => `saved as ${fileNameFor(t, taken)} in the library`);
  if (!name) return;
  const file = fileNameFor(name, taken);
  if (name !== rig.name && !(await edit(rigInfoEdit(rig, { name })))) return;
  await save(file);
}

// ---------------------------------------------------------------- the library view

const TABS: FileKind[] = ['rig', 'nam', 'ir', 'circuit'];

export function Library() {
  const [tab, setTab] = useState<FileKind>('rig');
  const [q, setQ] = useState('');
  const [chosen, setChosen] = useState('');
  return (
    <section class="browser" aria-label="library">
      <div class="lib-tabs" role="tablist">
        {TABS.map((k) => (
          <button role="tab" aria-selected={tab === k} data-testid={`lib-tab-${k}`} onClick={() => setTab(k)}>
            {KIND_WORDS[k].many}
          </button>
        ))}
      </div>
      <div class="browser-bar">
        <input
          type="search"
          placeholder={tab === 'rig' ? 'search name, tag, author' : 'search by name'}
          aria-label={`search ${KIND_WORDS[tab].many.toLowerCase()}`}
          data-testid="search"
          value={q}
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        />
        <ImportButton kind={tab} />
        {tab !== 'rig' && (
          <button onClick={() => libraryFiles(true)} data-testid="lib-refresh">
            Refresh
          </button>
        )}
      </div>
      {tab === 'rig' ? (
        <Rigs q={q} setQ={setQ} />
      ) : (
        <div class="lib-files">
          <FileList kind={tab} needle={q.trim().toLowerCase()} chosen={chosen} onChoose={setChosen} />
          {chosen && <AssetPicture path={chosen} />}
        </div>
      )}
    </section>
  );
}

function Rigs({ q, setQ }: { q: string; setQ: (q: string) => void }) {
  const { rigs, state } = useApp();
  const [trash, setTrash] = useState<RigEntry[] | null>(null);
  useEffect(() => {
    listRigs();
  }, []);
  const needle = q.trim().toLowerCase();
  const shown = rigs.filter((r) => !needle || [r.file, r.name ?? '', r.author ?? '', ...(r.tags ?? [])].some((s) => s.toLowerCase().includes(needle)));
  const current = state?.path?.split('/').pop();
  const others = (r: RigEntry) => rigs.filter((x) => x !== r).map((x) => x.file);
  return (
    <div>
      <table class="rig-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>File</th>
            <th>Author</th>
            <th>Tags</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr class={r.file === current ? 'current' : ''} data-testid={`rig-${r.file}`}>
              <td class="rig-name">
                <button class="link" data-testid={`load-${r.file}`} onClick={() => loadRig(r.file)} title="load">
                  {r.kind === 'setlist' ? '☰ ' : ''}
                  {r.name ?? fileLabel(r.file)}
                  {r.valid === false && <span class="warn"> (has errors)</span>}
                </button>
                {r.factory && <span class="badge">factory</span>}
              </td>
              <td class="dim rig-file">{r.file}</td>
              <td class="rig-author">{r.kind === 'setlist' ? <span class="dim">setlist</span> : (r.author ?? '')}</td>
              <td class="rig-tags">
                {(r.tags ?? []).map((t) => (
                  <button class="tag" onClick={() => setQ(t)}>
                    {t}
                  </button>
                ))}
              </td>
              <td>
                <div class="row-actions">
                  {!r.factory && <button
                    data-testid={`rename-${r.file}`}
                    title="rename the file"
                    onClick={async () => {
                      const to = await askText(`Rename ${r.file}`, 'New file name', fileLabel(r.file), 'Rename', (t) => `becomes ${fileNameFor(t, others(r))}`);
                      if (to && (await optional('rename_rig', { from: r.file, to: fileNameFor(to, others(r)) }, 'Renaming'))) listRigs();
                    }}
                  >
                    Rename
                  </button>}
                  <button
                    data-testid={`copy-${r.file}`}
                    title="copy the file"
                    onClick={async () => {
                      const to = await askText(`Duplicate ${r.file}`, 'Name of the copy', `${fileLabel(r.file)} copy`, 'Duplicate', (t) => `saved as ${fileNameFor(t, rigs.map((x) => x.file))}`);
                      if (to && (await optional('copy_rig', { from: r.file, to: fileNameFor(to, rigs.map((x) => x.file)) }, 'Duplicating'))) listRigs();
                    }}
                  >
                    Duplicate
                  </button>
                  {!r.factory && <button
                    class="danger"
                    data-testid={`delete-${r.file}`}
                    title="move to the trash (it can be restored)"
                    onClick={async () => {
                      if ((await askConfirm(`Move ${r.name ?? r.file} to the trash? It can be restored from there.`, 'Move to trash', true)) && (await optional('delete_rig', { path: r.file }, 'Deleting'))) listRigs();
                    }}
                  >
                    Delete
                  </button>}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="browser-bar">
        <button onClick={() => listRigs()}>Refresh</button>
        <button
          data-testid="show-trash"
          onClick={async () => {
            const r = await optional('list_trash', {}, 'The trash');
            if (r) setTrash(r.rigs as RigEntry[]);
          }}
        >
          Trash
        </button>
      </div>
      {trash && (
        <div class="trash">
          <h3>Trash</h3>
          {trash.length === 0 && <p class="hint">empty</p>}
          {trash.map((r) => (
            <div class="trash-row">
              {r.file}{' '}
              <button
                onClick={async () => {
                  if (await optional('restore_rig', { path: r.file }, 'Restoring')) {
                    setTrash(trash.filter((x) => x !== r));
                    listRigs();
                  }
                }}
              >
                Restore
              </button>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

/** A block's files: the current one with its pictures, another picked from
 * the list of that kind. */
export function Assets({ node, kinds }: { node: { id: string; assets?: { [name: string]: string } }; kinds: { name: string; kind: string }[] }) {
  const files = useFiles();
  return (
    <div class="assets">
      <h3>Files</h3>
      {kinds.map((a) => {
        const cur = node.assets?.[a.name] ?? '';
        const choices = (files ?? []).filter((f) => f.kind === a.kind);
        const set = (path: string) => optional('set_asset', { node: node.id, asset: a.name, path }, 'Choosing a file');
        const word = a.kind in KIND_WORDS ? KIND_WORDS[a.kind as FileKind].one : a.kind;
        return (
          <div class="asset">
            <label>
              <span class="dim">{word}</span>{' '}
              <select aria-label={`${node.id} ${a.name}`} value={cur} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
                {!choices.some((f) => f.path === cur) && <option value={cur}>{cur ? fileLabel(cur) : '(none)'}</option>}
                {[false, true].map((factory) => {
                  const group = choices.filter((f) => f.factory === factory);
                  return group.length ? (
                    <optgroup label={factory ? 'Factory' : 'Yours'}>
                      {group.map((f) => (
                        <option value={f.path}>{fileLabel(f.path)}</option>
                      ))}
                    </optgroup>
                  ) : null;
                })}
              </select>
            </label>
            <button
              data-testid={`browse-${node.id}-${a.name}`}
              onClick={async () => {
                const p = await pickFile(a.kind as FileKind, `Choose the ${word} for ${node.id}`, cur);
                if (p && p !== cur) set(p);
              }}
            >
              Browse…
            </button>
            {cur && <AssetPicture path={cur} />}
          </div>
        );
      })}
    </div>
  );
}
