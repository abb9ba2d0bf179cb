// Redis Cluster key space without I/O: CRC16, hash tags, slot maps parsed from recorded
// CLUSTER SHARDS / CLUSTER SLOTS replies, MOVED/ASK parsing.
#include <gtest/gtest.h>

#include "coord/redis/cluster_slots.hpp"
#include "coord/redis/resp.hpp"
#include "redis_recorded_replies.hpp"

namespace boxoffice::redis {
namespace {

namespace rec = recorded;

NodeAddress local(int port) {
  return NodeAddress{"127.0.0.1", static_cast<std::uint16_t>(port)};
}

RedisValue parse_one(std::string_view bytes) {
  std::vector<RedisValue> all = parse_all(bytes);
  EXPECT_EQ(all.size(), 1u);
  return all.at(0);
}

TEST(RedisSlots, Crc16IsXmodem) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);
  EXPECT_EQ(crc16(""), 0);
  EXPECT_EQ(crc16("foo"), 0xAF96);
}

TEST(RedisSlots, SlotsOfKnownKeys) {
  EXPECT_EQ(slot_of("foo"), 12182);
  EXPECT_EQ(slot_of("bar"), 5061);
  EXPECT_EQ(slot_of("hello"), 866);
  EXPECT_EQ(slot_of(""), 0);
  for (int i = 0; i < 2000; ++i) EXPECT_LT(slot_of("key:" + std::to_string(i)), kSlotCount);
}

