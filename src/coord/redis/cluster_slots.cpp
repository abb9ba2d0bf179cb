#include "coord/redis/cluster_slots.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace boxoffice::redis {

namespace {

constexpr std::array<std::uint16_t, 256> make_crc_table() {
  std::array<std::uint16_t, 256> t{};
  for (int i = 0; i < 256; ++i) {
    std::uint16_t c = static_cast<std::uint16_t>(i << 8);
    for (int b = 0; b < 8; ++b)
      c = static_cast<std::uint16_t>((c & 0x8000) ? (c << 1) ^ 0x1021 : c << 1);
    t[static_cast<std::size_t>(i)] = c;
  }
  return t;
}

constexpr std::array<std::uint16_t, 256> kCrcTable = make_crc_table();

[[noreturn]] void malformed(const std::string& what) {
  throw RedisError(ErrorKind::protocol, "unexpected cluster layout reply: " + what);
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 1 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

std::uint16_t checked_slot(const RedisValue& v) {
  std::int64_t s = -1;
  try {
    s = v.as_int();
  } catch (const std::invalid_argument&) {
    malformed("a slot is not a number");
  }
  if (s < 0 || s >= kSlotCount) malformed("slot " + std::to_string(s) + " is out of range");
  return static_cast<std::uint16_t>(s);
}

std::uint16_t checked_port(const RedisValue& v) {
  std::int64_t p = 0;
  try {
    p = v.as_int();
  } catch (const std::invalid_argument&) {
    malformed("a port is not a number");
  }
  if (p < 1 || p > 65535) malformed("port " + std::to_string(p) + " is out of range");
  return static_cast<std::uint16_t>(p);
}

// An endpoint as the node reported it: empty or NULL is the node asked, "?" is unknown.
std::optional<std::string> endpoint_host(const RedisValue& v, const NodeAddress& asked) {
  if (v.is_nil()) return asked.host;
  if (!v.is_string() && !v.is_status()) malformed("an endpoint is not a string");
  const std::string& s = v.as_string();
  if (s.empty()) return asked.host;
  if (s == "?") return std::nullopt;
  return s;
}

const RedisValue* field(const std::vector<RedisValue>& flat, std::string_view name) {
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2)
    if ((flat[i].is_string() || flat[i].is_status()) && flat[i].as_string() == name)
      return &flat[i + 1];
  return nullptr;
}

}  // namespace

std::uint16_t crc16(std::string_view data) noexcept {
  std::uint16_t crc = 0;
  for (unsigned char c : data)
    crc = static_cast<std::uint16_t>((crc << 8) ^ kCrcTable[((crc >> 8) ^ c) & 0xFF]);
  return crc;
}

std::string_view hash_tag(std::string_view key) noexcept {
  const auto open = key.find('{');
  if (open == std::string_view::npos) return key;
  const auto close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

std::uint16_t slot_of(std::string_view key) noexcept {
  return static_cast<std::uint16_t>(crc16(hash_tag(key)) & (kSlotCount - 1));
}

std::string NodeAddress::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::optional<NodeAddress> parse_address(std::string_view text, const NodeAddress* asked) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  const auto p = parse_port(port);
  if (!p) return std::nullopt;
  if (host.empty()) {
    if (!asked) return std::nullopt;
    return NodeAddress{asked->host, *p};
  }
  return NodeAddress{std::string(host), *p};
}

SlotMap::SlotMap() : owner_(kSlotCount, kNone) {}

SlotMap SlotMap::single(NodeAddress node) {
  SlotMap m;
  const std::uint16_t s = m.shard_index(node);
  for (int i = 0; i < kSlotCount; ++i) m.set(static_cast<std::uint16_t>(i), s);
  return m;
}

std::uint16_t SlotMap::shard_index(const NodeAddress& master) {
  for (std::size_t i = 0; i < shards_.size(); ++i)
    if (shards_[i].master == master) return static_cast<std::uint16_t>(i);
  shards_.push_back(Shard{master, {}});
  slots_per_shard_.push_back(0);
  return static_cast<std::uint16_t>(shards_.size() - 1);
}

