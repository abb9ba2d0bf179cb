#include "http/router.hpp"

namespace boxoffice::http {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const auto j = path.find('/', i);
    const auto end = j == std::string_view::npos ? path.size() : j;
    out.push_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace

Router::Router(std::vector<Route> routes) : routes_(std::move(routes)) {
  for (const auto& r : routes_) {
    Compiled c;
    for (auto seg : split(r.pattern))
      c.segments.emplace_back(
          seg.size() >= 2 && seg.front() == '{' && seg.back() == '}' ? "{}" : std::string(seg));
    compiled_.push_back(std::move(c));
  }
}

bool Router::match_segments(const Compiled& c, std::string_view path,
                            std::vector<std::string>& params) {
  params.clear();
  // A trailing slash is not the same resource; "/" is the root.
  if (path.empty() || path.front() != '/') return false;
  if (path.size() > 1 && path.back() == '/') return false;
  const auto parts = split(path);
  if (parts.size() != c.segments.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (c.segments[i] == "{}")
      params.emplace_back(parts[i]);
    else if (c.segments[i] != parts[i])
      return false;
  }
  return true;
}

Router::Match Router::match(Method method, std::string_view path) const {
  Match m;
  std::vector<std::string> params;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (!match_segments(compiled_[i], path, params)) continue;
    m.path_known = true;
    const Method rm = routes_[i].method;
    if (rm == method || (method == Method::head && rm == Method::get)) {
      m.route = &routes_[i];
      m.params = std::move(params);
      return m;
    }
    if (m.allow.find(method_name(rm)) == std::string::npos) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += method_name(rm);
      if (rm == Method::get) m.allow += ", HEAD";
    }
  }
  return m;
}

}  // namespace boxoffice::http