TEST(RedisSlots, HashTags) {
  EXPECT_EQ(slot_of("{user1000}.following"), slot_of("{user1000}.followers"));
  EXPECT_EQ(slot_of("{user1000}.following"), slot_of("user1000"));
  EXPECT_EQ(hash_tag("{user1000}.following"), "user1000");
  // An empty tag: the whole key is hashed.
  EXPECT_EQ(hash_tag("foo{}{bar}"), "foo{}{bar}");
  EXPECT_EQ(slot_of("foo{}{bar}"), crc16("foo{}{bar}") % kSlotCount);
  // The first '{' and the first '}' after it.
  EXPECT_EQ(hash_tag("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(slot_of("foo{{bar}}zap"), slot_of("{bar"));
  EXPECT_EQ(slot_of("foo{{bar}}zap"), 4015);
  EXPECT_EQ(hash_tag("foo{bar}{zap}"), "bar");
  EXPECT_EQ(slot_of("foo{bar}{zap}"), slot_of("bar"));
  // No closing brace, or none at all.
  EXPECT_EQ(hash_tag("foo{bar"), "foo{bar");
  EXPECT_EQ(hash_tag("foo}bar{"), "foo}bar{");
  EXPECT_EQ(hash_tag("plain"), "plain");
  EXPECT_EQ(hash_tag("{a}"), "a");
}

TEST(RedisSlots, Addresses) {
  EXPECT_EQ(parse_address("127.0.0.1:6379"), local(6379));
  EXPECT_EQ(parse_address("redis-0.svc:7000"), (NodeAddress{"redis-0.svc", 7000}));
  EXPECT_EQ(parse_address("[::1]:7000"), (NodeAddress{"::1", 7000}));
  EXPECT_EQ(parse_address("::1:7000"), (NodeAddress{"::1", 7000}));
  EXPECT_EQ((NodeAddress{"::1", 7000}).to_string(), "[::1]:7000");
  EXPECT_EQ(local(7000).to_string(), "127.0.0.1:7000");
  EXPECT_FALSE(parse_address("nohost"));
  EXPECT_FALSE(parse_address("host:0"));
  EXPECT_FALSE(parse_address("host:70000"));
  EXPECT_FALSE(parse_address("host:12x"));
  EXPECT_FALSE(parse_address(":7000"));  // empty host with nobody asked
  const NodeAddress asked = local(7001);
  EXPECT_EQ(parse_address(":7005", &asked), local(7005));
}

TEST(RedisSlots, Redirects) {
  const NodeAddress asked = local(7000);
  auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381", asked);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->kind, Redirect::Kind::moved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->node, local(6381));
  auto ask = parse_redirect("ASK 3999 127.0.0.1:6381", asked);
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->kind, Redirect::Kind::ask);
  EXPECT_EQ(ask->slot, 3999);
  EXPECT_EQ(ask->node, local(6381));
  // An unknown endpoint: the node we asked, on the port given.
  auto same_host = parse_redirect("MOVED 12182 :6390", asked);
  ASSERT_TRUE(same_host);
  EXPECT_EQ(same_host->node, local(6390));
  auto v6 = parse_redirect("MOVED 1 ::1:7002", asked);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->node, (NodeAddress{"::1", 7002}));
  EXPECT_FALSE(parse_redirect("ERR unknown command", asked));
  EXPECT_FALSE(parse_redirect("MOVED 16384 127.0.0.1:6381", asked));
  EXPECT_FALSE(parse_redirect("MOVED -1 127.0.0.1:6381", asked));
  EXPECT_FALSE(parse_redirect("MOVED 12 127.0.0.1", asked));
  EXPECT_FALSE(parse_redirect("MOVED", asked));
  EXPECT_FALSE(parse_redirect("ASKING 1 127.0.0.1:1", asked));
}

void expect_recorded_layout(const SlotMap& m, const std::string& host) {
  auto at = [&](int port) { return NodeAddress{host, static_cast<std::uint16_t>(port)}; };
  EXPECT_EQ(m.covered(), kSlotCount);
  ASSERT_TRUE(m.master_of(0));
  EXPECT_EQ(*m.master_of(0), at(rec::kPorts[0]));
  EXPECT_EQ(*m.master_of(5460), at(rec::kPorts[0]));
  EXPECT_EQ(*m.master_of(5461), at(rec::kPorts[1]));
  EXPECT_EQ(*m.master_of(10922), at(rec::kPorts[1]));
  EXPECT_EQ(*m.master_of(10923), at(rec::kPorts[2]));
  EXPECT_EQ(*m.master_of(16383), at(rec::kPorts[2]));
  EXPECT_EQ(*m.master_of(slot_of("foo")), at(rec::kPorts[2]));  // as the MOVED replies said
  EXPECT_EQ(m.masters().size(), 3u);
  EXPECT_TRUE(m.is_master(at(rec::kPorts[1])));
  EXPECT_FALSE(m.is_master(at(rec::kPorts[3])));
}

TEST(RedisSlots, MapFromRecordedClusterShards) {
  const RedisValue reply = parse_one(rec::kShards);
  const SlotMap m = SlotMap::from_shards(reply, local(rec::kPorts[0]));
  expect_recorded_layout(m, "127.0.0.1");
  // Shards carry their replicas.
  ASSERT_TRUE(m.shard_of(0));
  EXPECT_EQ(m.shard_of(0)->replicas, std::vector<NodeAddress>{local(rec::kPorts[4])});
  EXPECT_EQ(m.shard_of(6000)->replicas, std::vector<NodeAddress>{local(rec::kPorts[5])});
  EXPECT_EQ(m.shard_of(16000)->replicas, std::vector<NodeAddress>{local(rec::kPorts[3])});
  EXPECT_EQ(m.nodes().size(), 6u);
  EXPECT_EQ(m.describe(), "0-5460 127.0.0.1:" + std::to_string(rec::kPorts[0]) +
                              "; 5461-10922 127.0.0.1:" + std::to_string(rec::kPorts[1]) +
                              "; 10923-16383 127.0.0.1:" + std::to_string(rec::kPorts[2]));
}

TEST(RedisSlots, MapFromRecordedClusterSlots) {
  const RedisValue reply = parse_one(rec::kSlots);
  const SlotMap m = SlotMap::from_slots(reply, local(rec::kPorts[0]));
  expect_recorded_layout(m, "127.0.0.1");
}

TEST(RedisSlots, AnEmptyEndpointIsTheNodeAsked) {
  // With cluster-preferred-endpoint-type unknown-endpoint the node reports an empty endpoint
  // (SHARDS) or NULL (SLOTS): connect to the host we asked, on the port given.
  const NodeAddress asked{"10.1.2.3", static_cast<std::uint16_t>(rec::kPorts[0])};
  expect_recorded_layout(SlotMap::from_shards(parse_one(rec::kShardsUnknown), asked), "10.1.2.3");
  expect_recorded_layout(SlotMap::from_slots(parse_one(rec::kSlotsUnknown), asked), "10.1.2.3");
}

TEST(RedisSlots, AnUnknownHostnameFallsBackToTheIp) {
  // "?" is an unknown endpoint: the ip (SHARDS field, SLOTS metadata) is used instead.
  const NodeAddress asked{"10.1.2.3", static_cast<std::uint16_t>(rec::kPorts[0])};
  expect_recorded_layout(SlotMap::from_shards(parse_one(rec::kShardsHostname), asked), "127.0.0.1");
  expect_recorded_layout(SlotMap::from_slots(parse_one(rec::kSlotsHostname), asked), "127.0.0.1");
}

TEST(RedisSlots, UnknownNodesLeaveTheirSlotsUncovered) {
  // A CLUSTER SLOTS entry whose master endpoint is "?" and has no metadata.
  const RedisValue reply = RedisValue::array(
      {RedisValue::array({RedisValue::integer(0), RedisValue::integer(99),
                          RedisValue::array({RedisValue::string("?"), RedisValue::integer(7000)})}),
       RedisValue::array(
           {RedisValue::integer(100), RedisValue::integer(16383),
            RedisValue::array({RedisValue::string("127.0.0.1"), RedisValue::integer(7001)})})});
  const SlotMap m = SlotMap::from_slots(reply, local(7000));
  EXPECT_EQ(m.covered(), kSlotCount - 100);
  EXPECT_EQ(m.master_of(0), nullptr);
  EXPECT_EQ(*m.master_of(100), local(7001));
}

TEST(RedisSlots, AMasterWithoutSlotsIsNoShard) {
  // After a failover the old master is listed as its own shard with no slots.
  auto node = [](int port, const char* role, const char* health) {
    return RedisValue::array({RedisValue::string("id"), RedisValue::string("x"),
                              RedisValue::string("port"), RedisValue::integer(port),
                              RedisValue::string("ip"), RedisValue::string("127.0.0.1"),
                              RedisValue::string("endpoint"), RedisValue::string("127.0.0.1"),
                              RedisValue::string("role"), RedisValue::string(role),
                              RedisValue::string("health"), RedisValue::string(health)});
  };
  const RedisValue reply = RedisValue::array(
      {RedisValue::array({RedisValue::string("slots"), RedisValue::array({}),
                          RedisValue::string("nodes"),
                          RedisValue::array({node(7000, "master", "failed")})}),
       RedisValue::array({RedisValue::string("slots"),
                          RedisValue::array({RedisValue::integer(0), RedisValue::integer(16383)}),
                          RedisValue::string("nodes"),
                          RedisValue::array({node(7003, "master", "online")})})});
  const SlotMap m = SlotMap::from_shards(reply, local(7000));
  EXPECT_EQ(m.covered(), kSlotCount);
  EXPECT_EQ(m.masters(), std::vector<NodeAddress>{local(7003)});
  EXPECT_FALSE(m.is_master(local(7000)));
}

TEST(RedisSlots, MalformedRepliesThrow) {
  const NodeAddress asked = local(7000);
  EXPECT_THROW(SlotMap::from_shards(RedisValue::integer(1), asked), RedisError);
  EXPECT_THROW(SlotMap::from_slots(RedisValue::status("OK"), asked), RedisError);
  const RedisValue out_of_range = RedisValue::array({RedisValue::array(
      {RedisValue::integer(0), RedisValue::integer(16384),
       RedisValue::array({RedisValue::string("127.0.0.1"), RedisValue::integer(7000)})})});
  EXPECT_THROW(SlotMap::from_slots(out_of_range, asked), RedisError);
  const RedisValue reversed = RedisValue::array({RedisValue::array(
      {RedisValue::integer(10), RedisValue::integer(5),
       RedisValue::array({RedisValue::string("127.0.0.1"), RedisValue::integer(7000)})})});
  EXPECT_THROW(SlotMap::from_slots(reversed, asked), RedisError);
  const RedisValue bad_port = RedisValue::array({RedisValue::array(
      {RedisValue::integer(0), RedisValue::integer(5),
       RedisValue::array({RedisValue::string("127.0.0.1"), RedisValue::integer(0)})})});
  EXPECT_THROW(SlotMap::from_slots(bad_port, asked), RedisError);
  const RedisValue odd_ranges = RedisValue::array(
      {RedisValue::array({RedisValue::string("slots"), RedisValue::array({RedisValue::integer(0)}),
                          RedisValue::string("nodes"), RedisValue::array({})})});
  EXPECT_THROW(SlotMap::from_shards(odd_ranges, asked), RedisError);
}

TEST(RedisSlots, MovedPatchesOneSlot) {
  SlotMap m = SlotMap::from_shards(parse_one(rec::kShards), local(rec::kPorts[0]));
  m.assign(3999, local(rec::kPorts[1]));
  EXPECT_EQ(*m.master_of(3999), local(rec::kPorts[1]));
  EXPECT_EQ(*m.master_of(3998), local(rec::kPorts[0]));
  EXPECT_EQ(m.covered(), kSlotCount);
  // A node that was no master yet becomes one, for that slot.
  m.assign(0, local(9999));
  EXPECT_EQ(*m.master_of(0), local(9999));
  EXPECT_EQ(m.masters().size(), 4u);
  // Moving every slot away from a master makes it no master.
  for (int s = 0; s < kSlotCount; ++s) m.assign(static_cast<std::uint16_t>(s), local(9999));
  EXPECT_EQ(m.masters(), std::vector<NodeAddress>{local(9999)});
  EXPECT_EQ(m.describe(), "0-16383 127.0.0.1:9999");
}

TEST(RedisSlots, EmptyAndSingleMaps) {
  const SlotMap empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.master_of(5), nullptr);
  EXPECT_TRUE(empty.masters().empty());
  const SlotMap one = SlotMap::single(local(6379));
  EXPECT_EQ(one.covered(), kSlotCount);
  EXPECT_EQ(*one.master_of(0), local(6379));
  EXPECT_EQ(*one.master_of(16383), local(6379));
}

}  // namespace
}  // namespace boxoffice::redis
