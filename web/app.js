// The booking page: a hash router over the public API (see /openapi.yaml).
import { api, cached, session, when, clock, dayKey, dayLabel, money, seatList } from './api.js';
import { el, show, viewCount, message, clearMessages, field, fieldError, clearFieldErrors, attempt } from './ui.js';
import { showPage } from './show.js';
import { adminPage } from './admin.js';

function refreshNav() {
  const user = session.user;
  document.getElementById('nav-signin').hidden = !!user;
  document.getElementById('nav-signout').hidden = !user;
  document.getElementById('nav-bookings').hidden = !user;
  document.getElementById('nav-admin').hidden = !(user && user.role === 'admin');
}

// The next 8 calendar days of the browser, as YYYY-MM-DD.
function nextDays(n = 8) {
  const out = [];
  const d = new Date();
  for (let i = 0; i < n; i++) {
    const x = new Date(d.getFullYear(), d.getMonth(), d.getDate() + i, 12);
    out.push(`${x.getFullYear()}-${String(x.getMonth() + 1).padStart(2, '0')}-${String(x.getDate()).padStart(2, '0')}`);
  }
  return out;
}
const dayName = (key, i) => (i === 0 ? 'Today' : i === 1 ? 'Tomorrow'
  : new Date(`${key}T12:00:00`).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric' }));
const longDay = (key) => new Date(`${key}T12:00:00Z`).toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric', timeZone: 'UTC' });

async function moviesPage() {
  const [movies, theaters] = await Promise.all([api('GET', '/movies?limit=200'), api('GET', '/theaters?limit=200')]);
  const theaterById = Object.fromEntries(theaters.items.map((t) => [t.id, t]));
  const screenName = Object.fromEntries(theaters.items.flatMap((t) => (t.screens || []).map((s) => [s.id, s.name])));
  const days = nextDays();
  // Today by default, like a box office; "All dates" lists every upcoming show.
  let chosen = sessionStorage.getItem('boxoffice.day') ?? days[0];
  if (chosen && !days.includes(chosen)) chosen = days[0];
  const strip = el('div', { class: 'daystrip', role: 'group', 'aria-label': 'Date' });
  const dayButtons = [['', 'All dates'], ...days.map((d, i) => [d, dayName(d, i)])].map(([value, text]) =>
    el('button', { type: 'button', class: 'chip', dataset: { day: value }, 'aria-pressed': String(value === chosen),
      onclick: () => { chosen = value; sessionStorage.setItem('boxoffice.day', value); attempt(render); } }, text));
  strip.append(...dayButtons);
  const theater = el('select', { id: 'filter-theater' }, el('option', { value: '' }, 'Any theater'),
    theaters.items.map((t) => el('option', { value: t.id }, `${t.name}, ${t.city}`)));
  const list = el('div', { id: 'movies', 'aria-live': 'polite', 'aria-busy': 'false' });

  function showLink(s) {
    const t = theaterById[s.theater_id];
    const hall = screenName[s.screen_id];
    return el('a', { href: `#/shows/${s.id}`, dataset: { show: s.id },
      'aria-label': `${when(s.starts_at, s.timezone)}, ${t ? t.name : 'theater ' + s.theater_id}${hall ? ', ' + hall : ''}` },
    el('span', { class: 'time' }, clock(s.starts_at, s.timezone)), el('span', { class: 'badge', hidden: true }));
  }
  // Shows of one movie: by day (theater-local), then by theater and hall, in start order.
  function showtimes(shows, day) {
    const byDay = new Map();
    for (const s of shows) {
      const key = dayKey(s.starts_at, s.timezone);
      if (!byDay.has(key)) byDay.set(key, new Map());
      const place = `${s.theater_id}/${s.screen_id}`;
      const m = byDay.get(key);
      if (!m.has(place)) m.set(place, []);
      m.get(place).push(s);
    }
    return [...byDay.entries()].map(([key, places]) => el('div', { class: 'day' },
      day ? null : el('h3', {}, dayLabel([...places.values()][0][0].starts_at, [...places.values()][0][0].timezone)),
      [...places.values()].map((group) => {
        const t = theaterById[group[0].theater_id];
        return el('div', { class: 'place' },
          el('p', { class: 'placename' }, t ? `${t.name}, ${t.city}` : `Theater ${group[0].theater_id}`,
            screenName[group[0].screen_id] ? el('span', { class: 'muted' }, ` · ${screenName[group[0].screen_id]}`) : null),
          el('div', { class: 'showtimes' }, group.map(showLink)));
      })));
  }

  // A day or theater picked while an earlier list is still loading starts a new render; only the
  // latest may fill the list, or a slow earlier answer would replace it with the wrong day's.
  // A failed earlier render is as stale as a slow one: its error must not replace the list either.
  let latest = 0;
  async function render() {
    const turn = ++latest;
    const day = chosen;
    dayButtons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.day === day)));
    list.setAttribute('aria-busy', 'true');
    const filter = theater.value ? `&theater_id=${theater.value}` : '';
    const now = Date.now();
    let upcoming;
    let shows;
    try {
      upcoming = (await api('GET', `/shows?limit=200${filter}`)).items.filter((s) => new Date(s.starts_at) > now);
      shows = day
        ? (await api('GET', `/shows?limit=200&date=${day}${filter}`)).items.filter((s) => new Date(s.starts_at) > now)
        : upcoming;
    } catch (e) {
      if (turn !== latest) return;
      throw e;
    }
    if (turn !== latest) return;
    shows.sort((a, b) => a.starts_at.localeCompare(b.starts_at) || a.id - b.id);
    const cards = movies.items.map((m) => {
      const mine = shows.filter((s) => s.movie_id === m.id);
      if (!mine.length) return null;
      return el('article', { class: 'card movie', 'aria-label': m.title },
        el('h2', {}, m.title),
        el('p', { class: 'muted' }, `${m.duration_minutes} min · ${m.rating}${m.genres.length ? ' · ' + m.genres.join(', ') : ''}`),
        m.description ? el('p', {}, m.description) : null,
        showtimes(mine, day));
    }).filter(Boolean);
    if (!cards.length) {
      const next = upcoming.find((s) => !day || dayKey(s.starts_at, s.timezone) > day);
      const line = el('p', { class: 'card empty' }, day ? `No shows on ${longDay(day)}.` : 'No upcoming shows.');
      if (next) {
        const key = dayKey(next.starts_at, next.timezone);
        line.append(' Next on ', days.includes(key)
          ? el('button', { type: 'button', class: 'linklike inline', onclick: () => { chosen = key; attempt(render); } }, longDay(key))
          : longDay(key), '.');
      }
      cards.push(line);
    }
    list.replaceChildren(...cards);
    list.setAttribute('aria-busy', 'false');
    badges(shows.slice(0, 40));
  }
  // "Sold out" / "Filling fast" from the live seat counts.
  function badges(shows) {
    for (const s of shows) {
      api('GET', `/shows/${s.id}/seats`).then((map) => {
        const badge = list.querySelector(`a[data-show="${s.id}"] .badge`);
        if (!badge) return;
        const left = map.available_count;
        const total = s.seat_count || map.seats.length;
        if (left === 0) { badge.textContent = 'Sold out'; badge.className = 'badge soldout'; }
        else if (left <= Math.max(5, total * 0.2)) { badge.textContent = 'Filling fast'; badge.className = 'badge fast'; }
        else return;
        badge.hidden = false;
        const a = badge.parentElement;
        a.setAttribute('aria-label', `${a.getAttribute('aria-label')}, ${badge.textContent}`);
      }).catch(() => {});
    }
  }
  theater.addEventListener('change', () => attempt(render));
  show(el('h1', {}, 'Now showing'), el('div', { class: 'card filters' }, strip, field('Theater', theater)), list);
  await render();
}

