// The booking page: a hash router over the public API (see /openapi.yaml).
import { api, session, when, money } from './api.js';
import { el, show, message, clearMessages, field, attempt } from './ui.js';
import { showPage } from './show.js';
import { adminPage } from './admin.js';

function refreshNav() {
  const user = session.user;
  document.getElementById('nav-signin').hidden = !!user;
  document.getElementById('nav-signout').hidden = !user;
  document.getElementById('nav-bookings').hidden = !user;
  document.getElementById('nav-admin').hidden = !(user && user.role === 'admin');
}

async function moviesPage() {
  const [movies, theaters] = await Promise.all([api('GET', '/movies?limit=200'), api('GET', '/theaters?limit=200')]);
  const days = [...Array(8).keys()].map((i) => new Date(Date.now() + i * 86400000).toISOString().slice(0, 10));
  const day = el('select', { id: 'filter-date' }, el('option', { value: '' }, 'Any day'), days.map((d) => el('option', { value: d }, d)));
  const theater = el('select', { id: 'filter-theater' }, el('option', { value: '' }, 'Any theater'),
    theaters.items.map((t) => el('option', { value: t.id }, `${t.name}, ${t.city}`)));
  const list = el('div', { id: 'movies' });
  const theaterName = Object.fromEntries(theaters.items.map((t) => [t.id, t.name]));
  async function render() {
    const query = (id) => `/shows?limit=200&movie_id=${id}${day.value ? `&date=${day.value}` : ''}${theater.value ? `&theater_id=${theater.value}` : ''}`;
    const cards = await Promise.all(movies.items.map(async (m) => {
      const shows = (await api('GET', query(m.id))).items.filter((s) => new Date(s.starts_at) > new Date());
      return el('article', { class: 'card', 'aria-label': m.title },
        el('h2', {}, m.title),
        el('p', { class: 'muted' }, `${m.duration_minutes} min · ${m.rating}${m.genres.length ? ' · ' + m.genres.join(', ') : ''}`),
        m.description ? el('p', {}, m.description) : null,
        shows.length
          ? el('div', { class: 'showtimes' }, shows.map((s) => el('a', { href: `#/shows/${s.id}` }, `${when(s.starts_at)} · ${theaterName[s.theater_id] || 'Theater ' + s.theater_id}`)))
          : el('p', { class: 'muted' }, 'No upcoming shows for this choice.'));
    }));
    list.replaceChildren(...(cards.length ? cards : [el('p', {}, 'No movies yet.')]));
  }
  day.addEventListener('change', () => attempt(render));
  theater.addEventListener('change', () => attempt(render));
  show(el('h1', {}, 'Now showing'), el('div', { class: 'row card' }, field('Date', day), field('Theater', theater)), list);
  await render();
}

function signinPage() {
  const email = el('input', { type: 'email', autocomplete: 'email', required: true, id: 'signin-email' });
  const password = el('input', { type: 'password', autocomplete: 'current-password', required: true, id: 'signin-password' });
  const name = el('input', { type: 'text', autocomplete: 'name', id: 'signin-name' });
  const signIn = async (e) => {
    e.preventDefault();
    const s = await attempt(() => api('POST', '/sessions', { email: email.value, password: password.value }));
    if (!s) return;
    session.set(s.token, s.user);
    refreshNav();
    message(`Signed in as ${s.user.name}.`, 'ok');
    location.hash = sessionStorage.getItem('boxoffice.after') || '#/';
    sessionStorage.removeItem('boxoffice.after');
  };
  const register = async () => {
    const u = await attempt(() => api('POST', '/users', { email: email.value, password: password.value, name: name.value }));
    if (u) await signIn(new Event('submit'));
  };
  show(el('h1', {}, 'Sign in'),
    el('form', { class: 'card', onsubmit: signIn, 'aria-label': 'Sign in' },
      field('Email', email), field('Password (at least 8 characters)', password),
      field('Name (only to register)', name),
      el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary' }, 'Sign in'),
        el('button', { type: 'button', class: 'secondary', onclick: register }, 'Register'))));
}

async function bookingsPage() {
  if (!session.user) return needSignIn();
  const page = await api('GET', '/bookings?limit=200');
  const rows = await Promise.all(page.items.map(async (b) => {
    const showInfo = await api('GET', `/shows/${b.show_id}`).catch(() => null);
    const cancel = el('button', { type: 'button', class: 'secondary', disabled: b.status !== 'confirmed',
      'aria-label': `Cancel booking ${b.id}`,
      onclick: async () => {
        const r = await attempt(() => api('POST', `/bookings/${b.id}/cancel`));
        if (r) { message(`Booking ${b.id} is cancelled; seats ${r.seats.join(', ')} are free again.`, 'ok'); bookingsPage(); }
      } }, 'Cancel');
    return el('tr', { dataset: { booking: b.id } }, el('td', {}, `#${b.id}`),
      el('td', {}, showInfo ? el('a', { href: `#/shows/${b.show_id}` }, when(showInfo.starts_at)) : `show ${b.show_id}`),
      el('td', {}, b.seats.join(', ')), el('td', {}, money(b.total_cents, b.currency)), el('td', { class: 'status' }, b.status), el('td', {}, cancel));
  }));
  show(el('h1', {}, 'My bookings'), rows.length
    ? el('table', { class: 'card' }, el('thead', {}, el('tr', {}, ['Booking', 'Show', 'Seats', 'Total', 'Status', ''].map((h) => el('th', {}, h)))), el('tbody', {}, rows))
    : el('p', { class: 'card' }, 'No bookings yet. ', el('a', { href: '#/' }, 'Find a show')));
}

export function needSignIn() {
  sessionStorage.setItem('boxoffice.after', location.hash);
  message('Please sign in first.', 'info');
  location.hash = '#/signin';
}

let leave = null;  // the current page's clean-up (closes its WebSocket)

async function route() {
  if (leave) { leave(); leave = null; }
  const hash = location.hash || '#/';
  const m = hash.match(/^#\/shows\/(\d+)$/);
  try {
    if (m) leave = await showPage(Number(m[1]));
    else if (hash === '#/signin') signinPage();
    else if (hash === '#/bookings') await bookingsPage();
    else if (hash === '#/admin') await adminPage();
    else await moviesPage();
  } catch (e) {
    message(e.message, 'error');
  }
}

document.getElementById('nav-signout').addEventListener('click', async () => {
  await api('DELETE', '/sessions/current').catch(() => {});
  session.clear();
  refreshNav();
  clearMessages();
  message('Signed out.', 'ok');
  location.hash = '#/';
});
window.addEventListener('hashchange', route);
refreshNav();
route();
