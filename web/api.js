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

function describe(status, p = {}, retryAfter) {
  const slug = (p.type || '').split('/').pop();
  switch (slug) {
    case 'seat-unavailable': return `Sorry, ${list(p.seats)} ${p.seats && p.seats.length > 1 ? 'were' : 'was'} just taken by someone else. Please pick other seats.`;
    case 'hold-expired': return 'Your hold has ended (it expired, was released or was already used). Please select your seats again.';
    case 'show-started': return 'This show has already started.';
    case 'rate-limited': return `Too many requests. Please try again in ${retryAfter || '?'} s.`;
    case 'validation-failed': return (p.errors || []).map((e) => `${e.field}: ${e.message}`).join('; ') || 'Please check the form.';
    case 'email-taken': return 'An account with this email already exists. Try signing in.';
    case 'idempotency-in-progress': return 'Your booking is still being processed…';
    case 'screen-busy': return 'That screen already has a show at that time.';
    default: break;
  }
  if (status === 401) return p.detail === 'wrong email or password' ? 'Wrong email or password.' : 'Please sign in first.';
  if (status === 403) return 'Only administrators can do that.';
  if (status === 404) return 'That was not found (it may have been removed).';
  if (status === 503) return 'The service is busy or unavailable. Please try again shortly.';
  return p.detail || `Something went wrong (HTTP ${status}).`;
}

function list(items = []) {
  if (items.length <= 1) return `seat ${items[0] || ''}`.trim();
  return `seats ${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export async function api(method, path, body, extraHeaders = {}) {
  const headers = { ...extraHeaders };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { detail: 'Cannot reach the server. Check your connection.' });
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!res.ok) {
    if (res.status === 401 && session.token && path !== '/sessions') session.clear();
    throw new ApiError(res.status, data, res.headers.get('Retry-After'));
  }
  return data;
}

export const money = (cents, currency = 'USD') =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);

export const when = (iso) => new Date(iso).toLocaleString(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