function authForm(kind) {
  const register = kind === 'register';
  const email = el('input', { type: 'email', autocomplete: 'email', required: true, id: `${kind}-email` });
  const password = el('input', { type: 'password', autocomplete: register ? 'new-password' : 'current-password', required: true,
    id: `${kind}-password`, minlength: register ? 8 : undefined });
  const name = register ? el('input', { type: 'text', autocomplete: 'name', required: true, id: 'register-name' }) : null;
  const signIn = async () => {
    const s = await attempt(() => api('POST', '/sessions', { email: email.value, password: password.value }));
    if (!s) return;
    session.set(s.token, s.user);
    refreshNav();
    message(`Signed in as ${s.user.name}.`, 'ok');
    location.hash = sessionStorage.getItem('boxoffice.after') || '#/';
    sessionStorage.removeItem('boxoffice.after');
  };
  const form = el('form', { class: 'card narrow', 'aria-label': register ? 'Create an account' : 'Sign in', onsubmit: async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    if (register) {
      try {
        await api('POST', '/users', { email: email.value, password: password.value, name: name.value });
      } catch (err) {
        const inputs = { email, password, name };
        const errs = (err.problem.errors || []).filter((x) => inputs[x.field]);
        if (errs.length) errs.forEach((x) => fieldError(inputs[x.field], `This ${x.field} ${x.message}.`));
        else message(err.message, 'error');
        return;
      }
    }
    await signIn();
  } },
  register ? field('Name', name) : null, field('Email', email),
  field(register ? 'Password' : 'Password', password, register ? 'At least 8 characters.' : null),
  el('button', { type: 'submit', class: 'primary' }, register ? 'Create account' : 'Sign in'));
  show(el('h1', {}, register ? 'Create an account' : 'Sign in'), form,
    el('p', { class: 'switch' }, register ? 'Already have an account? ' : 'New here? ',
      el('a', { href: register ? '#/signin' : '#/register' }, register ? 'Sign in' : 'Create an account')));
}

