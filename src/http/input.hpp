#pragma once
// Turning request bytes into typed values, with the API's error statuses:
// 415 wrong content type, 400 malformed JSON or query, 422 invalid fields, 404 bad path ids.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "domain/models.hpp"
#include "domain/result.hpp"
#include "http/message.hpp"

namespace boxoffice::http {

namespace json = boost::json;

bool is_json_content_type(std::string_view content_type);
// The body as a JSON object (400/415 otherwise).
Result<json::object> read_json_object(const Request& req);
// The i-th path parameter as a positive id; 404 otherwise (no such resource can exist).
Result<Id> path_id(const Request& req, std::size_t i, std::string_view what);

struct PageParams {
  Id after_id = 0;
  int limit = 50;
};
Result<PageParams> page_params(const Request& req);
// Only the limit, for lists whose cursors are not plain ids.
Result<int> list_limit(const Request& req);
std::optional<Id> query_id(const Request& req, std::string_view name,
                           std::vector<FieldError>& errors);

// Reads typed members, collecting 422 field errors instead of failing on the first.
class Fields {
 public:
  explicit Fields(const json::object& o, std::string prefix = "")
      : o_(o), prefix_(std::move(prefix)) {}
  std::optional<std::string> string(std::string_view name, bool required);
  std::optional<std::int64_t> integer(std::string_view name, bool required);
  std::optional<std::vector<std::string>> strings(std::string_view name, bool required);
  const json::value* value(std::string_view name) const;
  void error(std::string_view name, std::string message);
  std::vector<FieldError>& errors() { return errors_; }
  std::string field(std::string_view name) const { return prefix_ + std::string(name); }

 private:
  const json::object& o_;
  std::string prefix_;
  std::vector<FieldError> errors_;
};

std::optional<std::int64_t> as_integer(const json::value& v);

}  // namespace boxoffice::http
