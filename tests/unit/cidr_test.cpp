#include <gtest/gtest.h>

#include "net/cidr.hpp"

using namespace boxoffice;

TEST(Ip, ParsesV4V6AndMapped) {
  EXPECT_FALSE(parse_ip("10.1.2.3")->v6);
  EXPECT_TRUE(parse_ip("::1")->v6);
  EXPECT_TRUE(parse_ip("[2001:db8::1]")->v6);
  auto mapped = parse_ip("::ffff:192.168.1.9");
  ASSERT_TRUE(mapped);
  EXPECT_FALSE(mapped->v6);
  EXPECT_EQ(mapped->to_string(), "192.168.1.9");
  for (const char* bad : {"", "1.2.3", "256.1.1.1", "abc", "1.2.3.4 ", ":::"})
    EXPECT_FALSE(parse_ip(bad)) << bad;
}

TEST(Cidr, ContainsByPrefix) {
  auto net = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(*parse_ip("10.255.1.1")));
  EXPECT_FALSE(net->contains(*parse_ip("11.0.0.1")));
  EXPECT_FALSE(net->contains(*parse_ip("::1")));
  auto odd = parse_cidr("192.168.1.128/25");
  EXPECT_TRUE(odd->contains(*parse_ip("192.168.1.200")));
  EXPECT_FALSE(odd->contains(*parse_ip("192.168.1.100")));
  auto v6 = parse_cidr("2001:db8::/32");
  EXPECT_TRUE(v6->contains(*parse_ip("2001:db8:1::5")));
  EXPECT_FALSE(v6->contains(*parse_ip("2001:db9::5")));
  auto all = parse_cidr("0.0.0.0/0");
  EXPECT_TRUE(all->contains(*parse_ip("8.8.8.8")));
  auto host = parse_cidr("127.0.0.1");
  EXPECT_EQ(host->prefix, 32);
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "/8", "x/8"})
    EXPECT_FALSE(parse_cidr(bad)) << bad;
}

TEST(ClientIp, UntrustedPeerIgnoresForwardedFor) {
  std::vector<Cidr> trusted{*parse_cidr("10.0.0.0/8")};
  EXPECT_EQ(resolve_client_ip("203.0.113.7", "1.2.3.4", trusted), "203.0.113.7");
  EXPECT_EQ(resolve_client_ip("203.0.113.7", "1.2.3.4", {}), "203.0.113.7");
}

TEST(ClientIp, TrustedPeerUsesRightMostUntrusted) {
  std::vector<Cidr> trusted{*parse_cidr("10.0.0.0/8"), *parse_cidr("127.0.0.1/32")};
  EXPECT_EQ(resolve_client_ip("127.0.0.1", "1.2.3.4", trusted), "1.2.3.4");
  // A client-supplied left part cannot pick the address.
  EXPECT_EQ(resolve_client_ip("127.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.5", trusted), "1.2.3.4");
  EXPECT_EQ(resolve_client_ip("127.0.0.1", "10.0.0.9, 10.0.0.5", trusted), "10.0.0.9");
  EXPECT_EQ(resolve_client_ip("127.0.0.1", "", trusted), "127.0.0.1");
  EXPECT_EQ(resolve_client_ip("127.0.0.1", "garbage", trusted), "127.0.0.1");
  EXPECT_EQ(resolve_client_ip("127.0.0.1", " 2001:db8::1 ", trusted), "2001:db8::1");
}
