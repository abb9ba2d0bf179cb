// The bounded structures: ShardedLru's eviction rules, the rate limiter under an address flood,
// and the pure header and UTF-8 checks of the HTTP edge.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "common/sharded_lru.hpp"
#include "common/utf8.hpp"
#include "coord/local/local_coordinator.hpp"
#include "http/headers.hpp"

using namespace boxoffice;

using IntLru = ShardedLru<int, int>;
using StringLru = ShardedLru<int, std::string, struct StringBytes>;
constexpr std::size_t kShards = IntLru::kShards;

TEST(ShardedLru, EvictsLeastRecentlyUsedNotEverything) {
  IntLru lru(kShards * 4);  // 4 per shard
  for (int i = 0; i < 10'000; ++i) lru.put(i, i);
  EXPECT_LE(lru.size(), kShards * 5);
  EXPECT_GE(lru.size(), kShards * 4);
  // The most recent keys survive.
  EXPECT_EQ(lru.with(9'999, [](int* v) { return v ? *v : -1; }), 9'999);
  EXPECT_EQ(lru.with(0, [](int* v) { return v ? *v : -1; }), -1);
}

TEST(ShardedLru, UsedEntriesSurviveAFlood) {
  IntLru lru(kShards * 8);
  lru.put(42, 1);
  for (int i = 100; i < 100'000; ++i) {
    lru.put(i, i);
    if (i % 3 == 0) lru.with(42, [](int* v) { return v != nullptr; });  // kept warm
  }
  EXPECT_EQ(lru.with(42, [](int* v) { return v ? *v : -1; }), 1);
}

struct StringBytes {
  std::size_t operator()(const std::string& s) const { return s.size(); }
};

TEST(ShardedLru, ByteBoundCountsValueSizes) {
  StringLru lru(0, kShards * 1000);
  for (int i = 0; i < 1000; ++i) lru.put(i, std::string(400, 'x'));
  EXPECT_LE(lru.bytes(), kShards * 1001u);
  lru.erase_if([](int, const std::string&) { return true; });
  EXPECT_EQ(lru.bytes(), 0u);
  EXPECT_EQ(lru.size(), 0u);
}

TEST(ShardedLru, TheByteBoundIsSharedByAllShards) {
  // Room for 10 values of 1,000 bytes in all. Three keys that hash to one shard all stay: a
  // bound split per shard (313 bytes each) kept one of them, and hot keys that shared a shard
  // evicted each other on every use.
  StringLru lru(0, 10 * 1000);
  for (int k : {7, 7 + int(kShards), 7 + 2 * int(kShards)}) lru.put(k, std::string(1000, 'x'));
  for (int k : {7, 7 + int(kShards), 7 + 2 * int(kShards)})
    EXPECT_TRUE(lru.with(k, [](std::string* v) { return v != nullptr; })) << k;
  // Past the bound the cold entries go, and the total stays within one value per shard of it.
  for (int i = 100; i < 1000; ++i) lru.put(i, std::string(1000, 'x'));
  EXPECT_LE(lru.bytes(), 10 * 1000u + kShards * 1000u);
  EXPECT_FALSE(lru.with(7, [](std::string* v) { return v != nullptr; }));
}

TEST(ShardedLru, OverTheByteBoundTheColdestEntriesOfAnyShardGo) {
  // Room for 6 values. Five cold entries in five shards, then five hot keys that share one
  // shard, used round and round as an on-sale's halls are: the cold entries must make room.
  // Evicting only from the inserting shard threw the hot keys out in turn (every use a miss,
  // each a 20,000-seat hall rebuilt) until the cold ones expired.
  StringLru lru(0, 6 * 1000);
  for (int k = 1; k <= 5; ++k) lru.put(k, std::string(1000, 'c'));
  const std::vector<int> hot{7, 7 + int(kShards), 7 + 2 * int(kShards), 7 + 3 * int(kShards),
                             7 + 4 * int(kShards)};
  int misses_after_first_round = 0;
  for (int round = 0; round < 4; ++round) {
    for (int k : hot) {
      if (!lru.with(k, [](std::string* v) { return v != nullptr; })) {
        if (round > 0) ++misses_after_first_round;
        lru.put(k, std::string(1000, 'h'));
      }
    }
  }
  EXPECT_EQ(misses_after_first_round, 0);
  int cold_left = 0;
  for (int k = 1; k <= 5; ++k)
    cold_left += lru.with(k, [](std::string* v) { return v != nullptr; });
  EXPECT_LE(cold_left, 1);
  EXPECT_LE(lru.bytes(), 6 * 1000u);
}

TEST(ShardedLru, AValueOverTheWholeBoundStillServesItsRequest) {
  StringLru lru(0, 1000);
  lru.put(1, std::string(500, 'a'));
  lru.put(2, std::string(5000, 'b'));  // alone over the bound: kept, the older one goes
  EXPECT_TRUE(lru.with(2, [](std::string* v) { return v != nullptr; }));
  EXPECT_FALSE(lru.with(1, [](std::string* v) { return v != nullptr; }));
  lru.put(3, std::string(10, 'c'));  // the big one is now the coldest
  EXPECT_FALSE(lru.with(2, [](std::string* v) { return v != nullptr; }));
  EXPECT_TRUE(lru.with(3, [](std::string* v) { return v != nullptr; }));
}

TEST(ShardedLru, ConcurrentUseKeepsTheByteCountAndTheBound) {
  StringLru lru(0, 64 * 1000);
  std::vector<std::thread> threads;
  for (std::uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&lru, t] {
      std::uint32_t x = 12345 + t;
      for (int i = 0; i < 20'000; ++i) {
        x = x * 1103515245u + 12345u;
        const int key = static_cast<int>((x >> 8) % 500);
        switch ((x >> 4) % 8) {
          case 0:
            lru.erase(key);
            break;
          case 1:
            if (i % 64 == 0) lru.erase_if([](int k, const std::string&) { return k % 7 == 0; });
            break;
          case 2:
          case 3:
            lru.put(key, std::string(200 + (x >> 12) % 3000, 'v'));
            break;
          default:
            lru.with(key, [](std::string* v) { return v ? v->size() : 0; });
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(lru.counted_bytes(), lru.bytes());
  lru.put(100'000, std::string(10, 'z'));  // one insert alone brings the map within the bound
  EXPECT_LE(lru.bytes(), 64 * 1000u);
  EXPECT_EQ(lru.counted_bytes(), lru.bytes());
  lru.erase_if([](int, const std::string&) { return true; });
  EXPECT_EQ(lru.counted_bytes(), 0u);
}

TEST(LocalRateLimiter, AnAddressFloodDoesNotResetTheAbuser) {
  boost::asio::io_context ioc;
  LocalCoordinatorOptions o;
  o.max_rate_limit_keys = 1024;
  Coordinator c = make_local_coordinator(ioc.get_executor(), o);
  auto hit = [&](std::string key) {
    auto f =
        boost::asio::co_spawn(ioc, c.rate_limiter->hit(std::move(key), 5), boost::asio::use_future);
    ioc.restart();
    // The coordinator's sweep timers keep the context busy: run only until the answer is in.
    while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one();
    return f.get();
  };
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(hit("abuser").allowed);
  EXPECT_FALSE(hit("abuser").allowed);
  // 50,000 other addresses pass by; the abuser keeps hitting and stays refused throughout.
  for (int i = 0; i < 50'000; ++i) {
    (void)hit("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
    if (i % 100 == 0) {
      ASSERT_FALSE(hit("abuser").allowed) << "after " << i << " other addresses";
    }
  }
  stop_local_coordinator(c);
  ioc.restart();
  ioc.run_for(std::chrono::milliseconds(100));
}

TEST(LocalSessionCache, ASignOutIsNotUndoneByALatePut) {
  boost::asio::io_context ioc;
  Coordinator c = make_local_coordinator(ioc.get_executor(), LocalCoordinatorOptions{});
  auto run = [&](auto awaitable) {
    auto f = boost::asio::co_spawn(ioc, std::move(awaitable), boost::asio::use_future);
    ioc.restart();
    while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one();
    return f.get();
  };
  SessionRecord s;
  s.user.id = 7;
  s.expires_at = now_unix() + 3600;
  EXPECT_EQ(run(c.sessions->get("t")).state, SessionLookup::State::unknown);
  run(c.sessions->put("t", s));
  const SessionLookup live = run(c.sessions->get("t"));
  EXPECT_EQ(live.state, SessionLookup::State::live);
  EXPECT_EQ(live.session.user.id, 7);
  EXPECT_TRUE(run(c.sessions->erase("t")));
  // A request that read the session from the store before the sign-out deleted it comes late.
  run(c.sessions->put("t", s));
  EXPECT_EQ(run(c.sessions->get("t")).state, SessionLookup::State::signed_out);
  stop_local_coordinator(c);
  ioc.restart();
  ioc.run_for(std::chrono::milliseconds(100));
}

TEST(Headers, IfNoneMatchForms) {
  const std::string tag = "\"abc\"";
  EXPECT_TRUE(http::etag_matches("\"abc\"", tag));
  EXPECT_TRUE(http::etag_matches("W/\"abc\"", tag));
  EXPECT_TRUE(http::etag_matches("\"x\", W/\"abc\" , \"y\"", tag));
  EXPECT_TRUE(http::etag_matches("*", tag));
  EXPECT_FALSE(http::etag_matches("\"abcd\"", tag));
  EXPECT_FALSE(http::etag_matches("\"ab\"", tag));
  EXPECT_FALSE(http::etag_matches("", tag));
  EXPECT_FALSE(http::etag_matches("abc", tag));
}

TEST(Headers, TransferEncodingClassification) {
  using http::TransferCoding;
  EXPECT_EQ(http::classify_transfer_encoding(""), TransferCoding::none);
  EXPECT_EQ(http::classify_transfer_encoding("chunked"), TransferCoding::chunked);
  EXPECT_EQ(http::classify_transfer_encoding(" Chunked "), TransferCoding::chunked);
  EXPECT_EQ(http::classify_transfer_encoding("identity"), TransferCoding::not_chunked);
  EXPECT_EQ(http::classify_transfer_encoding("chunked, identity"), TransferCoding::not_chunked);
  EXPECT_EQ(http::classify_transfer_encoding("xchunked"), TransferCoding::not_chunked);
  EXPECT_EQ(http::classify_transfer_encoding(","), TransferCoding::not_chunked);
  EXPECT_EQ(http::classify_transfer_encoding("gzip, chunked"), TransferCoding::unsupported);
  EXPECT_EQ(http::classify_transfer_encoding("chunked,chunked"), TransferCoding::unsupported);
}

TEST(Headers, BareLineFeedsInChunkFramingAreFound) {
  EXPECT_FALSE(http::bare_lf_in_chunk_framing(""));
  EXPECT_FALSE(http::bare_lf_in_chunk_framing("1"));     // a size line still arriving
  EXPECT_FALSE(http::bare_lf_in_chunk_framing("1a\r"));  // its CR in, the LF still coming
  EXPECT_FALSE(http::bare_lf_in_chunk_framing("1a;x=y\r\n"));
  EXPECT_FALSE(http::bare_lf_in_chunk_framing("\r\n0\r\n"));
  EXPECT_TRUE(http::bare_lf_in_chunk_framing("2\n{}"));
  EXPECT_TRUE(http::bare_lf_in_chunk_framing("\n0\r\n\r\n"));  // after a chunk's data
  EXPECT_TRUE(http::bare_lf_in_chunk_framing("0\r\nX-Trailer: 1\n"));
  EXPECT_TRUE(http::bare_lf_in_chunk_framing("00\r\nX-Trailer: 1\r\n\n"));
  EXPECT_TRUE(http::bare_lf_in_chunk_framing("\r\n0\r\nX-Trailer: 1\n\n"));
  EXPECT_TRUE(http::bare_lf_in_chunk_framing("\r\n0\n\n"));  // after a data chunk
  EXPECT_TRUE(http::bare_lf_in_chunk_framing("0 ;x\r\nX-T: 1\n"));
  EXPECT_TRUE(http::bare_lf_in_chunk_framing("0\t\r\nX-T: 1\n"));
  EXPECT_TRUE(http::bare_lf_in_chunk_framing("0\r\nX-Long: " + std::string(10000, 'a') + "\n"));
  EXPECT_TRUE(http::bare_lf_in_chunk_framing("\r\n\n"));
  EXPECT_TRUE(http::bare_lf_in_chunk_framing("\r\n10\n"));
  EXPECT_FALSE(http::bare_lf_in_chunk_framing("0\r\nX-Trailer: 1\r\n\r"));
  // Elsewhere only the first line ending counts: later bytes are the next chunk's data.
  EXPECT_FALSE(http::bare_lf_in_chunk_framing("2\r\n\n\n"));
  EXPECT_FALSE(http::bare_lf_in_chunk_framing("10\r\n\n\n"));
}

TEST(Headers, OnlyUnencodedRequestBodiesAreReadable) {
  EXPECT_TRUE(http::readable_content_encoding(""));
  EXPECT_TRUE(http::readable_content_encoding("identity"));
  EXPECT_TRUE(http::readable_content_encoding(" Identity , identity"));
  EXPECT_FALSE(http::readable_content_encoding("gzip"));
  EXPECT_FALSE(http::readable_content_encoding("identity, br"));
  EXPECT_FALSE(http::readable_content_encoding("x-gzip"));
}

TEST(Headers, WebSocketKeyIsSixteenBytesOfBase64) {
  EXPECT_TRUE(http::valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(http::valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ="));
  EXPECT_FALSE(http::valid_websocket_key("dGhlIHNhbXBsZSBub25jZR=="));  // stray low bits
  EXPECT_FALSE(http::valid_websocket_key("dGhlIHNhbXBsZSBub25j!Q=="));
  EXPECT_FALSE(http::valid_websocket_key(""));
  EXPECT_FALSE(http::valid_websocket_key("eHh4eHh4eHh4eHh4eHh4eHh4"));  // 18 bytes, no padding
}

TEST(Headers, IPv6ClientsAreCountedPerSlash64) {
  EXPECT_EQ(http::client_rate_key("2001:db8:1:2:3:4:5:6"),
            http::client_rate_key("2001:db8:1:2:ffff::1"));
  EXPECT_NE(http::client_rate_key("2001:db8:1:2::1"), http::client_rate_key("2001:db8:1:3::1"));
  EXPECT_EQ(http::client_rate_key("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(http::client_rate_key("::ffff:203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(http::client_rate_key("not an ip"), "not an ip");
}

TEST(Utf8, InvalidBytesAreReplacedAndCutsFallBetweenCharacters) {
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("\xF0\x9F\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xff"));
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(valid_utf8("\xF0\x9F\x98"));  // truncated
  EXPECT_EQ(sanitize_utf8("a\xff"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
  const std::string emoji = "\xF0\x9F\x98\x80\xF0\x9F\x98\x80";
  const std::string cut = sanitize_utf8(emoji, 6);
  EXPECT_TRUE(valid_utf8(cut));
  EXPECT_EQ(cut.substr(0, 4), "\xF0\x9F\x98\x80");
  EXPECT_LE(cut.size(), 4u + 3u);
}
