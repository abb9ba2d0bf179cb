#pragma once
// RESP2 encoding and parsing, by hiredis 0.14's standalone encoder (redisFormatCommandArgv) and
// reader (redisReaderCreate/Feed/GetReply); no hiredis I/O, no hiredis types in this header.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coord/redis/redis_value.hpp"

namespace boxoffice::redis {

// Appends one command (binary-safe arguments) to `out` in RESP.
void encode_command(const std::vector<std::string>& args, std::string& out);

// Incremental reply parser for one connection's byte stream.
class ReplyParser {
 public:
  ReplyParser();
  ~ReplyParser();
  ReplyParser(const ReplyParser&) = delete;
  ReplyParser& operator=(const ReplyParser&) = delete;

  // Hands bytes to the parser (copied into its buffer). Throws RedisError(protocol) when the
  // parser is already in error.
  void feed(std::string_view bytes);
  // The next complete reply, nullopt when more bytes are needed. Throws RedisError(protocol)
  // on malformed input (the stream cannot be resynchronised: drop the connection).
  std::optional<RedisValue> next();
  // Bytes fed since the last complete reply: the size on the wire of the reply still arriving
  // (an upper bound on what it holds in memory). A connection bounds it.
  std::size_t partial_bytes() const noexcept { return partial_; }

 private:
  void* reader_;  // redisReader*
  std::size_t partial_ = 0;
};

// Parses every complete reply in `bytes` (tests and recorded replies); throws on malformed or
// trailing incomplete input.
std::vector<RedisValue> parse_all(std::string_view bytes);

}  // namespace boxoffice::redis