async function showContext(showId) {
  const info = await cached(`/shows/${showId}`);
  const [movie, theater] = await Promise.all([cached(`/movies/${info.movie_id}`).catch(() => null),
    cached(`/theaters/${info.theater_id}`).catch(() => null)]);
  const hall = theater && (theater.screens || []).find((s) => s.id === info.screen_id);
  return { info, movie, theater, hall };
}

async function bookingsPage() {
  if (!session.user) return needSignIn();
  const page = await api('GET', '/bookings?limit=200');
  const rows = await Promise.all(page.items.map(async (b) => {
    const ctx = await showContext(b.show_id).catch(() => null);
    const actions = el('td', { 'data-label': '' });
    const cancel = el('button', { type: 'button', class: 'secondary', disabled: b.status !== 'confirmed',
      'aria-label': `Cancel booking ${b.id}`, onclick: () => askCancel() }, 'Cancel');
    actions.append(cancel);
    function askCancel() {
      const yes = el('button', { type: 'button', class: 'primary', onclick: async () => {
        yes.disabled = true;
        const r = await attempt(() => api('POST', `/bookings/${b.id}/cancel`));
        if (r) { message(`Booking #${b.id} is cancelled; ${seatsAreFree(r.seats)}`, 'ok'); bookingsPage(); }
        else yes.disabled = false;
      } }, 'Yes, cancel');
      const no = el('button', { type: 'button', class: 'secondary', onclick: () => { actions.replaceChildren(cancel); cancel.focus(); } }, 'Keep');
      actions.replaceChildren(el('span', { class: 'ask', id: `ask-${b.id}` }, 'Cancel this booking?'), ' ', yes, ' ', no);
      yes.setAttribute('aria-describedby', `ask-${b.id}`);
      yes.focus();
    }
    const what = ctx
      ? [el('a', { href: `#/bookings/${b.id}` }, ctx.movie ? ctx.movie.title : `Show ${b.show_id}`),
        el('br'), el('span', { class: 'muted' }, `${ctx.theater ? ctx.theater.name : ''}${ctx.hall ? ' · ' + ctx.hall.name : ''}`)]
      : el('a', { href: `#/bookings/${b.id}` }, `Show ${b.show_id}`);
    return el('tr', { dataset: { booking: b.id } }, el('td', { 'data-label': 'Booking' }, `#${b.id}`),
      el('td', { 'data-label': 'Movie' }, what),
      el('td', { 'data-label': 'Date' }, ctx ? when(ctx.info.starts_at, ctx.info.timezone) : ''),
      el('td', { 'data-label': 'Seats' }, b.seats.join(', ')), el('td', { 'data-label': 'Total' }, money(b.total_cents, b.currency)),
      el('td', { 'data-label': 'Status', class: 'status' }, el('span', { class: `pill ${b.status}` }, b.status)), actions);
  }));
  show(el('h1', {}, 'My bookings'), rows.length
    ? el('table', { class: 'card bookings' }, el('thead', {}, el('tr', {}, ['Booking', 'Movie', 'Date', 'Seats', 'Total', 'Status', 'Actions']
      .map((h) => el('th', { scope: 'col', class: h === 'Actions' ? 'visually-hidden-th' : undefined }, h)))), el('tbody', {}, rows))
    : el('p', { class: 'card' }, 'No bookings yet. ', el('a', { href: '#/' }, 'Find a show')));
}
const seatsAreFree = (seats) => `${seatList(seats)} ${seats.length > 1 ? 'are' : 'is'} free again.`;

