// One show: the hall drawn row by row, live seat states over the WebSocket, pick, hold, confirm.
import { api, session, money, when } from './api.js';
import { el, show, message, attempt } from './ui.js';
import { needSignIn } from './app.js';

const MAX_SEATS = 10;  // the server's default per-hold maximum; it answers 422 beyond its own

export async function showPage(showId) {
  const [info, map] = await Promise.all([api('GET', `/shows/${showId}`), api('GET', `/shows/${showId}/seats`)]);
  const [movie, theater] = await Promise.all([api('GET', `/movies/${info.movie_id}`).catch(() => null),
    api('GET', `/theaters/${info.theater_id}`).catch(() => null)]);
  const seats = new Map(map.seats.map((s) => [s.id, { ...s }]));
  const buttons = new Map();
  const selected = new Set();
  let hold = null;      // the current hold of this user on this show
  let ticker = null;
  let socket = null;
  let closed = false;

  const total = el('span', { id: 'total' }, money(0, info.currency));
  const countdown = el('span', { class: 'countdown', id: 'countdown' });
  const holdButton = el('button', { type: 'button', class: 'primary', id: 'hold', disabled: true, onclick: doHold }, 'Hold seats');
  const confirmButton = el('button', { type: 'button', class: 'primary', id: 'confirm', onclick: doConfirm }, 'Confirm booking');
  const releaseButton = el('button', { type: 'button', class: 'secondary', id: 'release', onclick: doRelease }, 'Release');
  const holdPanel = el('div', { class: 'card', id: 'hold-panel', hidden: true },
    el('p', {}, 'Held for you: ', el('strong', { id: 'held-seats' }), ' · ', el('span', { id: 'held-total' }),
      ' · time left ', countdown),
    el('div', { class: 'row' }, confirmButton, releaseButton));
  const selection = el('p', { id: 'selection', class: 'muted' }, 'Pick up to 10 seats.');

  function label(s) {
    const state = hold && hold.seats.includes(s.id) ? 'held by you' : s.status;
    return `Row ${s.row} seat ${s.number}, ${s.category}, ${money(s.price_cents, info.currency)}, ${state}`;
  }
  function paint(id) {
    const s = seats.get(id);
    const b = buttons.get(id);
    if (!s || !b) return;
    const mine = hold && hold.seats.includes(id);
    b.dataset.status = s.status;
    b.classList.toggle('mine', !!mine);
    b.setAttribute('aria-pressed', selected.has(id) ? 'true' : 'false');
    b.setAttribute('aria-label', label(s));
    b.title = label(s);
  }
  function summarise() {
    const cents = [...selected].reduce((sum, id) => sum + seats.get(id).price_cents, 0);
    total.textContent = money(cents, info.currency);
    selection.textContent = selected.size ? `Selected: ${[...selected].join(', ')}` : 'Pick up to 10 seats.';
    holdButton.disabled = selected.size === 0 || !!hold;
  }
  function toggle(id) {
    const s = seats.get(id);
    if (hold) return message('Confirm or release your current hold first.');
    if (s.status !== 'available') return message(`Seat ${id} is ${s.status}.`);
    if (selected.has(id)) selected.delete(id);
    else if (selected.size >= MAX_SEATS) return message(`You can hold at most ${MAX_SEATS} seats at once.`);
    else selected.add(id);
    paint(id);
    summarise();
  }

  function apply(changes) {
    const lost = [];
    for (const { seat, status } of changes) {
      const s = seats.get(seat);
      if (!s) continue;
      s.status = status;
      if (status !== 'available' && selected.has(seat)) { selected.delete(seat); lost.push(seat); }
      paint(seat);
    }
    if (lost.length) {
      message(`Sorry, ${lost.length > 1 ? 'seats' : 'seat'} ${lost.join(', ')} ${lost.length > 1 ? 'were' : 'was'} just taken by someone else.`, 'error');
      summarise();
    }
  }

  function connect() {
    if (closed) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/shows/${showId}/live`;
    socket = new WebSocket(url);
    socket.addEventListener('message', (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === 'snapshot') apply(Object.entries(msg.seats).map(([seat, status]) => ({ seat, status })));
      else if (msg.type === 'seats') apply(msg.changes);
    });
    socket.addEventListener('open', () => { document.getElementById('live')?.replaceChildren('● live'); });
    socket.addEventListener('close', () => {
      document.getElementById('live')?.replaceChildren('○ reconnecting…');
      if (!closed) setTimeout(connect, 1000);
    });
  }

  function startHold(h) {
    hold = h;
    selected.clear();
    holdPanel.hidden = false;
    holdPanel.querySelector('#held-seats').textContent = h.seats.join(', ');
    holdPanel.querySelector('#held-total').textContent = money(h.total_cents, h.currency);
    const tick = () => {
      const left = Math.max(0, Math.round((new Date(h.expires_at) - Date.now()) / 1000));
      countdown.textContent = `${left} s`;
      if (left <= 0) {
        endHold();
        message(`Your hold on ${h.seats.join(', ')} expired. Select seats again to book.`, 'error');
      }
    };
    tick();
    ticker = setInterval(tick, 250);
    h.seats.forEach(paint);
    summarise();
  }
  function endHold() {
    const had = hold ? hold.seats : [];
    hold = null;
    clearInterval(ticker);
    holdPanel.hidden = true;
    had.forEach(paint);
    summarise();
  }

  async function doHold() {
    if (!session.user) return needSignIn();
    const wanted = [...selected];
    const h = await attempt(() => api('POST', `/shows/${showId}/holds`, { seats: wanted }));
    if (!h) {
      // The seats named as taken are shown as such by the live feed; drop them from the pick.
      for (const id of wanted) if (seats.get(id).status !== 'available') selected.delete(id);
      wanted.forEach(paint);
      summarise();
      return;
    }
    startHold(h);
    message(`Seats ${h.seats.join(', ')} are held for you. Confirm before the time runs out.`, 'ok');
  }
  async function doConfirm() {
    const h = hold;
    confirmButton.disabled = true;
    const b = await attempt(() => api('POST', '/bookings', { hold_id: h.hold_id }, { 'Idempotency-Key': h.hold_id }));
    confirmButton.disabled = false;
    if (!b) { if (hold) endHold(); return; }
    endHold();
    b.seats.forEach((id) => { seats.get(id).status = 'booked'; paint(id); });
    message(`Booked! Booking #${b.id}: seats ${b.seats.join(', ')}, ${money(b.total_cents, b.currency)}.`, 'ok', { sticky: true });
  }
  async function doRelease() {
    const h = hold;
    await attempt(() => api('DELETE', `/holds/${encodeURIComponent(h.hold_id)}`));
    endHold();
    message('Your hold was released.', 'info');
  }

  // The hall: rows in order, seats as buttons; the screen is at the top.
  const rows = [];
  for (const s of map.seats) {
    if (!rows.length || rows[rows.length - 1].row !== s.row) rows.push({ row: s.row, seats: [] });
    rows[rows.length - 1].seats.push(s);
  }
  const hall = el('div', { class: 'hall', role: 'group', 'aria-label': 'Seats, screen at the top' },
    el('div', { class: 'screen', 'aria-hidden': 'true' }, 'SCREEN'),
    rows.map((r) => el('div', { class: 'seatrow' }, el('span', { class: 'rowlabel', 'aria-hidden': 'true' }, r.row),
      r.seats.map((s) => {
        const b = el('button', { type: 'button', class: `seat ${s.category}`, dataset: { seat: s.id }, onclick: () => toggle(s.id) }, String(s.number));
        buttons.set(s.id, b);
        return b;
      }), el('span', { class: 'rowlabel', 'aria-hidden': 'true' }, r.row))));
  const prices = Object.entries(info.prices).map(([cat, cents]) => `${cat} ${money(cents, info.currency)}`).join(' · ');
  show(el('h1', {}, movie ? movie.title : `Show ${showId}`),
    el('p', { class: 'muted' }, `${when(info.starts_at)} · ${theater ? theater.name : ''} · ${prices} `, el('span', { id: 'live' }, '○ connecting…')),
    el('div', { class: 'legend', 'aria-hidden': 'true' },
      el('span', { class: 'sw-available' }, 'standard'), el('span', { class: 'sw-premium' }, 'premium'),
      el('span', { class: 'sw-selected' }, 'selected'), el('span', { class: 'sw-mine' }, 'held by you'),
      el('span', { class: 'sw-held' }, 'held'), el('span', { class: 'sw-booked' }, 'booked')),
    el('div', { class: 'card' }, hall),
    el('div', { class: 'card row' }, selection, el('span', {}, 'Total: ', total), holdButton),
    holdPanel);
  seats.forEach((_, id) => paint(id));
  summarise();
  connect();
  return () => {
    closed = true;
    clearInterval(ticker);
    if (socket) socket.close();
  };
}
