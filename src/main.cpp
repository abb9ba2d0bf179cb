// boxoffice: a ticket booking server. See README.md.
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>

#include "app/application.hpp"
#include "app/config.hpp"
#include "http/api.hpp"

namespace {

using boxoffice::Config;

// Flags override the environment; both end up as variable name -> text.
std::map<std::string, std::string> gather(
    const std::map<std::string, std::optional<std::string>>& flags,
    const std::map<std::string, bool>& switches) {
  std::map<std::string, std::string> values;
  for (const auto& s : boxoffice::settings())
    if (const char* v = std::getenv(s.env)) values[s.env] = v;
  for (const auto& [env, v] : flags)
    if (v) values[env] = *v;
  for (const auto& [env, on] : switches)
    if (on) values[env] = "1";
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"boxoffice: ticket booking server for cinemas and events"};
  app.require_subcommand(1);
  auto* serve = app.add_subcommand("serve", "serve the HTTP/JSON and WebSocket API");
  auto* migrate = app.add_subcommand("migrate", "apply pending database migrations and exit");
  auto* version = app.add_subcommand("version", "print the version and exit");
  auto* routes = app.add_subcommand("routes", "list every route the server answers");

  std::map<std::string, std::optional<std::string>> flags;
  std::map<std::string, bool> switches;
  for (const auto& s : boxoffice::settings()) {
    const std::string help = std::string(s.help) + " [env: " + s.env + "]";
    if (s.is_switch) {
      serve->add_flag(s.flag, switches[s.env], help);
    } else {
      serve->add_option(s.flag, flags[s.env], help);
    }
  }
  std::optional<std::string> migrate_dir;
  migrate->add_option("--data-dir", migrate_dir,
                      "embedded store location [env: BOXOFFICE_DATA_DIR]");
  std::optional<std::string> migrate_db;
  migrate->add_option("--command-db-url", migrate_db,
                      "PostgreSQL to migrate instead of the embedded store "
                      "[env: BOXOFFICE_COMMAND_DB_URL]");

  CLI11_PARSE(app, argc, argv);

  if (version->parsed()) {
    std::cout << "boxoffice " << BOXOFFICE_VERSION << "\n";
    return 0;
  }
  if (routes->parsed()) {
    for (const auto& r : boxoffice::http::api_routes())
      std::cout << boxoffice::http::method_name(r.method) << " " << r.pattern << "\n";
    return 0;
  }
  if (migrate->parsed()) {
    flags["BOXOFFICE_DATA_DIR"] = migrate_dir;
    flags["BOXOFFICE_COMMAND_DB_URL"] = migrate_db;
  }
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  auto config = boxoffice::parse_config(gather(flags, switches), cores);
  if (!config) {
    const auto& e = config.error();
    std::cerr << (e.fields.empty() ? e.detail : e.fields.front().message) << "\n";
    return 2;
  }
  if (migrate->parsed()) return boxoffice::migrate(*config);
  return boxoffice::serve(*config);
}