// The confirmation of one booking: what, where, when, which seats, how much.
async function bookingPage(id) {
  if (!session.user) return needSignIn();
  const b = await api('GET', `/bookings/${id}`);
  const ctx = await showContext(b.show_id).catch(() => null);
  const row = (k, v) => [el('dt', {}, k), el('dd', {}, v)];
  const confirmed = b.status === 'confirmed';
  show(el('div', { class: `card confirmation ${b.status}` },
    el('p', { class: 'tick', 'aria-hidden': 'true' }, confirmed ? '✓' : '×'),
    el('h1', {}, confirmed ? "You're booked!" : `Booking #${b.id} is cancelled`),
    el('p', { class: 'bookingno' }, 'Booking number ', el('strong', { id: 'booking-number' }, `#${b.id}`)),
    el('dl', {},
      row('Movie', ctx && ctx.movie ? ctx.movie.title : `Show ${b.show_id}`),
      row('Theater', ctx && ctx.theater ? `${ctx.theater.name}, ${ctx.theater.city}` : '—'),
      row('Hall', ctx && ctx.hall ? ctx.hall.name : '—'),
      row('Date', ctx ? `${when(ctx.info.starts_at, ctx.info.timezone)}` : '—'),
      row(b.seats.length > 1 ? 'Seats' : 'Seat', b.seats.join(', ')),
      row('Total', money(b.total_cents, b.currency))),
    el('p', { class: 'row' }, el('a', { class: 'button', href: '#/bookings' }, 'My bookings'), el('a', { href: '#/' }, 'Back to movies'))));
}

export function needSignIn(text = 'Please sign in first.') {
  sessionStorage.setItem('boxoffice.after', location.hash);
  message(text, 'info');
  location.hash = '#/signin';
}

let leave = null;  // the current page's clean-up (closes its WebSocket)
let routeNo = 0;

async function route() {
  if (leave) { leave(); leave = null; }
  const my = ++routeNo;
  const app = document.getElementById('app');
  // Loading feedback only when a view takes a while.
  const shown = viewCount();
  const slow = setTimeout(() => { if (my === routeNo && viewCount() === shown) { app.setAttribute('aria-busy', 'true'); app.replaceChildren(el('p', { class: 'loading' }, 'Loading…')); } }, 300);
  const hash = location.hash || '#/';
  const m = hash.match(/^#\/shows\/(\d+)$/);
  const b = hash.match(/^#\/bookings\/(\d+)$/);
  try {
    if (m) leave = await showPage(Number(m[1]), showContext);
    else if (b) await bookingPage(Number(b[1]));
    else if (hash === '#/signin') authForm('signin');
    else if (hash === '#/register') authForm('register');
    else if (hash === '#/bookings') await bookingsPage();
    else if (hash === '#/admin') await adminPage();
    else await moviesPage();
  } catch (e) {
    if (my === routeNo) failed(e);
  } finally {
    clearTimeout(slow);
  }
}

// A view that could not load says so where the view would be, never a lasting "Loading…".
function failed(e) {
  const signedOut = e.status === 401;
  show(el('div', { class: 'card problem' },
    el('h1', {}, signedOut ? 'Please sign in again' : e.status === 404 ? 'Not found' : 'This page could not load'),
    el('p', {}, signedOut ? 'Your session has ended.' : e.message),
    el('p', { class: 'row' }, signedOut
      ? el('a', { class: 'button', href: '#/signin', onclick: () => sessionStorage.setItem('boxoffice.after', location.hash) }, 'Sign in')
      : el('button', { type: 'button', onclick: route }, 'Try again'), el('a', { href: '#/' }, 'Back to movies'))));
}

window.addEventListener('boxoffice:signed-out', () => {
  refreshNav();
  message('Your session has ended. Please sign in again.', 'info');
});
document.getElementById('nav-signout').addEventListener('click', async () => {
  await api('DELETE', '/sessions/current').catch(() => {});
  session.clear();
  refreshNav();
  clearMessages();
  message('Signed out.', 'ok');
  location.hash = '#/';
});
// Skip links move focus without touching the route.
document.addEventListener('click', (e) => {
  const a = e.target.closest('a.skip');
  if (!a) return;
  e.preventDefault();
  const target = document.getElementById(a.getAttribute('href').slice(1));
  if (target) { if (!target.hasAttribute('tabindex')) target.tabIndex = -1; target.focus(); target.scrollIntoView({ block: 'center' }); }
});
window.addEventListener('hashchange', route);
refreshNav();
route();
