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

export function show(...nodes) {
  const app = document.getElementById('app');
  app.replaceChildren(...nodes);
}

// A message in the live region; errors stay until replaced, others fade after a while.
export function message(text, kind = 'info', { sticky = kind === 'error' } = {}) {
  const box = document.getElementById('messages');
  const m = el('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : undefined }, text);
  box.replaceChildren(m);
  if (!sticky) setTimeout(() => m.remove(), 6000);
  return m;
}

export function clearMessages() { document.getElementById('messages').replaceChildren(); }

export function field(labelText, input) {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  return el('div', {}, el('label', { for: id }, labelText), input);
}

// Runs an async action, reporting an ApiError as a message; returns undefined on failure.
export async function attempt(fn) {
  try { return await fn(); } catch (e) { message(e.message, 'error'); return undefined; }
}
