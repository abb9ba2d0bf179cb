#pragma once
// Redis Cluster's key space, without I/O: CRC16 and hash tags, node addresses, the slot map as
// reported by CLUSTER SHARDS (7.0+) or CLUSTER SLOTS (older servers), and MOVED/ASK redirects.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coord/redis/redis_value.hpp"

namespace boxoffice::redis {

inline constexpr int kSlotCount = 16384;

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the cluster specification's.
std::uint16_t crc16(std::string_view data) noexcept;
// The part of a key that is hashed: the text between the first '{' and the first '}' after it
// when that text is not empty, else the whole key.
std::string_view hash_tag(std::string_view key) noexcept;
// CRC16(hash_tag(key)) mod 16384.
std::uint16_t slot_of(std::string_view key) noexcept;

struct NodeAddress {
  std::string host;
  std::uint16_t port = 0;
  auto operator<=>(const NodeAddress&) const = default;
  // host:port, or [v6]:port.
  std::string to_string() const;
};

// "host:port", "[v6]:port", or "v6:port" (the last colon separates the port, as Redis writes
// IPv6 endpoints in MOVED). An empty host is "the node you asked" when `asked` is given.
std::optional<NodeAddress> parse_address(std::string_view text, const NodeAddress* asked = nullptr);

// A master and its replicas.
struct Shard {
  NodeAddress master;
  std::vector<NodeAddress> replicas;
};

class SlotMap {
 public:
  SlotMap();  // nothing covered
  // Standalone: every slot on one node.
  static SlotMap single(NodeAddress node);
  // From the reply of CLUSTER SHARDS / CLUSTER SLOTS sent to `asked` (an empty or NULL endpoint
  // in the reply is that node; "?" is an unknown endpoint and that node is left out). Throws
  // RedisError(protocol) when the reply is not of the documented shape.
  static SlotMap from_shards(const RedisValue& reply, const NodeAddress& asked);
  static SlotMap from_slots(const RedisValue& reply, const NodeAddress& asked);

  // The master serving `slot`; nullptr when no node covers it.
  const NodeAddress* master_of(std::uint16_t slot) const noexcept;
  const Shard* shard_of(std::uint16_t slot) const noexcept;
  // After MOVED: `slot` is now served by `master` (a new shard when the node is not a master
  // yet). Until the next full refresh replaces the map, at most one extra shard per distinct
  // MOVED target can appear: bounded by the nodes of the cluster.
  void assign(std::uint16_t slot, const NodeAddress& master);

  // Masters that serve at least one slot, in shard order (no duplicates).
  std::vector<NodeAddress> masters() const;
  // Every node named by the map (masters first, then replicas).
  std::vector<NodeAddress> nodes() const;
  bool is_master(const NodeAddress& node) const noexcept;
  // Number of slots some node serves (16384 on a healthy cluster).
  int covered() const noexcept { return covered_; }
  bool empty() const noexcept { return covered_ == 0; }
  // Contiguous ranges per master, for logs and tests: "0-5460 127.0.0.1:7000; ...".
  std::string describe() const;

 private:
  static constexpr std::uint16_t kNone = 0xFFFF;
  std::uint16_t shard_index(const NodeAddress& master);
  void set(std::uint16_t slot, std::uint16_t shard) noexcept;

  // One per master named by the last refresh plus MOVED targets since (see assign); replaced
  // whole by the next refresh.
  std::vector<Shard> shards_;
  std::vector<int> slots_per_shard_;  // parallel to shards_
  std::vector<std::uint16_t> owner_;  // kSlotCount entries: an index into shards_, or kNone
  int covered_ = 0;
};

struct Redirect {
  enum class Kind { moved, ask };
  Kind kind = Kind::moved;
  std::uint16_t slot = 0;
  NodeAddress node;
};

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381" (the text of an error reply, without
// the leading '-'); an empty host ("MOVED 3999 :6381") is `asked`'s. nullopt for anything else.
std::optional<Redirect> parse_redirect(std::string_view error, const NodeAddress& asked);

}  // namespace boxoffice::redis
