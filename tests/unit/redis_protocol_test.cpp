// Redis replies and requests without I/O: RESP parsing into RedisValue (whole, split at every
// byte, malformed), command encoding, error prefixes, SHA-1 for script names.
#include <gtest/gtest.h>

#include <string>

#include "coord/redis/redis_value.hpp"
#include "coord/redis/resp.hpp"
#include "coord/redis/sha1.hpp"

namespace boxoffice::redis {
namespace {

using namespace std::string_literals;

TEST(RedisValue, ConvertsEveryReplyType) {
  const auto v = parse_all(
      "+OK\r\n-ERR wrong\r\n:42\r\n:-7\r\n$5\r\nhe\0lo\r\n$-1\r\n*-1\r\n$0\r\n\r\n"
      "*3\r\n:1\r\n*2\r\n+a\r\n$1\r\nb\r\n$-1\r\n*0\r\n"s);
  ASSERT_EQ(v.size(), 10u);
  EXPECT_TRUE(v[0].is_status("OK"));
  EXPECT_TRUE(v[1].is_error());
  EXPECT_EQ(v[1].as_string(), "ERR wrong");
  EXPECT_EQ(v[2].as_int(), 42);
  EXPECT_EQ(v[3].as_int(), -7);
  EXPECT_TRUE(v[4].is_string());
  EXPECT_EQ(v[4].as_string(), std::string("he\0lo", 5));  // binary safe
  EXPECT_TRUE(v[5].is_nil());
  EXPECT_TRUE(v[6].is_nil());
  EXPECT_TRUE(v[7].is_string());
  EXPECT_EQ(v[7].as_string(), "");
  ASSERT_TRUE(v[8].is_array());
  EXPECT_EQ(v[8].size(), 3u);
  EXPECT_EQ(v[8][0].as_int(), 1);
  EXPECT_EQ(v[8][1][0], RedisValue::status("a"));
  EXPECT_EQ(v[8][1][1], RedisValue::string("b"));
  EXPECT_TRUE(v[8][2].is_nil());
  EXPECT_TRUE(v[9].is_array());
  EXPECT_EQ(v[9].size(), 0u);
  EXPECT_EQ(v[8].debug_string(), "[:1, [+a, \"b\"], (nil)]");
}

TEST(RedisValue, Accessors) {
  EXPECT_EQ(RedisValue::string("123").as_int(), 123);
  EXPECT_THROW(RedisValue::string("12x").as_int(), std::invalid_argument);
  EXPECT_THROW(RedisValue::string("").as_int(), std::invalid_argument);
  EXPECT_THROW(RedisValue::nil().as_string(), std::invalid_argument);
  EXPECT_THROW(RedisValue::integer(1).as_array(), std::invalid_argument);
  EXPECT_THROW(RedisValue::array({})[0], std::out_of_range);
  std::vector<RedisValue> items =
      RedisValue::array({RedisValue::integer(1), RedisValue::integer(2)}).take_array();
  EXPECT_EQ(items.size(), 2u);
}

TEST(RedisValue, ErrorPrefixes) {
  const char* cases[][2] = {
      {"MOVED 3999 127.0.0.1:6381", "MOVED"},
      {"ASK 3999 127.0.0.1:6381", "ASK"},
      {"TRYAGAIN Multiple keys request during rehashing of slot", "TRYAGAIN"},
      {"CLUSTERDOWN The cluster is down", "CLUSTERDOWN"},
      {"NOSCRIPT No matching script. Please use EVAL.", "NOSCRIPT"},
      {"LOADING Redis is loading the dataset in memory", "LOADING"},
      {"READONLY You can't write against a read only replica.", "READONLY"},
      {"WRONGTYPE Operation against a key holding the wrong kind of value", "WRONGTYPE"},
      {"ERR", "ERR"},
  };
  for (const auto& c : cases) EXPECT_EQ(RedisValue::error(c[0]).error_prefix(), c[1]);
  EXPECT_EQ(RedisValue::status("OK").error_prefix(), "");
  EXPECT_EQ(RedisValue::string("MOVED 1 a:1").error_prefix(), "");
}

TEST(RedisResp, ParsesRepliesSplitAtEveryByte) {
  const std::string bytes =
      "*2\r\n$8\r\nsmessage\r\n*3\r\n$4\r\nshow\r\n:12\r\n$-1\r\n+PONG\r\n-ERR x\r\n";
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    ReplyParser p;
    std::vector<RedisValue> out;
    p.feed(std::string_view(bytes).substr(0, cut));
    while (auto v = p.next()) out.push_back(std::move(*v));
    p.feed(std::string_view(bytes).substr(cut));
    while (auto v = p.next()) out.push_back(std::move(*v));
    ASSERT_EQ(out.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(out[0][1][1].as_int(), 12);
    EXPECT_TRUE(out[1].is_status("PONG"));
    EXPECT_EQ(out[2].error_prefix(), "ERR");
    EXPECT_EQ(p.partial_bytes(), 0u);
  }
}

TEST(RedisResp, CountsTheBytesOfTheReplyStillArriving) {
  ReplyParser p;
  p.feed("$10\r\n01234");
  EXPECT_FALSE(p.next());
  EXPECT_EQ(p.partial_bytes(), 10u);
  p.feed("56789\r\n:1");
  EXPECT_TRUE(p.next());
  EXPECT_EQ(p.partial_bytes(), 2u);
}

TEST(RedisResp, MalformedInputThrows) {
  ReplyParser p;
  p.feed("?what\r\n");
  EXPECT_THROW(p.next(), RedisError);
  EXPECT_THROW(parse_all("$3\r\nab"), RedisError);  // incomplete
  try {
    ReplyParser q;
    q.feed("!\r\n");
    q.next();
    FAIL();
  } catch (const RedisError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::protocol);
  }
}

TEST(RedisResp, EncodesBinarySafeCommands) {
  std::string out;
  encode_command({"SET", "k", std::string("a\0\r\nb", 5)}, out);
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\0\r\nb\r\n"s);
  encode_command({"PING"}, out);
  EXPECT_EQ(out.substr(out.size() - 14), "*1\r\n$4\r\nPING\r\n");
  std::string empty_arg;
  encode_command({"ECHO", ""}, empty_arg);
  EXPECT_EQ(empty_arg, "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
}

TEST(RedisSha1, KnownVectors) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(sha1_hex("The quick brown fox jumps over the lazy dog"),
            "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
  EXPECT_EQ(sha1_hex(std::string(1'000'000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  // Lengths around the padding boundaries (55, 56, 63, 64 bytes).
  EXPECT_EQ(sha1_hex(std::string(55, 'a')), "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  EXPECT_EQ(sha1_hex(std::string(56, 'a')), "c2db330f6083854c99d4b5bfb6e8f29f201be699");
  EXPECT_EQ(sha1_hex(std::string(64, 'a')), "0098ba824b5c16427bd7a1122a5a442a25ec644d");
  // What Redis names the script `return 1` (SCRIPT LOAD answers the same).
  EXPECT_EQ(sha1_hex("return 1"), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

}  // namespace
}  // namespace boxoffice::redis
