// Admin forms: add a movie, a theater with rows, and a show. Errors sit under their fields, in words.
import { api, session, fieldName } from './api.js';
import { el, show, message, field, fieldError, clearFieldErrors } from './ui.js';

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// Submits a form: client checks first, then the API; 422 errors go to their fields, anything else
// to a toast. Only one place ever shows a given error.
async function submit(form, check, call, inputFor) {
  clearFieldErrors(form);
  const local = check();
  if (local.length) {
    local.forEach(([input, text]) => fieldError(input, text));
    local[0][0].focus();
    return undefined;
  }
  try {
    return await call();
  } catch (e) {
    const errors = e.problem.errors || [];
    const placed = errors.map((x) => [inputFor(x.field), `${cap(fieldName(x.field))} ${x.message}.`]);
    const unplaced = placed.filter(([input]) => !input);
    const byInput = new Map();
    for (const [input, text] of placed.filter(([i]) => i)) byInput.set(input, [...new Set([...(byInput.get(input) || []), text])]);
    byInput.forEach((texts, input) => fieldError(input, texts.join(' ')));
    if (byInput.size) [...byInput.keys()][0].focus();
    if (!errors.length) message(e.message, 'error');
    else if (unplaced.length) message(unplaced.map(([, t]) => t).join(' '), 'error');
    return undefined;
  }
}

