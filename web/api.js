// The public API, and problem+json turned into sentences a person can act on.
const TOKEN_KEY = 'boxoffice.token';
const USER_KEY = 'boxoffice.user';

export const session = {
  get token() { return localStorage.getItem(TOKEN_KEY); },
  get user() { try { return JSON.parse(localStorage.getItem(USER_KEY)); } catch { return null; } },
  set(token, user) { localStorage.setItem(TOKEN_KEY, token); localStorage.setItem(USER_KEY, JSON.stringify(user)); },
  clear() { localStorage.removeItem(TOKEN_KEY); localStorage.removeItem(USER_KEY); },
};

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(describe(status, problem, retryAfter));
    this.status = status;
    this.problem = problem || {};
    this.slug = (this.problem.type || '').split('/').pop();
  }
}

// "seat A1" / "seats A1 and A2" / "seats A1, A2 and A3"
export function seatList(items = []) {
  if (items.length <= 1) return `seat ${items[0] || ''}`.trim();
  return `seats ${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
// "seat A1 is" / "seats A1 and A2 are"
export const seatsAre = (items = []) => `${seatList(items)} ${items.length > 1 ? 'are' : 'is'}`;
const seatsWere = (items = []) => `${seatList(items)} ${items.length > 1 ? 'were' : 'was'}`;
const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

function describe(status, p = {}, retryAfter) {
  const slug = (p.type || '').split('/').pop();
  switch (slug) {
    case 'seat-unavailable': return `Sorry, ${seatsWere(p.seats)} just taken by someone else. Please pick other seats.`;
    case 'hold-expired': return 'Your hold has ended (it expired, was released or was already used). Please select your seats again.';
    case 'hold-limit': return 'You already hold the most seats one person may hold for this show (10). Confirm or release a hold first.';
    case 'show-started': return 'This show has already started.';
    case 'rate-limited': return `Too many requests. Please try again in ${retryAfter || '?'} s.`;
    case 'validation-failed': return (p.errors || []).map((e) => `${cap(fieldName(e.field))} ${e.message}.`).join(' ') || 'Please check the form.';
    case 'email-taken': return 'An account with this email already exists. Try signing in.';
    case 'idempotency-in-progress': return 'Your booking is still being processed…';
    case 'screen-busy': return 'That screen already has a show at that time.';
    default: break;
  }
  if (status === 401) return p.detail === 'wrong email or password' ? 'Wrong email or password.' : 'Your session has ended. Please sign in again.';
  if (status === 403) return 'Only administrators can do that.';
  if (status === 404) return 'That was not found (it may have been removed).';
  if (status === 503) return 'The service is busy or unavailable. Please try again shortly.';
  if (status === 0) return 'Cannot reach the server. Check your connection and try again.';
  return p.detail || `Something went wrong (HTTP ${status}).`;
}

// An API field path in words: "screens[0].rows[2].seats" -> "the number of seats in row line 3".
export function fieldName(path = '') {
  const row = path.match(/rows\[(\d+)\]\.?(\w*)/);
  if (row) {
    const what = { seats: 'the number of seats', row: 'the row label', category: 'the category' }[row[2]] || 'the row';
    return `${what} on row ${Number(row[1]) + 1}`;
  }
  const words = { title: 'the title', duration_minutes: 'the duration', starts_at: 'the start time', name: 'the name',
    city: 'the city', timezone: 'the time zone', email: 'the email', password: 'the password', prices: 'the prices',
    currency: 'the currency', movie_id: 'the movie', screen_id: 'the screen', rating: 'the rating', genres: 'the genres',
    description: 'the description' };
  const last = path.split('.').pop().replace(/\[\d+\]/g, '');
  return words[last] || (path.startsWith('prices') ? 'the prices' : `the ${last.replace(/_/g, ' ')}`);
}

export async function api(method, path, body, extraHeaders = {}) {
  const headers = { ...extraHeaders };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, {});
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!res.ok) {
    if (res.status === 401 && headers.Authorization && path !== '/sessions') {
      // The token expired or was revoked: the page is signed out from now on.
      session.clear();
      window.dispatchEvent(new CustomEvent('boxoffice:signed-out'));
    }
    throw new ApiError(res.status, data, res.headers.get('Retry-After'));
  }
  return data;
}

// GETs of things that rarely change (a movie, a theater), shared while the page lives.
const cache = new Map();
export function cached(path) {
  if (!cache.has(path)) cache.set(path, api('GET', path).catch((e) => { cache.delete(path); throw e; }));
  return cache.get(path);
}

export const money = (cents, currency = 'USD') =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);

// Times are shown in the theater's zone (a show carries it); the browser's zone only when none is known.
const fmt = (tz, opts) => new Intl.DateTimeFormat(undefined, { ...opts, timeZone: tz || undefined });
export const when = (iso, tz) => fmt(tz, { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
export const clock = (iso, tz) => fmt(tz, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
export const dayLabel = (iso, tz) => fmt(tz, { weekday: 'short', month: 'short', day: 'numeric' }).format(new Date(iso));
// The calendar day (YYYY-MM-DD) of an instant in a zone.
export const dayKey = (iso, tz) => new Intl.DateTimeFormat('en-CA', { timeZone: tz || undefined, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
