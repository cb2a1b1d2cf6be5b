// dialog.tsx — questions asked inside the page instead of the browser's
// prompt() and confirm(): a name to type, a yes/no, or any content (the
// library's file picker, library.tsx). One at a time; each resolves its
// promise once, with null (or false) when cancelled: Cancel, Escape, or a
// click beside the box. Big enough for a finger on a phone.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';

interface Open {
  title: string;
  body: (close: (v: unknown) => void) => ComponentChildren;
  cancelValue: unknown;
  resolve: (v: unknown) => void;
}

let current: Open | null = null;
const listeners = new Set<() => void>();
const changed = () => listeners.forEach((l) => l());

/** Show `body` in a dialog; resolves with what the body passes to close(),
 * or `cancelValue` when cancelled. A dialog already open is cancelled. */
export function openDialog<T>(title: string, cancelValue: T, body: (close: (v: T) => void) => ComponentChildren): Promise<T> {
  if (current) current.resolve(current.cancelValue);
  return new Promise<T>((resolve) => {
    const me: Open = {
      title,
      cancelValue,
      body: body as Open['body'],
      resolve: (v) => {
        if (current === me) current = null;
        resolve(v as T);
        changed();
      },
    };
    current = me;
    changed();
  });
}

/** A line of text (a rig's or scene's name); null when cancelled, the
 * trimmed text otherwise (never empty: OK waits for some text). */
export function askText(title: string, label: string, value = '', ok = 'OK', hint?: (text: string) => string): Promise<string | null> {
  return openDialog<string | null>(title, null, (close) => <TextForm label={label} value={value} ok={ok} hint={hint} close={close} />);
}

/** Yes or no; false when cancelled. */
export function askConfirm(text: string, ok = 'OK', danger = false): Promise<boolean> {
  return openDialog<boolean>(text, false, (close) => (
    <div class="dialog-buttons">
      <button data-testid="dialog-cancel" onClick={() => close(false)}>
        Cancel
      </button>
      <button data-testid="dialog-ok" class={danger ? 'danger primary' : 'primary'} onClick={() => close(true)} ref={(el) => el?.focus()}>
        {ok}
      </button>
    </div>
  ));
}

function TextForm(p: { label: string; value: string; ok: string; hint?: (t: string) => string; close: (v: string | null) => void }) {
  const [text, setText] = useState(p.value);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  const done = () => text.trim() && p.close(text.trim());
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        done();
      }}
    >
      <label class="dialog-field">
        <span>{p.label}</span>
        <input ref={input} data-testid="dialog-input" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
      </label>
      {p.hint && <p class="hint" data-testid="dialog-hint">{p.hint(text)}</p>}
      <div class="dialog-buttons">
        <button type="button" data-testid="dialog-cancel" onClick={() => p.close(null)}>
          Cancel
        </button>
        <button type="submit" class="primary" data-testid="dialog-ok" disabled={!text.trim()}>
          {p.ok}
        </button>
      </div>
    </form>
  );
}

/** The open dialog, if any (rendered once by the page). */
export function Dialogs() {
  const [, tick] = useState(0);
  useEffect(() => {
    const l = () => tick((n) => n + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && current) {
        e.stopPropagation();
        current.resolve(current.cancelValue);
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);
  const d = current;
  if (!d) return null;
  return (
    <div class="dialog-back" onClick={(e) => e.target === e.currentTarget && d.resolve(d.cancelValue)}>
      <div class="dialog" role="dialog" aria-modal="true" aria-label={d.title} data-testid="dialog">
        <h2>{d.title}</h2>
        {d.body(d.resolve)}
      </div>
    </div>
  );
}
