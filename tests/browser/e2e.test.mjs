// End-to-end tests of the booking page in Debian's headless Chromium (playwright-core).
// Starts the real binary on a free loopback port with a temporary data dir, like the
// functional tests, and saves screenshots of the main screens to $BOXOFFICE_ARTIFACTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

const BIN = process.env.BOXOFFICE_BIN || new URL('../../build/release/boxoffice', import.meta.url).pathname;
const ARTIFACTS = process.env.BOXOFFICE_ARTIFACTS || join(tmpdir(), 'boxoffice-browser-artifacts');
const ADMIN = { email: 'admin@browser.test', password: 'admin-password' };
let server, base, dataDir, browser;

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function call(method, path, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function signIn(email, password) {
  const r = await call('POST', '/sessions', { email, password });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function makeShow(adminToken) {
  const m = await call('POST', '/movies', { title: 'Browser Premiere', description: 'A test film.', duration_minutes: 100, rating: 'PG', genres: ['drama'] }, adminToken);
  const t = await call('POST', '/theaters', { name: 'Test Hall', city: 'Testville', screens: [{ name: 'Main', rows: [
    { row: 'A', seats: 10, category: 'standard' }, { row: 'B', seats: 10, category: 'standard' }, { row: 'C', seats: 8, category: 'premium' }] }] }, adminToken);
  const starts = new Date(Date.now() + 2 * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const s = await call('POST', '/shows', { movie_id: m.body.id, screen_id: t.body.screens[0].id, starts_at: starts, prices: { standard: 1200, premium: 1800 } }, adminToken);
  assert.equal(s.status, 201, JSON.stringify(s.body));
  return s.body;
}

async function newUser(page, name) {
  const email = `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@browser.test`;
  await page.goto(`${base}/#/signin`);
  await page.fill('#signin-email', email);
  await page.fill('#signin-password', 'password123');
  await page.fill('#signin-name', name);
  await page.click('button:has-text("Register")');
  await page.waitForSelector('#nav-signout:not([hidden])');
  return email;
}

const seat = (page, id) => page.locator(`.seat[data-seat="${id}"]`);
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'boxoffice-browser-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve'], { stdio: 'ignore', env: { ...process.env,
    BOXOFFICE_LISTEN: `127.0.0.1:${port}`, BOXOFFICE_DATA_DIR: dataDir, BOXOFFICE_DEMO: '1',
    BOXOFFICE_ADMIN_EMAIL: ADMIN.email, BOXOFFICE_ADMIN_PASSWORD: ADMIN.password,
    BOXOFFICE_HOLD_TTL: '6s', BOXOFFICE_RATE_LIMIT_PER_MIN: '100000000' } });
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu',
    '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'] });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

