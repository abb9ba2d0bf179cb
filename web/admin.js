// Admin forms: add a movie, a theater with rows, and a show.
import { api, session } from './api.js';
import { el, show, message, field, attempt } from './ui.js';

export async function adminPage() {
  if (!session.user || session.user.role !== 'admin') {
    show(el('p', { class: 'card' }, 'Only administrators can see this page.'));
    return;
  }
  const [movies, theaters] = await Promise.all([api('GET', '/movies?limit=200'), api('GET', '/theaters?limit=200')]);

  const title = el('input', { id: 'movie-title', required: true });
  const duration = el('input', { id: 'movie-duration', type: 'number', min: 1, value: 120 });
  const rating = el('input', { id: 'movie-rating', value: 'PG' });
  const genres = el('input', { id: 'movie-genres', placeholder: 'drama, comedy' });
  const description = el('textarea', { id: 'movie-description', rows: 2 });
  const movieForm = el('form', { class: 'card', 'aria-label': 'Add a movie', onsubmit: async (e) => {
    e.preventDefault();
    const m = await attempt(() => api('POST', '/movies', { title: title.value, description: description.value,
      duration_minutes: Number(duration.value), rating: rating.value,
      genres: genres.value.split(',').map((g) => g.trim()).filter(Boolean) }));
    if (m) { message(`Movie "${m.title}" added (#${m.id}).`, 'ok'); adminPage(); }
  } }, el('h2', {}, 'Add a movie'), field('Title', title), field('Duration (minutes)', duration), field('Rating', rating),
  field('Genres (comma separated)', genres), field('Description', description), el('button', { type: 'submit' }, 'Add movie'));

  const tname = el('input', { id: 'theater-name', required: true });
  const city = el('input', { id: 'theater-city', required: true });
  const sname = el('input', { id: 'screen-name', value: 'Screen 1' });
  const rows = el('textarea', { id: 'screen-rows', rows: 3, placeholder: 'A-H 12 standard\nJ-K 10 premium' });
  const theaterForm = el('form', { class: 'card', 'aria-label': 'Add a theater', onsubmit: async (e) => {
    e.preventDefault();
    const parsed = parseRows(rows.value);
    if (typeof parsed === 'string') return message(parsed, 'error');
    const t = await attempt(() => api('POST', '/theaters', { name: tname.value, city: city.value, screens: [{ name: sname.value, rows: parsed }] }));
    if (t) { message(`Theater "${t.name}" added with ${t.screens[0].seat_count} seats.`, 'ok'); adminPage(); }
  } }, el('h2', {}, 'Add a theater'), field('Name', tname), field('City', city), field('Screen name', sname),
  field('Rows: one line per row or range, "A-H 12 standard"', rows), el('button', { type: 'submit' }, 'Add theater'));

  const movieSel = el('select', { id: 'show-movie' }, movies.items.map((m) => el('option', { value: m.id }, m.title)));
  const screenSel = el('select', { id: 'show-screen' }, theaters.items.flatMap((t) => t.screens.map((s) => el('option', { value: s.id }, `${t.name} · ${s.name}`))));
  const starts = el('input', { id: 'show-starts', type: 'datetime-local', required: true });
  const prices = el('input', { id: 'show-prices', value: 'standard=1200, premium=1800' });
  const showForm = el('form', { class: 'card', 'aria-label': 'Add a show', onsubmit: async (e) => {
    e.preventDefault();
    const table = Object.fromEntries(prices.value.split(',').map((p) => p.split('=').map((x) => x.trim())).filter((p) => p[0]).map(([k, v]) => [k, Number(v)]));
    const s = await attempt(() => api('POST', '/shows', { movie_id: Number(movieSel.value), screen_id: Number(screenSel.value),
      starts_at: new Date(starts.value).toISOString().replace(/\.\d{3}Z$/, 'Z'), prices: table }));
    if (s) message(`Show #${s.id} added.`, 'ok');
  } }, el('h2', {}, 'Add a show'), field('Movie', movieSel), field('Screen', screenSel), field('Starts at (your time)', starts),
  field('Prices in cents: category=cents, …', prices), el('button', { type: 'submit' }, 'Add show'));

  show(el('h1', {}, 'Admin'), movieForm, theaterForm, showForm);
}

// "A-H 12 standard" or "K 10 premium" per line -> [{row, seats, category}]
function parseRows(text) {
  const out = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = line.match(/^([A-Z]{1,2})(?:-([A-Z]{1,2}))?\s+(\d+)(?:\s+([a-z0-9_-]+))?$/);
    if (!m) return `Cannot read the row line "${line}". Use e.g. "A-H 12 standard".`;
    const [, from, to = from, seats, category = 'standard'] = m;
    if (from.length > 1 || to.length > 1) { out.push({ row: from, seats: Number(seats), category }); continue; }
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c++) out.push({ row: String.fromCharCode(c), seats: Number(seats), category });
  }
  return out.length ? out : 'Add at least one row.';
}
