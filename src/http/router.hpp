#pragma once
// Routes are (method, template) pairs such as (GET, "/api/v1/shows/{id}/seats"); templates are
// matched segment by segment and their {params} captured in order.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "http/message.hpp"

namespace boxoffice::http {

struct Api;
using Handler = boost::asio::awaitable<Response> (*)(Api&, Request&);

struct Route {
  Method method;
  std::string pattern;
  Handler handler;
  bool websocket = false;  // upgraded by the server, see live/
};

class Router {
 public:
  explicit Router(std::vector<Route> routes);

  struct Match {
    const Route* route = nullptr;  // null: no route for this method
    std::vector<std::string> params;
    std::string allow;  // methods allowed on the path, when the method did not match
    bool path_known = false;
  };
  Match match(Method method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string> segments;  // "{}" for a parameter
  };
  static bool match_segments(const Compiled& c, std::string_view path,
                             std::vector<std::string>& params);
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

}  // namespace boxoffice::http
