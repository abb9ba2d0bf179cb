#pragma once
#include "app/config.hpp"

namespace boxoffice {

// `boxoffice serve`: wires the backends to the ports, serves until SIGTERM; the exit code.
int serve(const Config& config);
// `boxoffice migrate`: applies pending migrations and exits.
int migrate(const Config& config);

}  // namespace boxoffice
