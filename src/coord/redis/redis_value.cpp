#include "coord/redis/redis_value.hpp"

#include <charconv>

namespace boxoffice::redis {

std::string_view RedisValue::error_prefix() const noexcept {
  if (type_ != Type::error) return {};
  const std::string_view s = str_;
  return s.substr(0, s.find(' '));
}

std::int64_t RedisValue::as_int() const {
  if (type_ == Type::integer) return int_;
  if (type_ == Type::string || type_ == Type::status) {
    std::int64_t out = 0;
    const char* end = str_.data() + str_.size();
    auto [p, ec] = std::from_chars(str_.data(), end, out);
    if (ec == std::errc() && p == end && !str_.empty()) return out;
  }
  throw std::invalid_argument("not an integer reply: " + debug_string());
}

const std::string& RedisValue::as_string() const {
  if (type_ == Type::string || type_ == Type::status || type_ == Type::error) return str_;
  throw std::invalid_argument("not a string reply: " + debug_string());
}

const std::vector<RedisValue>& RedisValue::as_array() const {
  if (type_ == Type::array) return items_;
  throw std::invalid_argument("not an array reply: " + debug_string());
}

std::vector<RedisValue> RedisValue::take_array() && {
  if (type_ != Type::array) throw std::invalid_argument("not an array reply: " + debug_string());
  return std::move(items_);
}

std::string RedisValue::debug_string() const {
  switch (type_) {
    case Type::nil:
      return "(nil)";
    case Type::status:
      return "+" + str_;
    case Type::error:
      return "-" + str_;
    case Type::integer:
      return ":" + std::to_string(int_);
    case Type::string:
      return "\"" + str_ + "\"";
    case Type::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < items_.size(); ++i) {
        if (i) out += ", ";
        out += items_[i].debug_string();
      }
      return out + "]";
    }
  }
  return "?";
}

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::connect:
      return "connect";
    case ErrorKind::not_sent:
      return "not_sent";
    case ErrorKind::lost:
      return "lost";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::overloaded:
      return "overloaded";
    case ErrorKind::protocol:
      return "protocol";
    case ErrorKind::unavailable:
      return "unavailable";
    case ErrorKind::closed:
      return "closed";
  }
  return "?";
}

}  // namespace boxoffice::redis
