#pragma once
#include <span>

namespace boxoffice {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Ordered, append-only: a released migration is never edited, only followed by a new one.
std::span<const Migration> sqlite_migrations();

}  // namespace boxoffice
