#include "http/input.hpp"

#include <charconv>
#include <cmath>

#include "domain/validation.hpp"

namespace boxoffice::http {

bool is_json_content_type(std::string_view ct) {
  const auto semi = ct.find(';');
  auto type = ct.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  std::string lower(type);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "application/json" || (lower.rfind("application/", 0) == 0 && lower.size() > 17 &&
                                         lower.compare(lower.size() - 5, 5, "+json") == 0);
}

Result<json::object> read_json_object(const Request& req) {
  if (req.body.empty()) return Error::bad_request("this call needs a JSON object body");
  if (!is_json_content_type(req.content_type))
    return Error::make(Problem::unsupported_media_type, "the body must be application/json");
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 32;
  json::value v = json::parse(req.body, ec, {}, opts);
  if (ec)
    return Error::make(Problem::malformed_json, "the body is not valid JSON: " + ec.message());
  if (!v.is_object()) return Error::make(Problem::malformed_json, "the body must be a JSON object");
  return std::move(v.as_object());
}

Result<Id> path_id(const Request& req, std::size_t i, std::string_view what) {
  const std::string& s = i < req.params.size() ? req.params[i] : std::string();
  Id id = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || id <= 0)
    return Error::not_found(std::string(what) + " '" + s.substr(0, 32) + "' does not exist");
  return id;
}

std::optional<Id> query_id(const Request& req, std::string_view name,
                           std::vector<FieldError>& errors) {
  const std::string* v = req.query_param(name);
  if (!v) return std::nullopt;
  Id id = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), id);
  if (v->empty() || ec != std::errc{} || p != v->data() + v->size() || id <= 0) {
    errors.push_back({std::string(name), "must be a positive integer"});
    return std::nullopt;
  }
  return id;
}

Result<int> list_limit(const Request& req) {
  const std::string* l = req.query_param("limit");
  if (!l) return 50;
  int n = 0;
  auto [ptr, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
  if (l->empty() || ec != std::errc{} || ptr != l->data() + l->size() || n < 1 || n > 200)
    return Error::make(Problem::bad_query, "limit must be a whole number from 1 to 200");
  return n;
}

Result<PageParams> page_params(const Request& req) {
  PageParams p;
  auto limit = list_limit(req);
  if (!limit) return limit.error();
  p.limit = *limit;
  if (const std::string* c = req.query_param("cursor"); c && !c->empty()) {
    auto after = decode_cursor(*c);
    if (!after) return Error::make(Problem::bad_query, "cursor is not one this server gave out");
    p.after_id = *after;
  }
  return p;
}

std::optional<std::int64_t> as_integer(const json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.as_uint64());
  if (v.is_double()) {
    const double d = v.as_double();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)
      return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

const json::value* Fields::value(std::string_view name) const {
  auto it = o_.find(name);
  return it == o_.end() ? nullptr : &it->value();
}

void Fields::error(std::string_view name, std::string message) {
  errors_.push_back({field(name), std::move(message)});
}

std::optional<std::string> Fields::string(std::string_view name, bool required) {
  const json::value* v = value(name);
  if (!v || v->is_null()) {
    if (required) error(name, "is required");
    return std::nullopt;
  }
  if (!v->is_string()) {
    error(name, "must be a string");
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<std::int64_t> Fields::integer(std::string_view name, bool required) {
  const json::value* v = value(name);
  if (!v || v->is_null()) {
    if (required) error(name, "is required");
    return std::nullopt;
  }
  auto n = as_integer(*v);
  if (!n) error(name, "must be an integer");
  return n;
}

std::optional<std::vector<std::string>> Fields::strings(std::string_view name, bool required) {
  const json::value* v = value(name);
  if (!v || v->is_null()) {
    if (required) error(name, "is required");
    return std::nullopt;
  }
  if (!v->is_array()) {
    error(name, "must be an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) {
      error(name, "must be an array of strings");
      return std::nullopt;
    }
    out.emplace_back(item.as_string());
  }
  return out;
}

}  // namespace boxoffice::http