test('the page is served with a strict CSP and cacheable assets', async () => {
  const res = await fetch(`${base}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-security-policy'), /script-src 'self'/);
  assert.doesNotMatch(await res.text(), /<script>(?!<\/script>)/);
  const js = await fetch(`${base}/static/app.js`);
  assert.ok(js.headers.get('etag') && /max-age/.test(js.headers.get('cache-control')));
  const again = await fetch(`${base}/static/app.js`, { headers: { 'If-None-Match': js.headers.get('etag') } });
  assert.equal(again.status, 304);
});

test('browse movies, then two users race for seats, live', async () => {
  const admin = await signIn(ADMIN.email, ADMIN.password);
  const showInfo = await makeShow(admin.token);
  const ctxA = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const ctxB = await browser.newContext({ viewport: { width: 390, height: 844 } });  // a phone
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  const errors = [];
  for (const p of [a, b]) p.on('pageerror', (e) => errors.push(e.message));

  await a.goto(`${base}/`);
  await a.waitForSelector('article[aria-label="Browser Premiere"] .showtimes a');
  await shot(a, '01-movies');
  await newUser(a, 'Ann');
  await newUser(b, 'Bob');

  await a.goto(`${base}/#/shows/${showInfo.id}`);
  await b.goto(`${base}/#/shows/${showInfo.id}`);
  for (const p of [a, b]) await p.waitForSelector('#live:has-text("live")');
  // Keyboard-usable: the seats are labelled buttons.
  assert.match(await seat(a, 'A1').getAttribute('aria-label'), /Row A seat 1, standard, .*available/);

  // Bob picks A5 first; Ann then holds A1, A2 and A5.
  await seat(b, 'A5').click();
  assert.equal(await seat(b, 'A5').getAttribute('aria-pressed'), 'true');
  await seat(a, 'A1').click();
  await seat(a, 'A2').focus();
  await a.keyboard.press('Enter');
  await seat(a, 'A5').click();
  await a.click('#hold');
  await a.waitForSelector('#hold-panel:not([hidden])');
  assert.match(await a.textContent('#countdown'), /\d+ s/);
  await shot(a, '02-hold');

  // Bob sees them turn held, live, and is told his pick was taken.
  await b.waitForFunction(() => document.querySelector('.seat[data-seat="A1"]').dataset.status === 'held');
  await b.waitForSelector('.message.error:has-text("A5")');
  assert.match(await b.textContent('#messages'), /A5 was just taken/);
  await shot(b, '03-taken-phone');

  await a.click('#confirm');
  await a.waitForSelector('.message.ok:has-text("Booked!")');
  await b.waitForFunction(() => document.querySelector('.seat[data-seat="A2"]').dataset.status === 'booked');
  await shot(a, '04-booked');

  // A stale attempt: Bob's page believes A6 is free, but it is taken first through the API.
  await seat(b, 'A6').click();
  const bobToken = await b.evaluate(() => localStorage.getItem('boxoffice.token'));
  const carol = await call('POST', '/users', { email: `carol-${Date.now()}@browser.test`, password: 'password123', name: 'Carol' });
  const carolSession = await signIn(carol.body.email, 'password123');
  const carolHold = await call('POST', `/shows/${showInfo.id}/holds`, { seats: ['A6'] }, carolSession.token);
  assert.equal(carolHold.status, 201);
  assert.ok(bobToken);
  await b.waitForSelector('.message.error:has-text("A6")');

  // Bob holds B1 and lets the hold expire on screen.
  await seat(b, 'B1').click();
  await b.click('#hold');
  await b.waitForSelector('#hold-panel:not([hidden])');
  await b.waitForSelector('.message.error:has-text("expired")', { timeout: 15000 });
  await b.waitForFunction(() => document.querySelector('.seat[data-seat="B1"]').dataset.status === 'available', null, { timeout: 5000 });
  await shot(b, '05-expired-phone');

  // My bookings, and cancelling one frees its seats.
  await a.goto(`${base}/#/bookings`);
  await a.waitForSelector('tr[data-booking] .status:has-text("confirmed")');
  await shot(a, '06-bookings');
  await a.click('tr[data-booking] button');
  await a.waitForSelector('tr[data-booking] .status:has-text("cancelled")');
  const map = await call('GET', `/shows/${showInfo.id}/seats`);
  assert.equal(map.body.seats.find((s) => s.id === 'A1').status, 'available');
  assert.deepEqual(errors, []);
  await ctxA.close();
  await ctxB.close();
});

test('an admin creates a movie, a theater and a show from the forms', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${base}/#/signin`);
  await page.fill('#signin-email', ADMIN.email);
  await page.fill('#signin-password', ADMIN.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#nav-admin:not([hidden])');
  await page.goto(`${base}/#/admin`);
  await page.fill('#movie-title', 'Admin Made Film');
  await page.fill('#movie-duration', '95');
  await page.click('form[aria-label="Add a movie"] button');
  await page.waitForSelector('.message.ok:has-text("Admin Made Film")');
  await page.fill('#theater-name', 'Form Theater');
  await page.fill('#theater-city', 'Formtown');
  await page.fill('#screen-rows', 'A-D 8 standard\nE 6 premium');
  await page.click('form[aria-label="Add a theater"] button');
  await page.waitForSelector('.message.ok:has-text("38 seats")');
  await page.selectOption('#show-movie', { label: 'Admin Made Film' });
  await page.selectOption('#show-screen', { label: 'Form Theater · Screen 1' });
  await page.fill('#show-starts', '2031-06-01T20:00');
  await page.click('form[aria-label="Add a show"] button');
  await page.waitForSelector('.message.ok:has-text("Show #")');
  await shot(page, '07-admin');
  const shows = await call('GET', '/shows?limit=200&date=2031-06-01');
  assert.ok(shows.body.items.some((s) => s.seat_count === 38));
  await ctx.close();
});

test('sign-in errors are sentences, not JSON', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${base}/#/signin`);
  await page.fill('#signin-email', 'nobody@browser.test');
  await page.fill('#signin-password', 'wrong-password');
  await page.click('button[type=submit]');
  await page.waitForSelector('.message.error');
  const text = await page.textContent('#messages');
  assert.match(text, /Wrong email or password/);
  assert.doesNotMatch(text, /[{}]/);
  await ctx.close();
});
