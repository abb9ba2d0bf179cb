// Hold ids: the show they name, and the signature that tells the caller's own ended holds from
// ids that were never issued to them.
#include <gtest/gtest.h>

#include <string>

#include "domain/seat_book.hpp"
#include "services/security.hpp"

using namespace boxoffice;

namespace {
const std::string kSecret = "0123456789abcdef0123456789abcdef";
}

TEST(HoldId, NamesItsShowAndIsSignedForItsAccountOnly) {
  init_crypto();
  const std::string id = make_hold_id(kSecret, 42, 7);
  EXPECT_EQ(show_of_hold(id), 42);
  EXPECT_TRUE(hold_issued_to(kSecret, id, 7));
  EXPECT_FALSE(hold_issued_to(kSecret, id, 8));
  EXPECT_FALSE(hold_issued_to("another secret of thirty-two b!", id, 7));
  EXPECT_NE(make_hold_id(kSecret, 42, 7), id);  // random part
}

TEST(HoldId, AnyChangeToTheIdBreaksTheSignature) {
  init_crypto();
  const std::string id = make_hold_id(kSecret, 42, 7);
  for (std::size_t i = 0; i < id.size(); ++i) {
    std::string bent = id;
    bent[i] = bent[i] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(hold_issued_to(kSecret, bent, 7)) << bent;
  }
  // Another show with the same random part and signature.
  std::string moved = id;
  moved.replace(1, 2, "43");
  EXPECT_FALSE(hold_issued_to(kSecret, moved, 7));
}

TEST(HoldId, OtherShapesAreNeitherShowsNorSigned) {
  init_crypto();
  for (const char* bad :
       {"", "h", "h.", "x42.abc", "h42", "h42abc", "h.abc.def", "h42.Yk3v0b8Qh6S2mV9xW1c4zA",
        "h42.Yk3v0b8Qh6S2mV9xW1c4zA.", "h42..5f0c1d9e8a7b6c5d4e3f2a1b"}) {
    EXPECT_FALSE(hold_issued_to(kSecret, bad, 7)) << bad;
  }
  EXPECT_EQ(show_of_hold("x42.abc"), 0);
  EXPECT_EQ(show_of_hold("h.abc"), 0);
  EXPECT_EQ(show_of_hold("h42"), 0);
  EXPECT_EQ(show_of_hold("h12345678901234567890.abc"), 0);  // over 18 digits
  EXPECT_EQ(show_of_hold("h7.x"), 7);
  EXPECT_EQ(show_of_hold(std::string("h7.") + std::string(90, 'x')), 0);  // too long
}