void SlotMap::set(std::uint16_t slot, std::uint16_t shard) noexcept {
  std::uint16_t& o = owner_[slot];
  if (o == shard) return;
  if (o == kNone)
    ++covered_;
  else
    --slots_per_shard_[o];
  o = shard;
  ++slots_per_shard_[shard];
}

void SlotMap::assign(std::uint16_t slot, const NodeAddress& master) {
  set(slot, shard_index(master));
}

const Shard* SlotMap::shard_of(std::uint16_t slot) const noexcept {
  if (slot >= kSlotCount || owner_[slot] == kNone) return nullptr;
  return &shards_[owner_[slot]];
}

const NodeAddress* SlotMap::master_of(std::uint16_t slot) const noexcept {
  const Shard* s = shard_of(slot);
  return s ? &s->master : nullptr;
}

std::vector<NodeAddress> SlotMap::masters() const {
  std::vector<NodeAddress> out;
  for (std::size_t i = 0; i < shards_.size(); ++i)
    if (slots_per_shard_[i] > 0) out.push_back(shards_[i].master);
  return out;
}

std::vector<NodeAddress> SlotMap::nodes() const {
  std::vector<NodeAddress> out = masters();
  for (std::size_t i = 0; i < shards_.size(); ++i)
    if (slots_per_shard_[i] > 0)
      for (const NodeAddress& r : shards_[i].replicas)
        if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  return out;
}

bool SlotMap::is_master(const NodeAddress& node) const noexcept {
  for (std::size_t i = 0; i < shards_.size(); ++i)
    if (slots_per_shard_[i] > 0 && shards_[i].master == node) return true;
  return false;
}

std::string SlotMap::describe() const {
  std::string out;
  int i = 0;
  while (i < kSlotCount) {
    int j = i;
    while (j + 1 < kSlotCount && owner_[j + 1] == owner_[i]) ++j;
    if (owner_[i] != kNone) {
      if (!out.empty()) out += "; ";
      out +=
          std::to_string(i) + "-" + std::to_string(j) + " " + shards_[owner_[i]].master.to_string();
    }
    i = j + 1;
  }
  return out;
}

// RESP2 shape (redis 7.0 cluster.c, clusterCommandShards): an array of shards, each a flat
// array "slots" [start, end, ...] "nodes" [node...], each node a flat array of field/value
// pairs: id, port, ip, endpoint, hostname (optional), role, replication-offset, health.
SlotMap SlotMap::from_shards(const RedisValue& reply, const NodeAddress& asked) {
  if (!reply.is_array()) malformed("CLUSTER SHARDS did not return an array");
  SlotMap m;
  for (const RedisValue& shard : reply.as_array()) {
    if (!shard.is_array()) malformed("a shard is not an array");
    const RedisValue* slots = field(shard.as_array(), "slots");
    const RedisValue* nodes = field(shard.as_array(), "nodes");
    if (!slots || !nodes || !slots->is_array() || !nodes->is_array())
      malformed("a shard has no slots or nodes");
    if (slots->size() % 2 != 0) malformed("slot ranges come in pairs");
    if (slots->size() == 0) continue;  // a master without slots serves nothing
    std::optional<NodeAddress> master;
    bool master_online = false;
    std::vector<NodeAddress> replicas;
    for (const RedisValue& node : nodes->as_array()) {
      if (!node.is_array()) malformed("a node is not an array");
      const auto& f = node.as_array();
      const RedisValue* port = field(f, "port");
      const RedisValue* role = field(f, "role");
      if (!port || !role) malformed("a node has no port or role");
      // "endpoint" is the address clients should use; "ip" when it is unknown ("?").
      std::optional<std::string> host;
      if (const RedisValue* ep = field(f, "endpoint")) host = endpoint_host(*ep, asked);
      if (!host)
        if (const RedisValue* ip = field(f, "ip")) host = endpoint_host(*ip, asked);
      if (!host) continue;
      NodeAddress addr{*host, checked_port(*port)};
      const RedisValue* health = field(f, "health");
      const bool online = !health || (health->is_string() && health->as_string() == "online");
      if (role->is_string() && role->as_string() == "master") {
        // After a failover the old master can still be listed; an online one wins.
        if (!master || (online && !master_online)) {
          if (master) replicas.push_back(*master);
          master = addr;
          master_online = online;
        } else {
          replicas.push_back(addr);
        }
      } else {
        replicas.push_back(addr);
      }
    }
    if (!master) continue;  // its slots stay uncovered until a node with an endpoint serves them
    const std::uint16_t index = m.shard_index(*master);
    for (NodeAddress& r : replicas) m.shards_[index].replicas.push_back(std::move(r));
    const auto& ranges = slots->as_array();
    for (std::size_t i = 0; i < ranges.size(); i += 2) {
      const std::uint16_t from = checked_slot(ranges[i]);
      const std::uint16_t to = checked_slot(ranges[i + 1]);
      if (from > to) malformed("an empty slot range");
      for (int s = from; s <= to; ++s) m.set(static_cast<std::uint16_t>(s), index);
    }
  }
  return m;
}

