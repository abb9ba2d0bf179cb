#include "store/migrations/sqlite_migrations.hpp"

namespace boxoffice {

std::span<const Migration> sqlite_migrations() {
  static const Migration migrations[] = {
      {1, "accounts and catalog", R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('customer', 'admin')),
  created_at INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expiry ON sessions(expires_at);
CREATE TABLE movies (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  duration_minutes INTEGER NOT NULL,
  rating TEXT NOT NULL,
  genres TEXT NOT NULL
);
CREATE TABLE theaters (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  city TEXT NOT NULL
);
CREATE TABLE screens (
  id INTEGER PRIMARY KEY,
  theater_id INTEGER NOT NULL REFERENCES theaters(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  rows_json TEXT NOT NULL,
  seat_count INTEGER NOT NULL
);
CREATE INDEX screens_theater ON screens(theater_id);
CREATE TABLE shows (
  id INTEGER PRIMARY KEY,
  movie_id INTEGER NOT NULL REFERENCES movies(id) ON DELETE CASCADE,
  screen_id INTEGER NOT NULL REFERENCES screens(id),
  theater_id INTEGER NOT NULL REFERENCES theaters(id),
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  prices_json TEXT NOT NULL,
  currency TEXT NOT NULL,
  seat_count INTEGER NOT NULL
);
CREATE INDEX shows_screen_time ON shows(screen_id, starts_at);
CREATE INDEX shows_movie ON shows(movie_id);
CREATE INDEX shows_theater ON shows(theater_id);
CREATE INDEX shows_starts ON shows(starts_at);
)sql"},
      {2, "bookings", R"sql(
CREATE TABLE bookings (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  show_id INTEGER NOT NULL REFERENCES shows(id),
  seats_json TEXT NOT NULL,
  total_cents INTEGER NOT NULL,
  currency TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
  created_at INTEGER NOT NULL
);
CREATE INDEX bookings_user ON bookings(user_id, id);
CREATE INDEX bookings_show ON bookings(show_id);
-- The final judge: one live claim per seat of a show. Cancelling deletes the claims.
CREATE TABLE seat_claims (
  show_id INTEGER NOT NULL,
  seat TEXT NOT NULL,
  booking_id INTEGER NOT NULL REFERENCES bookings(id),
  PRIMARY KEY (show_id, seat)
) WITHOUT ROWID;
CREATE TABLE idempotency_keys (
  user_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  booking_id INTEGER NOT NULL REFERENCES bookings(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
)sql"},
      {3, "cancel by booking, theater time zones", R"sql(
CREATE INDEX seat_claims_booking ON seat_claims(booking_id);
ALTER TABLE theaters ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
)sql"},
      // A show keeps its theater's zone and the local calendar day it starts on, so that
      // ?date= (a day in each theater's zone) and the (starts_at, id) order are plain indexed
      // SQL. tz_local_day(zone, unix_seconds) is defined by the store from the system's tzdata.
      {4, "show time zones and local days, lists in start order", R"sql(
ALTER TABLE shows ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE shows ADD COLUMN local_day INTEGER NOT NULL DEFAULT 0;
UPDATE shows SET timezone = (SELECT t.timezone FROM theaters t WHERE t.id = shows.theater_id);
UPDATE shows SET local_day = tz_local_day(timezone, starts_at);
DROP INDEX shows_movie;
DROP INDEX shows_theater;
CREATE INDEX shows_movie_start ON shows(movie_id, starts_at);
CREATE INDEX shows_theater_start ON shows(theater_id, starts_at);
CREATE INDEX shows_day_start ON shows(local_day, starts_at);
)sql"},
      // Idempotency records are purged after 24 h (Store::purge_expired), by age.
      {5, "idempotency records expire", R"sql(
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
)sql"},
      // SQLite gives a new row the largest rowid + 1, so deleting the newest movie (and its
      // shows) handed their ids out again: an old link, cached page, watcher or hold then
      // pointed at a different movie or show. Deletable tables now take ids from a counter
      // that only grows (SqliteStore's next_id). PostgreSQL's identity columns never reuse.
      // Also the secrets table (Store::secret).
      {6, "ids of deleted movies and shows are never reused, secrets", R"sql(
CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE id_counters (
  name TEXT PRIMARY KEY,
  last INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO id_counters (name, last) VALUES
  ('movies', (SELECT coalesce(max(id), 0) FROM movies)),
  ('shows', (SELECT coalesce(max(id), 0) FROM shows));
)sql"},
  };
  return migrations;
}

}  // namespace boxoffice
