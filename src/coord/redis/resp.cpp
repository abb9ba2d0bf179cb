#include "coord/redis/resp.hpp"

#include <hiredis/hiredis.h>

#include <memory>
#include <new>

namespace boxoffice::redis {

namespace {

redisReader* reader_of(void* p) {
  return static_cast<redisReader*>(p);
}

// Converted at parse time; hiredis' own tree is freed right after.
RedisValue convert(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
      return RedisValue::string(std::string(r->str, r->len));
    case REDIS_REPLY_STATUS:
      return RedisValue::status(std::string(r->str, r->len));
    case REDIS_REPLY_ERROR:
      return RedisValue::error(std::string(r->str, r->len));
    case REDIS_REPLY_INTEGER:
      return RedisValue::integer(r->integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<RedisValue> items;
      items.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) items.push_back(convert(r->element[i]));
      return RedisValue::array(std::move(items));
    }
    case REDIS_REPLY_NIL:
    default:
      return RedisValue::nil();
  }
}

struct FreeReply {
  void operator()(void* r) const noexcept { freeReplyObject(r); }
};

}  // namespace

void encode_command(const std::vector<std::string>& args, std::string& out) {
  // Small vectors on the stack would need a bound; commands have few arguments, so the heap
  // cost is two allocations per command.
  std::vector<const char*> argv(args.size());
  std::vector<std::size_t> lens(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  char* cmd = nullptr;
  const int n =
      redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv.data(), lens.data());
  if (n < 0 || !cmd) throw std::bad_alloc();
  out.append(cmd, static_cast<std::size_t>(n));
  redisFreeCommand(cmd);
}

ReplyParser::ReplyParser() : reader_(redisReaderCreate()) {
  if (!reader_) throw std::bad_alloc();
}

ReplyParser::~ReplyParser() {
  redisReaderFree(reader_of(reader_));
}

void ReplyParser::feed(std::string_view bytes) {
  redisReader* r = reader_of(reader_);
  if (redisReaderFeed(r, bytes.data(), bytes.size()) != REDIS_OK)
    throw RedisError(ErrorKind::protocol, std::string("bad reply: ") + r->errstr);
  partial_ += bytes.size();
}

std::optional<RedisValue> ReplyParser::next() {
  redisReader* r = reader_of(reader_);
  void* raw = nullptr;
  if (redisReaderGetReply(r, &raw) != REDIS_OK)
    throw RedisError(ErrorKind::protocol, std::string("bad reply: ") + r->errstr);
  if (!raw) return std::nullopt;
  std::unique_ptr<void, FreeReply> owned(raw);
  partial_ = r->buf ? r->len - r->pos : 0;
  return convert(static_cast<const redisReply*>(raw));
}

std::vector<RedisValue> parse_all(std::string_view bytes) {
  ReplyParser p;
  p.feed(bytes);
  std::vector<RedisValue> out;
  while (auto v = p.next()) out.push_back(std::move(*v));
  if (p.partial_bytes() != 0) throw RedisError(ErrorKind::protocol, "incomplete reply");
  return out;
}

}  // namespace boxoffice::redis