export async function adminPage() {
  if (!session.user || session.user.role !== 'admin') {
    show(el('h1', {}, 'Admin'), el('p', { class: 'card' }, 'Only administrators can see this page.'));
    return;
  }
  const [movies, theaters] = await Promise.all([api('GET', '/movies?limit=200'), api('GET', '/theaters?limit=200')]);

  const title = el('input', { id: 'movie-title', required: true });
  const duration = el('input', { id: 'movie-duration', type: 'number', min: 1, value: 120 });
  const rating = el('input', { id: 'movie-rating', value: 'PG' });
  const genres = el('input', { id: 'movie-genres', placeholder: 'drama, comedy' });
  const description = el('textarea', { id: 'movie-description', rows: 2 });
  const movieInputs = { title, duration_minutes: duration, rating, genres, description };
  const movieForm = el('form', { class: 'card', 'aria-label': 'Add a movie', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const m = await submit(movieForm,
      () => [!title.value.trim() && [title, 'Enter a title (not only spaces).'],
        !(Number(duration.value) >= 1) && [duration, 'Enter the running time in whole minutes, at least 1.']].filter(Boolean),
      () => api('POST', '/movies', { title: title.value.trim(), description: description.value,
        duration_minutes: Number(duration.value), rating: rating.value,
        genres: genres.value.split(',').map((g) => g.trim()).filter(Boolean) }),
      (f) => movieInputs[f.split(/[.[]/)[0]]);
    if (m) { message(`Movie "${m.title}" added (#${m.id}).`, 'ok'); adminPage(); }
  } }, el('h2', {}, 'Add a movie'), field('Title', title), field('Duration (minutes)', duration), field('Rating', rating),
  field('Genres (comma separated)', genres), field('Description', description), el('button', { type: 'submit' }, 'Add movie'));

  const tname = el('input', { id: 'theater-name', required: true });
  const city = el('input', { id: 'theater-city', required: true });
  const zone = el('input', { id: 'theater-timezone', value: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', autocomplete: 'off' });
  const sname = el('input', { id: 'screen-name', value: 'Screen 1' });
  const rows = el('textarea', { id: 'screen-rows', rows: 3, placeholder: 'A-H 12 standard\nJ-K 10 premium' });
  const theaterInputs = { name: tname, city, timezone: zone, screens: rows };
  const theaterForm = el('form', { class: 'card', 'aria-label': 'Add a theater', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    let parsed = null;
    const t = await submit(theaterForm, () => {
      const errs = [];
      if (!tname.value.trim()) errs.push([tname, 'Enter the theater name.']);
      if (!city.value.trim()) errs.push([city, 'Enter the city.']);
      parsed = parseRows(rows.value);
      if (typeof parsed === 'string') errs.push([rows, parsed]);
      return errs;
    }, () => api('POST', '/theaters', { name: tname.value, city: city.value, timezone: zone.value.trim() || 'UTC',
      screens: [{ name: sname.value, rows: parsed }] }),
    (f) => (/^screens\[\d+\]\.name/.test(f) ? sname : theaterInputs[f.split(/[.[]/)[0]]));
    if (t) { message(`Theater "${t.name}" added with ${t.screens[0].seat_count} seats.`, 'ok'); adminPage(); }
  } }, el('h2', {}, 'Add a theater'), field('Name', tname), field('City', city),
  field('Time zone', zone, 'An IANA name such as Europe/Berlin or America/New_York; show times are shown in it.'),
  field('Screen name', sname),
  field('Rows', rows, 'One line per row or range of single-letter rows: "A-H 12 standard", "AA 10 premium".'),
  el('button', { type: 'submit' }, 'Add theater'));

  const movieSel = el('select', { id: 'show-movie' }, movies.items.map((m) => el('option', { value: m.id }, m.title)));
  const screenSel = el('select', { id: 'show-screen' }, theaters.items.flatMap((t) => t.screens.map((s) => el('option', { value: s.id }, `${t.name} · ${s.name}`))));
  const starts = el('input', { id: 'show-starts', type: 'datetime-local', required: true });
  const prices = el('input', { id: 'show-prices', value: 'standard=1200, premium=1800' });
  const showInputs = { movie_id: movieSel, screen_id: screenSel, starts_at: starts, prices, currency: prices };
  const showForm = el('form', { class: 'card', 'aria-label': 'Add a show', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const pairs = prices.value.split(',').map((p) => p.split('=').map((x) => x.trim())).filter((p) => p[0]);
    const s = await submit(showForm, () => {
      const errs = [];
      const at = new Date(starts.value);
      if (!starts.value || Number.isNaN(at.getTime())) errs.push([starts, 'Enter the date and time the show starts.']);
      else if (at <= new Date()) errs.push([starts, 'This time has already passed; a new show must start in the future.']);
      if (!pairs.length || pairs.some(([k, v]) => !k || !/^\d+$/.test(v || ''))) errs.push([prices, 'Write prices as category=cents, e.g. standard=1200, premium=1800.']);
      return errs;
    }, () => api('POST', '/shows', { movie_id: Number(movieSel.value), screen_id: Number(screenSel.value),
      starts_at: new Date(starts.value).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      prices: Object.fromEntries(pairs.map(([k, v]) => [k, Number(v)])) }),
    (f) => showInputs[f.split(/[.[]/)[0]]);
    if (s) message(`Show #${s.id} added.`, 'ok');
  } }, el('h2', {}, 'Add a show'), field('Movie', movieSel), field('Screen', screenSel), field('Starts at (your time)', starts),
  field('Prices in cents: category=cents, …', prices), el('button', { type: 'submit' }, 'Add show'));

  show(el('h1', {}, 'Admin'), movieForm, theaterForm, showForm);
}

// "A-H 12 standard" or "K 10 premium" per line -> [{row, seats, category}], or a sentence saying what is wrong.
export function parseRows(text) {
  const out = [];
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const where = lines.length > 1 ? `Line ${i + 1} ("${line}")` : `"${line}"`;
    const m = line.match(/^([A-Za-z]{1,2})(?:\s*-\s*([A-Za-z]{1,2}))?\s+(\d+)(?:\s+([a-z0-9_-]+))?$/);
    if (!m) return `${where} cannot be read. Write a row or range, the number of seats and a category, e.g. "A-H 12 standard".`;
    const [, fromRaw, toRaw, seats, category = 'standard'] = m;
    const from = fromRaw.toUpperCase();
    const to = (toRaw || fromRaw).toUpperCase();
    if (Number(seats) < 1) return `${where}: a row needs at least 1 seat.`;
    if (toRaw && (from.length > 1 || to.length > 1)) return `${where}: ranges work only with single letters (A-H). Write two-letter rows one per line, e.g. "AA 10".`;
    if (to < from) return `${where}: the range runs backwards. Write it from the first row to the last, e.g. "${to}-${from} ${seats}".`;
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0) && from.length === 1; c++) out.push({ row: String.fromCharCode(c), seats: Number(seats), category });
    if (from.length > 1) out.push({ row: from, seats: Number(seats), category });
  }
  const seen = new Set();
  for (const r of out) { if (seen.has(r.row)) return `Row ${r.row} is listed twice.`; seen.add(r.row); }
  return out.length ? out : 'Add at least one row, e.g. "A-H 12 standard".';
}
