#pragma once
#include <span>

#include "store/migrations/sqlite_migrations.hpp"

namespace boxoffice {

// The same schema versions as sqlite_migrations(), written for PostgreSQL, where constraints
// (not a single writer) are the judges: a unique index on lower(email), an exclusion
// constraint against overlapping shows on one screen, one claim per seat of a show, one record
// per (user, idempotency key). Ordered, append-only.
std::span<const Migration> postgres_migrations();

}  // namespace boxoffice
