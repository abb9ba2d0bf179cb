// BOXOFFICE_REDIS_URL's forms and scripts' names, as the Redis client reads them.
#include <gtest/gtest.h>

#include "coord/redis/redis_client.hpp"

namespace boxoffice::redis {
namespace {

TEST(RedisUrl, StandaloneAndClusterForms) {
  ClientOptions one = parse_redis_url("redis://127.0.0.1:6379");
  EXPECT_FALSE(one.cluster);
  ASSERT_EQ(one.seeds.size(), 1u);
  EXPECT_EQ(one.seeds[0], (NodeAddress{"127.0.0.1", 6379}));
  ClientOptions bare = parse_redis_url("redis-host:7000/");
  EXPECT_EQ(bare.seeds[0], (NodeAddress{"redis-host", 7000}));
  ClientOptions many = parse_redis_url("redis://h1:7001,redis://h2:7002, h3:7003");
  EXPECT_TRUE(many.cluster);
  ASSERT_EQ(many.seeds.size(), 3u);
  EXPECT_EQ(many.seeds[2], (NodeAddress{"h3", 7003}));
  ClientOptions v6 = parse_redis_url("redis://[::1]:7000");
  EXPECT_EQ(v6.seeds[0], (NodeAddress{"::1", 7000}));
  // Duplicates count once.
  EXPECT_FALSE(parse_redis_url("a:1,a:1").cluster);
  EXPECT_THROW(parse_redis_url(""), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://nohostport"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://a:1,,redis://b:2"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://a:70000"), std::invalid_argument);
  EXPECT_THROW(parse_redis_url("redis://:7000"), std::invalid_argument);
}

TEST(RedisScript, NamedByTheSha1OfItsSource) {
  const Script s("return 1");
  EXPECT_EQ(s.sha(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  EXPECT_EQ(s.source(), "return 1");
  const Script copy = s;
  EXPECT_EQ(&copy.source(), &s.source());  // copies share the text
}

}  // namespace
}  // namespace boxoffice::redis