// RESP2 shape: an array of [start, end, master, replica...], each node [host, port, id, ...].
SlotMap SlotMap::from_slots(const RedisValue& reply, const NodeAddress& asked) {
  if (!reply.is_array()) malformed("CLUSTER SLOTS did not return an array");
  SlotMap m;
  for (const RedisValue& range : reply.as_array()) {
    if (!range.is_array() || range.size() < 3) malformed("a slot range is too short");
    const std::uint16_t from = checked_slot(range[0]);
    const std::uint16_t to = checked_slot(range[1]);
    if (from > to) malformed("an empty slot range");
    std::vector<NodeAddress> nodes;
    bool master_known = true;
    for (std::size_t i = 2; i < range.size(); ++i) {
      const RedisValue& n = range[i];
      if (!n.is_array() || n.size() < 2) malformed("a node is too short");
      std::optional<std::string> host = endpoint_host(n[0], asked);
      // "?": the preferred endpoint (a hostname) is unknown; Redis 7 still gives the ip in
      // the node's metadata.
      if (!host && n.size() >= 4 && n[3].is_array())
        if (const RedisValue* ip = field(n[3].as_array(), "ip")) host = endpoint_host(*ip, asked);
      if (!host) {
        if (i == 2) master_known = false;
        continue;
      }
      nodes.push_back(NodeAddress{*host, checked_port(n[1])});
    }
    if (!master_known) continue;
    const std::uint16_t index = m.shard_index(nodes.front());
    for (std::size_t i = 1; i < nodes.size(); ++i) {
      auto& reps = m.shards_[index].replicas;
      if (std::find(reps.begin(), reps.end(), nodes[i]) == reps.end()) reps.push_back(nodes[i]);
    }
    for (int s = from; s <= to; ++s) m.set(static_cast<std::uint16_t>(s), index);
  }
  return m;
}

std::optional<Redirect> parse_redirect(std::string_view error, const NodeAddress& asked) {
  Redirect r;
  if (error.starts_with("MOVED ")) {
    r.kind = Redirect::Kind::moved;
    error.remove_prefix(6);
  } else if (error.starts_with("ASK ")) {
    r.kind = Redirect::Kind::ask;
    error.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const auto space = error.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  int slot = -1;
  const std::string_view s = error.substr(0, space);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), slot);
  if (ec != std::errc() || p != s.data() + s.size() || slot < 0 || slot >= kSlotCount)
    return std::nullopt;
  r.slot = static_cast<std::uint16_t>(slot);
  auto node = parse_address(error.substr(space + 1), &asked);
  if (!node) return std::nullopt;
  r.node = std::move(*node);
  return r;
}

}  // namespace boxoffice::redis
