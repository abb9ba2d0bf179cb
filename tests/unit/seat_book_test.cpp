#include <gtest/gtest.h>

#include "domain/seat_book.hpp"

using namespace boxoffice;

namespace {
HoldInfo hold(std::string id, Id user, std::vector<std::string> seats, std::int64_t expires) {
  return HoldInfo{std::move(id), 1, user, std::move(seats), 100, expires};
}
}  // namespace

class SeatBookTest : public ::testing::Test {
 protected:
  SeatBook book;
  std::vector<SeatChange> changes;
};

TEST_F(SeatBookTest, HoldIsAllOrNothing) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1", "A2"}, 1000), 0, changes).ok());
  EXPECT_EQ(changes, (std::vector<SeatChange>{{"A1", SeatStatus::held}, {"A2", SeatStatus::held}}));
  changes.clear();
  auto clash = book.try_hold(hold("h2", 2, {"A3", "A2", "A1"}, 1000), 0, changes);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().slug, "seat-unavailable");
  EXPECT_EQ(clash.error().seats, (std::vector<std::string>{"A2", "A1"}));
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(book.status("A3"), SeatStatus::available);  // nothing was held
}

TEST_F(SeatBookTest, OnlyTheOwnerReleases) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1"}, 1000), 0, changes).ok());
  EXPECT_EQ(book.release("h1", 2, 0, changes).error().code, Errc::not_found);
  EXPECT_EQ(book.release("nope", 1, 0, changes).error().code, Errc::not_found);
  changes.clear();
  ASSERT_TRUE(book.release("h1", 1, 0, changes).ok());
  EXPECT_EQ(changes, (std::vector<SeatChange>{{"A1", SeatStatus::available}}));
  changes.clear();
  EXPECT_TRUE(book.release("h1", 1, 0, changes).ok());  // harmless twice
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(book.begin_confirm("h1", 1, 0).error().slug, "hold-expired");
}

TEST_F(SeatBookTest, ExpiryFreesSeatsWithoutARequest) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1", "A2"}, 1000), 0, changes).ok());
  EXPECT_EQ(book.next_expiry_ms(), 1000);
  changes.clear();
  book.expire(999, changes);
  EXPECT_TRUE(changes.empty());
  book.expire(1000, changes);
  EXPECT_EQ(changes.size(), 2u);
  EXPECT_EQ(book.status("A1"), SeatStatus::available);
  EXPECT_EQ(book.begin_confirm("h1", 1, 1001).error().slug, "hold-expired");
  EXPECT_EQ(book.begin_confirm("h1", 2, 1001).error().code, Errc::not_found);  // not yours: 404
}

TEST_F(SeatBookTest, ConfirmBooksAndUsesTheHold) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1"}, 1000), 0, changes).ok());
  EXPECT_EQ(book.begin_confirm("h1", 2, 10).error().code, Errc::not_found);
  auto h = book.begin_confirm("h1", 1, 10);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(book.begin_confirm("h1", 1, 11).error().slug, "hold-expired");  // in progress
  EXPECT_EQ(book.release("h1", 1, 11, changes).error().slug, "hold-confirming");
  changes.clear();
  book.expire(5000, changes);  // a confirming hold waits for the store's verdict
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(book.status("A1"), SeatStatus::held);
  book.finish_confirm("h1", true, 5001, changes);
  EXPECT_EQ(changes, (std::vector<SeatChange>{{"A1", SeatStatus::booked}}));
  EXPECT_EQ(book.status("A1"), SeatStatus::booked);
  EXPECT_EQ(book.begin_confirm("h1", 1, 5002).error().slug, "hold-expired");
  EXPECT_FALSE(book.try_hold(hold("h2", 2, {"A1"}, 9000), 5002, changes).ok());
}

TEST_F(SeatBookTest, FailedConfirmReleases) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1"}, 1000), 0, changes).ok());
  ASSERT_TRUE(book.begin_confirm("h1", 1, 0).ok());
  changes.clear();
  book.finish_confirm("h1", false, 1, changes);
  EXPECT_EQ(changes, (std::vector<SeatChange>{{"A1", SeatStatus::available}}));
  EXPECT_TRUE(book.try_hold(hold("h2", 2, {"A1"}, 1000), 2, changes).ok());
}

TEST_F(SeatBookTest, ExpiredButUnsweptHoldCannotConfirm) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1"}, 1000), 0, changes).ok());
  EXPECT_EQ(book.begin_confirm("h1", 1, 1000).error().slug, "hold-expired");
  EXPECT_EQ(book.status("A1"), SeatStatus::available);
}

TEST_F(SeatBookTest, CancelFreesBookedSeats) {
  std::vector<std::string> seats{"A1", "A2"};
  book.mark_booked(seats, changes);
  EXPECT_EQ(book.status("A2"), SeatStatus::booked);
  EXPECT_FALSE(book.try_hold(hold("h1", 1, {"A2"}, 1000), 0, changes).ok());
  changes.clear();
  book.mark_free(seats, changes);
  EXPECT_EQ(changes.size(), 2u);
  EXPECT_TRUE(book.try_hold(hold("h1", 1, {"A2"}, 1000), 0, changes).ok());
}

TEST_F(SeatBookTest, TombstonesAreForgotten) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1"}, 1000), 0, changes).ok());
  book.expire(1000, changes);
  EXPECT_EQ(book.begin_confirm("h1", 1, 1001).error().slug, "hold-expired");
  book.expire(1000 + SeatBook::kTombstoneMs, changes);
  EXPECT_EQ(book.begin_confirm("h1", 1, 1000 + SeatBook::kTombstoneMs).error().code, Errc::not_found);
}

// Exhaustive over small worlds: random operations never leave a seat in two holds, never
// hold a booked seat, and the reported changes always replay to the book's own state.
TEST_F(SeatBookTest, RandomOperationsKeepInvariants) {
  std::uint64_t rng = 12345;
  auto next = [&](std::uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  };
  const std::vector<std::string> all{"A1", "A2", "A3", "A4", "A5"};
  std::map<std::string, SeatStatus> replay;
  for (const auto& s : all) replay[s] = SeatStatus::available;
  std::int64_t now = 0;
  int holds = 0;
  for (int step = 0; step < 20000; ++step) {
    now += static_cast<std::int64_t>(next(50));
    changes.clear();
    const Id user = static_cast<Id>(next(3) + 1);
    const std::string id = "h" + std::to_string(next(static_cast<std::uint64_t>(holds) + 1));
    switch (next(6)) {
      case 0: {
        std::vector<std::string> seats;
        for (const auto& s : all)
          if (next(3) == 0) seats.push_back(s);
        if (seats.empty()) break;
        (void)book.try_hold(hold("h" + std::to_string(holds++), user, seats, now + static_cast<std::int64_t>(next(500))), now, changes);
        break;
      }
      case 1: (void)book.release(id, user, now, changes); break;
      case 2:
        if (book.begin_confirm(id, user, now).ok()) book.finish_confirm(id, next(2) == 0, now, changes);
        break;
      case 3: book.expire(now, changes); break;
      case 4: {
        std::vector<std::string> one{all[next(all.size())]};
        if (book.status(one[0]) == SeatStatus::booked) book.mark_free(one, changes);
        break;
      }
      default: break;
    }
    for (const auto& c : changes) replay[c.seat] = c.status;
    for (const auto& s : all) ASSERT_EQ(replay[s], book.status(s)) << "step " << step << " seat " << s;
  }
}
