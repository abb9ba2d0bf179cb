// One show: the hall drawn row by row, live seat states over the WebSocket, pick, hold, confirm.
import { api, session, money, when, clock, seatList, seatsAre } from './api.js';
import { el, show, message, say, attempt } from './ui.js';
import { needSignIn } from './app.js';

const MAX_SEATS = 10;  // the server's default per-hold maximum; it answers 422 beyond its own
const PICK_KEY = 'boxoffice.pick';  // seats picked before a sign-in detour

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const mmss = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

export async function showPage(showId, showContext) {
  const [{ info, movie, theater, hall: screen }, map] = await Promise.all([showContext(showId), api('GET', `/shows/${showId}/seats`)]);
  const seats = new Map(map.seats.map((s) => [s.id, { ...s }]));
  const buttons = new Map();
  const selected = new Set();
  let hold = null;      // the current hold of this user on this show
  let ticker = null;
  let socket = null;
  let closed = false;
  let online = false;

  const total = el('strong', { id: 'total' }, money(0, info.currency));
  const countdown = el('span', { class: 'countdown', id: 'countdown', role: 'timer', 'aria-label': 'Time left to confirm' });
  const holdButton = el('button', { type: 'button', class: 'primary', id: 'hold', disabled: true, onclick: doHold }, 'Continue');
  const confirmButton = el('button', { type: 'button', class: 'primary', id: 'confirm', onclick: doConfirm }, 'Confirm booking');
  const releaseButton = el('button', { type: 'button', class: 'secondary', id: 'release', onclick: doRelease }, 'Release');
  const selection = el('span', { id: 'selection' }, 'Pick up to 10 seats.');
  const pickPanel = el('div', { class: 'bar-inner', id: 'pick-panel' },
    el('p', { class: 'bar-text' }, selection, el('span', { class: 'bar-total' }, ' · ', total)), holdButton);
  const holdPanel = el('div', { class: 'bar-inner', id: 'hold-panel', hidden: true },
    el('p', { class: 'bar-text' }, 'Held for you: ', el('strong', { id: 'held-seats' }), ' · ', el('span', { id: 'held-total' }),
      el('span', { class: 'timeleft' }, ' · ', countdown, ' left')),
    el('div', { class: 'row' }, confirmButton, releaseButton));
  const orderBar = el('section', { class: 'orderbar', id: 'order-bar', 'aria-label': 'Your order', tabindex: '-1' }, pickPanel, holdPanel);

  const mine = (id) => !!(hold && hold.seats.includes(id));
  function stateOf(s) {
    if (mine(s.id)) return 'held by you';
    if (selected.has(s.id)) return 'selected';
    return s.status;
  }
  function label(s) {
    return `Row ${s.row} seat ${s.number}, ${s.category}, ${money(s.price_cents, info.currency)}, ${stateOf(s)}`;
  }
  function paint(id) {
    const s = seats.get(id);
    const b = buttons.get(id);
    if (!s || !b) return;
    b.dataset.status = s.status;
    b.classList.toggle('mine', mine(id));
    b.setAttribute('aria-pressed', selected.has(id) ? 'true' : 'false');
    b.setAttribute('aria-label', label(s));
    b.title = label(s);
  }
  function summarise() {
    const cents = [...selected].reduce((sum, id) => sum + seats.get(id).price_cents, 0);
    total.textContent = money(cents, info.currency);
    selection.textContent = selected.size
      ? `${selected.size} ${selected.size > 1 ? 'seats' : 'seat'} (${[...selected].join(', ')})`
      : 'Pick up to 10 seats.';
    holdButton.disabled = selected.size === 0 || !!hold;
  }
  function toggle(id) {
    const s = seats.get(id);
    if (hold) return message(mine(id) ? 'This seat is held for you: confirm or release your hold first.' : 'Confirm or release your current hold first.');
    if (!online && s.status === 'available') return message('Reconnecting to the live seat map… please wait a moment.');
    if (s.status !== 'available') return message(`Seat ${id} is ${s.status === 'held' ? 'held by someone else' : 'already booked'}.`);
    if (selected.has(id)) selected.delete(id);
    else if (selected.size >= MAX_SEATS) return message(`You can hold at most ${MAX_SEATS} seats at once.`);
    else selected.add(id);
    paint(id);
    summarise();
  }

  function apply(changes, quiet = false) {
    const lost = [];
    for (const { seat, status } of changes) {
      const s = seats.get(seat);
      if (!s) continue;
      s.status = status;
      if (status !== 'available' && selected.has(seat)) { selected.delete(seat); lost.push(seat); }
      paint(seat);
    }
    if (lost.length) {
      if (!quiet) message(`Sorry, ${seatList(lost)} ${lost.length > 1 ? 'were' : 'was'} just taken by someone else.`, 'error');
      summarise();
    }
  }

  const live = el('span', { id: 'live', class: 'live connecting' }, 'connecting…');
  function setLive(state) {
    online = state === 'live';
    live.className = `live ${state}`;
    live.textContent = state === 'live' ? 'live' : state === 'reconnecting' ? 'reconnecting…' : 'connecting…';
    live.title = state === 'live' ? 'Seat changes appear as they happen' : 'Seat changes are not shown until the connection is back';
    hallBox.classList.toggle('offline', !online);
  }
  function connect() {
    if (closed) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/shows/${showId}/live`;
    socket = new WebSocket(url);
    socket.addEventListener('message', (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === 'snapshot') { apply(Object.entries(msg.seats).map(([seat, status]) => ({ seat, status }))); setLive('live'); }
      else if (msg.type === 'seats') apply(msg.changes);
    });
    socket.addEventListener('close', () => {
      if (closed) return;
      setLive('reconnecting');
      setTimeout(connect, 1000);
    });
  }

  function startHold(h) {
    hold = h;
    selected.clear();
    pickPanel.hidden = true;
    holdPanel.hidden = false;
    orderBar.classList.add('holding');
    holdPanel.querySelector('#held-seats').textContent = h.seats.join(', ');
    holdPanel.querySelector('#held-total').textContent = money(h.total_cents, h.currency);
    const startLeft = Math.ceil((new Date(h.expires_at) - Date.now()) / 1000);
    const spoken = new Set();
    const tick = () => {
      const ms = new Date(h.expires_at) - Date.now();
      const left = Math.max(0, Math.ceil(ms / 1000));
      countdown.textContent = mmss(left);
      orderBar.classList.toggle('warning', left <= 10 || (startLeft > 60 && left <= 60));
      // Announced politely at 1 minute and 10 seconds left (when the hold is longer than that).
      for (const [mark, words] of [[60, '1 minute'], [10, '10 seconds']]) {
        if (left <= mark && left > 0 && startLeft > mark && !spoken.has(mark)) { spoken.add(mark); say(`${words} left to confirm your seats.`); }
      }
      if (ms <= 0) {
        const gone = h.seats;
        endHold();
        // The server frees them at this moment; show them free now (the live feed corrects if not).
        apply(gone.map((seat) => ({ seat, status: 'available' })), true);
        message(`Your hold on ${seatList(gone)} expired. Select seats again to book.`, 'error');
      }
    };
    tick();
    ticker = setInterval(tick, 250);
    h.seats.forEach((id) => { const s = seats.get(id); if (s) s.status = 'held'; paint(id); });
    summarise();
  }
  function endHold() {
    const had = hold ? hold.seats : [];
    hold = null;
    clearInterval(ticker);
    holdPanel.hidden = true;
    pickPanel.hidden = false;
    orderBar.classList.remove('holding', 'warning');
    had.forEach(paint);
    summarise();
  }

  async function doHold() {
    if (!session.user) {
      sessionStorage.setItem(PICK_KEY, JSON.stringify({ show: showId, seats: [...selected] }));
      return needSignIn('Please sign in to hold your seats; your pick is kept.');
    }
    const wanted = [...selected];
    holdButton.disabled = true;
    try {
      const h = await api('POST', `/shows/${showId}/holds`, { seats: wanted });
      startHold(h);
      message(`${cap(seatsAre(h.seats))} held for you. Confirm before the time runs out.`, 'ok');
    } catch (e) {
      if (e.slug === 'seat-unavailable' && Array.isArray(e.problem.seats)) {
        // The seats named are taken: show them so at once and drop them from the pick, so a retry can succeed.
        apply(e.problem.seats.map((seat) => ({ seat, status: seats.get(seat)?.status === 'booked' ? 'booked' : 'held' })), true);
        wanted.forEach(paint);
      }
      message(e.message, 'error');
      summarise();
    }
  }
  async function doConfirm() {
    const h = hold;
    confirmButton.disabled = true;
    const b = await attempt(() => api('POST', '/bookings', { hold_id: h.hold_id }, { 'Idempotency-Key': h.hold_id }));
    confirmButton.disabled = false;
    if (!b) { if (hold) endHold(); return; }
    endHold();
    b.seats.forEach((id) => { seats.get(id).status = 'booked'; paint(id); });
    message(`Booked! Booking #${b.id}: ${seatList(b.seats)}, ${money(b.total_cents, b.currency)}.`, 'ok');
    location.hash = `#/bookings/${b.id}`;
  }
  async function doRelease() {
    const h = hold;
    await attempt(() => api('DELETE', `/holds/${encodeURIComponent(h.hold_id)}`));
    endHold();
    message('Your hold was released.', 'info');
  }

  // The hall: rows in order, seats as buttons; the screen is at the top. One tab stop, arrows inside.
  const rows = [];
  for (const s of map.seats) {
    if (!rows.length || rows[rows.length - 1].row !== s.row) rows.push({ row: s.row, seats: [] });
    rows[rows.length - 1].seats.push(s);
  }
  const grid = rows.map((r) => r.seats.map((s) => s.id));
  const where = new Map();
  grid.forEach((ids, r) => ids.forEach((id, c) => where.set(id, [r, c])));
  let current = grid[0] ? grid[0][0] : null;
  function rove(id, focus = true) {
    if (!id) return;
    if (current) buttons.get(current).tabIndex = -1;
    current = id;
    const b = buttons.get(id);
    b.tabIndex = 0;
    if (focus) b.focus();
  }
  function onKey(e) {
    const id = e.target.dataset && e.target.dataset.seat;
    if (!id) return;
    const [r, c] = where.get(id);
    const seatNo = seats.get(id).number;
    const near = (rr) => grid[rr].reduce((best, x) => (Math.abs(seats.get(x).number - seatNo) < Math.abs(seats.get(best).number - seatNo) ? x : best));
    let next = null;
    if (e.key === 'ArrowRight') next = grid[r][c + 1];
    else if (e.key === 'ArrowLeft') next = grid[r][c - 1];
    else if (e.key === 'ArrowDown' && grid[r + 1]) next = near(r + 1);
    else if (e.key === 'ArrowUp' && grid[r - 1]) next = near(r - 1);
    else if (e.key === 'Home') next = grid[r][0];
    else if (e.key === 'End') next = grid[r][grid[r].length - 1];
    else return;
    e.preventDefault();
    rove(next || id);
  }
  const seatsBox = el('div', { class: 'seats' },
    el('div', { class: 'screen', 'aria-hidden': 'true' }, 'SCREEN'),
    rows.map((r) => el('div', { class: 'seatrow', role: 'group', 'aria-label': `Row ${r.row}` },
      el('span', { class: 'rowlabel', 'aria-hidden': 'true' }, r.row),
      r.seats.map((s) => {
        const b = el('button', { type: 'button', class: `seat cat-${s.category}`, dataset: { seat: s.id }, tabindex: '-1',
          onclick: () => { rove(s.id, false); toggle(s.id); } }, el('span', { class: 'num' }, String(s.number)));
        buttons.set(s.id, b);
        return b;
      }), el('span', { class: 'rowlabel end', 'aria-hidden': 'true' }, r.row))));
  seatsBox.addEventListener('keydown', onKey);
  const hallBox = el('div', { class: 'hall', id: 'hall', role: 'group',
    'aria-label': 'Seats, screen at the top. Use the arrow keys to move between seats, Enter or Space to pick one.' }, seatsBox);

  // Zoom: the hall fits the width (scaled down on a phone), opens centred; − and + change the scale.
  let userZoom = 1;
  let natural = 0;
  const zoomLabel = el('span', { class: 'zoomlevel', 'aria-live': 'polite' });
  function fit(centre = true) {
    seatsBox.style.zoom = '1';
    natural = natural || seatsBox.scrollWidth;
    const fitScale = Math.min(1, (hallBox.clientWidth - 4) / natural);
    const scale = Math.min(2, Math.max(0.3, fitScale * userZoom));
    seatsBox.style.zoom = String(scale);
    zoomLabel.textContent = `${Math.round(scale * 100)} %`;
    if (centre) hallBox.scrollLeft = (hallBox.scrollWidth - hallBox.clientWidth) / 2;
  }
  const zoomBar = el('div', { class: 'zoom', role: 'group', 'aria-label': 'Zoom the seat map' },
    el('button', { type: 'button', class: 'secondary', id: 'zoom-out', 'aria-label': 'Zoom out', onclick: () => { userZoom /= 1.25; fit(); } }, '−'),
    zoomLabel,
    el('button', { type: 'button', class: 'secondary', id: 'zoom-in', 'aria-label': 'Zoom in', onclick: () => { userZoom *= 1.25; fit(); } }, '+'),
    el('button', { type: 'button', class: 'secondary', id: 'zoom-fit', onclick: () => { userZoom = 1; fit(); } }, 'Fit'));
  const onResize = () => fit(false);
  window.addEventListener('resize', onResize);

  const ends = info.ends_at ? clock(info.ends_at, info.timezone) : null;
  const facts = [when(info.starts_at, info.timezone) + (ends ? `–${ends}` : ''),
    [theater && theater.name, screen && screen.name].filter(Boolean).join(' · '),
    movie ? `${movie.duration_minutes} min` : null, movie ? movie.rating : null].filter(Boolean);
  const cats = Object.entries(info.prices).filter(([cat]) => map.seats.some((s) => s.category === cat));
  const legend = el('ul', { class: 'legend', 'aria-label': 'Legend' },
    cats.map(([cat, cents]) => el('li', {}, el('span', { class: `sw seat cat-${cat}`, 'aria-hidden': 'true' }), `${cap(cat)} ${money(cents, info.currency)}`)),
    el('li', {}, el('span', { class: 'sw seat', 'data-pick': 'yes', 'aria-hidden': 'true' }), 'Selected'),
    el('li', {}, el('span', { class: 'sw seat mine', 'data-status': 'held', 'aria-hidden': 'true' }), 'Held by you'),
    el('li', {}, el('span', { class: 'sw seat', 'data-status': 'held', 'aria-hidden': 'true' }), 'Held'),
    el('li', {}, el('span', { class: 'sw seat', 'data-status': 'booked', 'aria-hidden': 'true' }), 'Booked'));

  show(el('h1', {}, movie ? movie.title : `Show ${showId}`),
    el('p', { class: 'showfacts' }, facts.join(' · '), ' ', live),
    el('a', { class: 'skip', href: '#order-bar' }, 'Skip to order summary'),
    legend,
    el('div', { class: 'card hallcard' }, zoomBar, hallBox),
    orderBar);
  seats.forEach((_, id) => paint(id));
  rove(current, false);
  fit();
  setLive('connecting');

  // Back to this show: the caller's live hold comes back with its time left; a pick made before
  // signing in is restored.
  if (session.user) {
    const mineNow = await api('GET', '/holds').catch(() => null);
    const h = mineNow && mineNow.items.find((x) => x.show_id === showId && new Date(x.expires_at) > Date.now());
    if (h && !closed) startHold(h);
  }
  const kept = (() => { try { return JSON.parse(sessionStorage.getItem(PICK_KEY)); } catch { return null; } })();
  if (kept && kept.show === showId && session.user && !hold) {
    sessionStorage.removeItem(PICK_KEY);
    const still = kept.seats.filter((id) => seats.get(id) && seats.get(id).status === 'available').slice(0, MAX_SEATS);
    still.forEach((id) => { selected.add(id); paint(id); });
    summarise();
    const lost = kept.seats.filter((id) => !still.includes(id));
    if (still.length) message(`Your pick is kept: ${seatList(still)}${lost.length ? ` (${seatList(lost)} went meanwhile)` : ''}. Press Continue to hold.`, 'info');
  }
  summarise();
  connect();
  return () => {
    closed = true;
    clearInterval(ticker);
    window.removeEventListener('resize', onResize);
    if (socket) socket.close();
  };
}
