// Tiny DOM helpers: build elements without innerHTML, so no user text is ever parsed as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

// A new view: replaces the main area, names the page in <title> and moves focus to its heading.
let views = 0;
export const viewCount = () => views;
export function show(...nodes) {
  views += 1;
  const app = document.getElementById('app');
  app.removeAttribute('aria-busy');
  app.replaceChildren(...nodes);
  const h1 = app.querySelector('h1');
  if (h1) {
    document.title = `${h1.textContent} · boxoffice`;
    h1.tabIndex = -1;
    if (!app.contains(document.activeElement) || document.activeElement === app) h1.focus({ preventScroll: false });
  }
}

// Screen readers hear messages through two persistent regions (never an alert inside a status).
function announce(text, kind) {
  const region = document.getElementById(kind === 'error' ? 'sr-alert' : 'sr-status');
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50);
}
export const say = (text) => announce(text, 'info');

// A toast at the bottom of the viewport, where the user is looking: errors stay until dismissed or
// replaced, others fade after a while.
let fade = null;
export function message(text, kind = 'info', { sticky = kind === 'error' } = {}) {
  const box = document.getElementById('messages');
  const close = el('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss message' }, '×');
  const m = el('div', { class: `message ${kind}` }, el('span', { class: 'toast-icon', 'aria-hidden': 'true' },
    kind === 'error' ? '!' : kind === 'ok' ? '✓' : 'i'), el('span', { class: 'toast-text' }, text), close);
  close.addEventListener('click', () => m.remove());
  box.replaceChildren(m);
  announce(text, kind);
  clearTimeout(fade);
  if (!sticky) fade = setTimeout(() => m.remove(), 6000);
  return m;
}

export function clearMessages() { document.getElementById('messages').replaceChildren(); }

export function field(labelText, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  const hintNode = hint ? el('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintNode) input.setAttribute('aria-describedby', hintNode.id);
  return el('div', { class: 'field' }, el('label', { for: id }, labelText), hintNode, input);
}

// A field error in words right under its field, tied to it with aria-invalid and aria-describedby.
export function fieldError(input, text) {
  const id = `${input.id}-error`;
  let p = document.getElementById(id);
  if (!p) { p = el('p', { class: 'field-error', id }); input.after(p); }
  p.textContent = text;
  input.setAttribute('aria-invalid', 'true');
  const ids = new Set((input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
  ids.add(id);
  input.setAttribute('aria-describedby', [...ids].join(' '));
}
export function clearFieldErrors(form) {
  form.querySelectorAll('.field-error').forEach((p) => p.remove());
  form.querySelectorAll('[aria-invalid]').forEach((i) => {
    i.removeAttribute('aria-invalid');
    const ids = (i.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.endsWith('-error'));
    if (ids.length) i.setAttribute('aria-describedby', ids.join(' ')); else i.removeAttribute('aria-describedby');
  });
}

// Runs an async action, reporting an ApiError as a message; returns undefined on failure.
export async function attempt(fn) {
  try { return await fn(); } catch (e) { message(e.message, 'error'); return undefined; }
}
