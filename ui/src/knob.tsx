// knob.tsx — a control generated from a parameter's table entry: a knob
// (linear/log), a switch (toggle) or a choice list (enum). Drag up/down,
// Shift or Ctrl for fine, double-click for the default, arrow keys (Shift
// fine, PageUp/PageDown coarse, Home/End), click the value to type one.

import { paramLabel } from './names';
import { useRef, useState } from 'preact/hooks';
import { type ParamDef, format, fromNorm, parse, roundForRange, step, toNorm, wireValue } from './taper';
import type { ParamValue } from './graph';

interface Props {
  def: ParamDef;
  value: number;
  label?: string;
  onChange: (v: ParamValue) => void;
  testid?: string;
}

const ARC = 270; // degrees of travel

function arcPath(n: number, r: number): string {
  const a0 = ((135) * Math.PI) / 180;
  const a1 = ((135 + ARC * Math.max(0.0001, n)) * Math.PI) / 180;
  const x0 = 24 + r * Math.cos(a0), y0 = 24 + r * Math.sin(a0);
  const x1 = 24 + r * Math.cos(a1), y1 = 24 + r * Math.sin(a1);
  const large = ARC * n > 180 ? 1 : 0;
  return `M ${x0.toFixed(2)} ${y0.toFixed(2)} A ${r} ${r} 0 ${large} 1 ${x1.toFixed(2)} ${y1.toFixed(2)}`;
}

export function Control(p: Props) {
  if (p.def.taper === 'toggle') return <Switch {...p} />;
  if (p.def.taper === 'enum') return <Choice {...p} />;
  return <Knob {...p} />;
}

function Switch({ def, value, label, onChange, testid }: Props) {
  const on = Math.round(value) !== 0;
  return (
    <div class="ctl" title={def.doc}>
      <button
        class={`switch ${on ? 'on' : ''}`}
        role="switch"
        aria-checked={on}
        aria-label={label ?? paramLabel(def)}
        data-testid={testid}
        onClick={() => onChange(wireValue(def, on ? 0 : 1))}
      >
        <span class="lamp" />
        {on ? 'on' : 'off'}
      </button>
      <div class="ctl-label">{label ?? paramLabel(def)}</div>
    </div>
  );
}

function Choice({ def, value, label, onChange, testid }: Props) {
  return (
    <div class="ctl" title={def.doc}>
      <select
        class="choice"
        aria-label={label ?? paramLabel(def)}
        data-testid={testid}
        value={String(Math.round(value))}
        onChange={(e) => onChange(wireValue(def, Number((e.target as HTMLSelectElement).value)))}
      >
        {(def.choices ?? []).map((c, i) => (
          <option value={String(i)}>{c}</option>
        ))}
      </select>
      <div class="ctl-label">{label ?? paramLabel(def)}</div>
    </div>
  );
}

export function Knob({ def, value, label, onChange, testid }: Props) {
  const drag0 = useRef<{ y: number; n: number } | null>(null);
  const [typing, setTypingState] = useState(false);
  // what is typed lives here, so state events re-rendering the knob keep it
  const [text, setText] = useState('');
  const setTyping = (on: boolean) => {
    if (on) setText(String(value));
    setTypingState(on);
  };
  const [bad, setBad] = useState(false);
  const n = toNorm(def, value);
  const set = (v: number) => {
    if (v !== value) onChange(wireValue(def, v));
  };

  const onPointerDown = (e: PointerEvent) => {
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    drag0.current = { y: e.clientY, n: toNorm(def, value) };
    e.preventDefault();
    (e.currentTarget as HTMLElement).focus();
  };
  const onPointerMove = (e: PointerEvent) => {
    const d = drag0.current;
    if (!d) return;
    const fine = e.shiftKey || e.ctrlKey || e.metaKey;
    // integrate the movement, so pressing or releasing the modifier mid-drag
    // changes the speed without a jump: 200 px for the whole travel, 2000 fine
    d.n = Math.min(1, Math.max(0, d.n + (d.y - e.clientY) / (fine ? 2000 : 200)));
    d.y = e.clientY;
    set(roundForRange(def, fromNorm(def, d.n)));
  };
  const onPointerUp = () => {
    drag0.current = null;
  };
  const onKey = (e: KeyboardEvent) => {
    const fine = e.shiftKey;
    let v: number | null = null;
    switch (e.key) {
      case 'ArrowUp':
      case 'ArrowRight':
        v = step(def, value, 1, fine);
        break;
      case 'ArrowDown':
      case 'ArrowLeft':
        v = step(def, value, -1, fine);
        break;
      case 'PageUp':
        v = step(def, value, 10);
        break;
      case 'PageDown':
        v = step(def, value, -10);
        break;
      case 'Home':
        v = def.min;
        break;
      case 'End':
        v = def.max;
        break;
      case 'Enter':
        setTyping(true);
        e.preventDefault();
        return;
      case 'Delete':
      case 'Backspace':
        v = def.default;
        break;
    }
    if (v !== null) {
      e.preventDefault();
      e.stopPropagation();
      set(v);
    }
  };
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    set(step(def, value, e.deltaY < 0 ? 1 : -1, e.shiftKey));
  };
  const commitTyped = (text: string) => {
    const v = parse(def, text);
    if (v === null) {
      setBad(true);
      return;
    }
    setBad(false);
    setTyping(false);
    set(v);
  };
  const a = ((135 + ARC * n) * Math.PI) / 180;
  return (
    <div class="ctl" title={def.doc}>
      <div
        class="knob"
        role="slider"
        tabIndex={0}
        aria-label={label ?? paramLabel(def)}
        aria-valuemin={def.min}
        aria-valuemax={def.max}
        aria-valuenow={value}
        aria-valuetext={format(def, value)}
        data-testid={testid}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onDblClick={() => set(def.default)}
        onKeyDown={onKey}
        onWheel={onWheel}
      >
        <svg viewBox="0 0 48 48" width="48" height="48" aria-hidden="true">
          <path d={arcPath(1, 19)} class="knob-track" />
          <path d={arcPath(n, 19)} class="knob-fill" />
          <circle cx="24" cy="24" r="13" class="knob-cap" />
          <line x1={24 + 6 * Math.cos(a)} y1={24 + 6 * Math.sin(a)} x2={24 + 13 * Math.cos(a)} y2={24 + 13 * Math.sin(a)} class="knob-tick" />
        </svg>
      </div>
      {typing ? (
        <input
          class={`ctl-input ${bad ? 'bad' : ''}`}
          aria-label={`${label ?? paramLabel(def)} value`}
          data-testid={testid ? `${testid}-input` : undefined}
          ref={(el) => { if (el && el !== document.activeElement) { el.focus(); el.select(); } }}
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commitTyped((e.target as HTMLInputElement).value);
            if (e.key === 'Escape') {
              setBad(false);
              setTypingState(false);
            }
          }}
          onBlur={() => {
            setBad(false);
            setTypingState(false);
          }}
        />
      ) : (
        <button class="ctl-value" data-testid={testid ? `${testid}-value` : undefined} title="type a value" onClick={() => setTyping(true)}>
          {format(def, value)}
        </button>
      )}
      <div class="ctl-label">{label ?? paramLabel(def)}</div>
    </div>
  );
}
