#pragma once
// One JSON object per line, written by spdlog's asynchronous logger so that logging never
// waits on the terminal or disk on an I/O thread.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace boxoffice::logging {

enum class Level { debug, info, warn, error };

// Parses "debug", "info", "warn", "error".
bool parse_level(std::string_view text, Level& out);
void init(Level level);
void shutdown();
bool enabled(Level level);

void append_json_string(std::string& out, std::string_view s);

using Field = std::pair<std::string_view, std::string_view>;
void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});
// Writes an already formatted JSON object line (the access log).
void write_raw(Level level, std::string line);

inline void debug(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::debug, msg, f);
}
inline void info(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::info, msg, f);
}
inline void warn(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::warn, msg, f);
}
inline void error(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::error, msg, f);
}

}  // namespace boxoffice::logging
