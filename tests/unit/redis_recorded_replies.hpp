#pragma once
// Replies recorded from a redis-server 7.0.15 cluster of 3 masters and 3 replicas on loopback
// (tests/harness/with_redis.py), as RESP bytes. The asked node was 127.0.0.1:34091.
// Masters: 0-5460 on 34091, 5461-10922 on 47039, 10923-16383 on 44933; replicas 39433 (of 34091),
// 48081 (of 47039), 39469 (of 44933). "unknown" replies were taken with
// cluster-preferred-endpoint-type unknown-endpoint, "hostname" ones with
// cluster-preferred-endpoint-type hostname and no hostname set.
#include <string_view>

namespace boxoffice::redis::recorded {

inline constexpr int kPorts[6] = {34091, 47039, 44933, 39469, 39433, 48081};

inline constexpr std::string_view kShards =
    "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\n"
    "id\r\n$40\r\n970902343f5610f777fb925bc2e3fc01e5598634\r\n$4\r\nport\r\n:47039\r\n$2\r\n"
    "ip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n"
    "$2\r\nid\r\n$40\r\n102d84cecf14269b8b5a9f0b744c5df9ce535c39\r\n$4\r\nport\r\n:48081\r\n"
    "$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\n"
    "replica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n*4\r\n"
    "$5\r\nslots\r\n*2\r\n:10923\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "b31eeec148f83cdac741135ad6f74f0f5e061b39\r\n$4\r\nport\r\n:44933\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "c0b5ea658683d0609c27bebe344aac332a7d3b51\r\n$4\r\nport\r\n:39469\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n*4\r\n$5\r\nslots\r\n*2\r\n"
    ":0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "504fe916096d9473c5787fca74d9d9f2c39b6a3f\r\n$4\r\nport\r\n:34091\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "d835e13098429a6820c93be45da79059846a873e\r\n$4\r\nport\r\n:39433\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n";

inline constexpr std::string_view kSlots =
    "*3\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:34091\r\n$40\r\n"
    "504fe916096d9473c5787fca74d9d9f2c39b6a3f\r\n*0\r\n*3\r\n:5461\r\n:10922\r\n*4\r\n$9\r\n"
    "127.0.0.1\r\n:47039\r\n$40\r\n970902343f5610f777fb925bc2e3fc01e5598634\r\n*0\r\n*3\r\n"
    ":10923\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:44933\r\n$40\r\n"
    "b31eeec148f83cdac741135ad6f74f0f5e061b39\r\n*0\r\n";

inline constexpr std::string_view kShardsUnknown =
    "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\n"
    "id\r\n$40\r\n970902343f5610f777fb925bc2e3fc01e5598634\r\n$4\r\nport\r\n:47039\r\n$2\r\n"
    "ip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
    "$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n"
    "$40\r\n102d84cecf14269b8b5a9f0b744c5df9ce535c39\r\n$4\r\nport\r\n:48081\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n*4\r\n$5\r\nslots\r\n*2\r\n"
    ":10923\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "b31eeec148f83cdac741135ad6f74f0f5e061b39\r\n$4\r\nport\r\n:44933\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "c0b5ea658683d0609c27bebe344aac332a7d3b51\r\n$4\r\nport\r\n:39469\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n*4\r\n$5\r\nslots\r\n*2\r\n"
    ":0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "504fe916096d9473c5787fca74d9d9f2c39b6a3f\r\n$4\r\nport\r\n:34091\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "d835e13098429a6820c93be45da79059846a873e\r\n$4\r\nport\r\n:39433\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n";

inline constexpr std::string_view kSlotsUnknown =
    "*3\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$-1\r\n:34091\r\n$40\r\n"
    "504fe916096d9473c5787fca74d9d9f2c39b6a3f\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n*3\r\n"
    ":5461\r\n:10922\r\n*4\r\n$-1\r\n:47039\r\n$40\r\n"
    "970902343f5610f777fb925bc2e3fc01e5598634\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n*3\r\n"
    ":10923\r\n:16383\r\n*4\r\n$-1\r\n:44933\r\n$40\r\n"
    "b31eeec148f83cdac741135ad6f74f0f5e061b39\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n";

inline constexpr std::string_view kShardsHostname =
    "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\n"
    "id\r\n$40\r\n970902343f5610f777fb925bc2e3fc01e5598634\r\n$4\r\nport\r\n:47039\r\n$2\r\n"
    "ip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
    "$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n"
    "$40\r\n102d84cecf14269b8b5a9f0b744c5df9ce535c39\r\n$4\r\nport\r\n:48081\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n*4\r\n$5\r\nslots\r\n*2\r\n"
    ":10923\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "b31eeec148f83cdac741135ad6f74f0f5e061b39\r\n$4\r\nport\r\n:44933\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "c0b5ea658683d0609c27bebe344aac332a7d3b51\r\n$4\r\nport\r\n:39469\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n*4\r\n$5\r\nslots\r\n*2\r\n"
    ":0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "504fe916096d9473c5787fca74d9d9f2c39b6a3f\r\n$4\r\nport\r\n:34091\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "d835e13098429a6820c93be45da79059846a873e\r\n$4\r\nport\r\n:39433\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$7\r\nloading\r\n";

inline constexpr std::string_view kSlotsHostname =
    "*3\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$1\r\n?\r\n:34091\r\n$40\r\n"
    "504fe916096d9473c5787fca74d9d9f2c39b6a3f\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n*3\r\n"
    ":5461\r\n:10922\r\n*4\r\n$1\r\n?\r\n:47039\r\n$40\r\n"
    "970902343f5610f777fb925bc2e3fc01e5598634\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n*3\r\n"
    ":10923\r\n:16383\r\n*4\r\n$1\r\n?\r\n:44933\r\n$40\r\n"
    "b31eeec148f83cdac741135ad6f74f0f5e061b39\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n";

}  // namespace boxoffice::redis::recorded
