#include <gtest/gtest.h>

#include "domain/seat_book.hpp"

using namespace boxoffice;

namespace {
HoldInfo hold(std::string id, Id user, std::vector<std::string> seats, std::int64_t expires) {
  return HoldInfo{std::move(id), 1, user, std::move(seats), 100, expires};
}
constexpr std::int64_t kDeadline = 30'000;
}  // namespace

class SeatBookTest : public ::testing::Test {
 protected:
  SeatBook book{SeatBookLimits{0, 60'000}};
  std::vector<SeatChange> changes;

  Result<ConfirmTicket> confirm(std::string_view id, Id user, std::int64_t now) {
    return book.begin_confirm(id, user, now, now + kDeadline, changes);
  }
};

TEST_F(SeatBookTest, HoldIsAllOrNothing) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1", "A2"}, 1000), 0, changes).ok());
  EXPECT_EQ(changes, (std::vector<SeatChange>{{"A1", SeatStatus::held}, {"A2", SeatStatus::held}}));
  changes.clear();
  auto clash = book.try_hold(hold("h2", 2, {"A3", "A2", "A1"}, 1000), 0, changes);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().problem, Problem::seat_unavailable);
  EXPECT_EQ(clash.error().slug(), "seat-unavailable");
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
  EXPECT_TRUE(book.release("h1", 1, 0, changes).ok());                         // harmless twice
  EXPECT_EQ(book.release("h1", 2, 0, changes).error().code, Errc::not_found);  // still not yours
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(confirm("h1", 1, 0).error().problem, Problem::hold_expired);
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
  EXPECT_EQ(confirm("h1", 1, 1001).error().problem, Problem::hold_expired);
  EXPECT_EQ(confirm("h1", 2, 1001).error().code, Errc::not_found);  // not yours: 404
}

TEST_F(SeatBookTest, ConfirmBooksAndUsesTheHold) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1"}, 1000), 0, changes).ok());
  EXPECT_EQ(confirm("h1", 2, 10).error().code, Errc::not_found);
  auto t = confirm("h1", 1, 10);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->hold.seats, (std::vector<std::string>{"A1"}));
  EXPECT_EQ(confirm("h1", 1, 11).error().problem, Problem::hold_expired);  // in progress
  EXPECT_EQ(book.release("h1", 1, 11, changes).error().problem, Problem::hold_confirming);
  changes.clear();
  book.expire(5000, changes);  // a confirming hold outlives its expiry until its deadline
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(book.status("A1"), SeatStatus::held);
  book.finish_confirm(*t, ConfirmOutcome::booked, {}, 5001, changes);
  EXPECT_EQ(changes, (std::vector<SeatChange>{{"A1", SeatStatus::booked}}));
  EXPECT_EQ(book.status("A1"), SeatStatus::booked);
  EXPECT_EQ(confirm("h1", 1, 5002).error().problem, Problem::hold_expired);
  EXPECT_FALSE(book.try_hold(hold("h2", 2, {"A1"}, 9000), 5002, changes).ok());
}

TEST_F(SeatBookTest, FailedConfirmReleases) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1"}, 1000), 0, changes).ok());
  auto t = confirm("h1", 1, 0);
  ASSERT_TRUE(t.ok());
  changes.clear();
  book.finish_confirm(*t, ConfirmOutcome::released, {}, 1, changes);
  EXPECT_EQ(changes, (std::vector<SeatChange>{{"A1", SeatStatus::available}}));
  EXPECT_TRUE(book.try_hold(hold("h2", 2, {"A1"}, 1000), 2, changes).ok());
}

// Item 7: the expiry a confirm discovers is reported like any other.
TEST_F(SeatBookTest, ExpiryFoundByConfirmIsReported) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1", "A2"}, 1000), 0, changes).ok());
  changes.clear();
  EXPECT_EQ(confirm("h1", 1, 1050).error().problem, Problem::hold_expired);
  EXPECT_EQ(changes, (std::vector<SeatChange>{{"A1", SeatStatus::available},
                                              {"A2", SeatStatus::available}}));
  EXPECT_EQ(book.status("A1"), SeatStatus::available);
  EXPECT_EQ(book.next_expiry_ms(), std::numeric_limits<std::int64_t>::max());
}

// Item 9: a confirmation that never finishes gives the seats back at its deadline.
TEST_F(SeatBookTest, AbandonedConfirmRevertsAtItsDeadline) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1"}, 1000), 0, changes).ok());
  auto t = confirm("h1", 1, 100);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(book.next_expiry_ms(), 100 + kDeadline);
  changes.clear();
  book.expire(100 + kDeadline - 1, changes);
  EXPECT_EQ(book.status("A1"), SeatStatus::held);
  book.expire(100 + kDeadline, changes);
  EXPECT_EQ(changes, (std::vector<SeatChange>{{"A1", SeatStatus::available}}));
  EXPECT_EQ(book.live_hold_count(), 0u);
  // A stale "released" changes nothing; a new hold on the seat stands.
  ASSERT_TRUE(book.try_hold(hold("h2", 2, {"A1"}, 90'000), 100 + kDeadline, changes).ok());
  changes.clear();
  book.finish_confirm(*t, ConfirmOutcome::released, {}, 100 + kDeadline + 1, changes);
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(book.status("A1"), SeatStatus::held);
  // A late "booked" verdict still wins: the store is the truth.
  book.finish_confirm(*t, ConfirmOutcome::booked, {}, 100 + kDeadline + 2, changes);
  EXPECT_EQ(changes, (std::vector<SeatChange>{{"A1", SeatStatus::booked}}));
  EXPECT_EQ(book.status("A1"), SeatStatus::booked);
}

// Item 8: when the store says some seats are booked, the mirror learns it before the others
// come free, so they never look available.
TEST_F(SeatBookTest, TakenVerdictRepairsTheMirror) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1", "A2"}, 1000), 0, changes).ok());
  auto t = confirm("h1", 1, 10);
  ASSERT_TRUE(t.ok());
  changes.clear();
  std::vector<std::string> taken{"A2"};
  book.finish_confirm(*t, ConfirmOutcome::taken, taken, 11, changes);
  EXPECT_EQ(changes,
            (std::vector<SeatChange>{{"A2", SeatStatus::booked}, {"A1", SeatStatus::available}}));
  EXPECT_EQ(book.status("A2"), SeatStatus::booked);
  EXPECT_EQ(book.status("A1"), SeatStatus::available);
  EXPECT_FALSE(book.try_hold(hold("h2", 2, {"A2"}, 2000), 12, changes).ok());
}

TEST_F(SeatBookTest, FencesKeepOldTicketsOut) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1"}, 100'000), 0, changes).ok());
  auto t = confirm("h1", 1, 0);
  ASSERT_TRUE(t.ok());
  ConfirmTicket forged = *t;
  forged.fence += 1;
  changes.clear();
  book.finish_confirm(forged, ConfirmOutcome::released, {}, 1, changes);
  EXPECT_TRUE(changes.empty());
  EXPECT_EQ(book.status("A1"), SeatStatus::held);
}

TEST_F(SeatBookTest, ExpiredButUnsweptHoldCannotConfirm) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1"}, 1000), 0, changes).ok());
  EXPECT_EQ(confirm("h1", 1, 1000).error().problem, Problem::hold_expired);
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

// Item 3: ended holds are remembered briefly and compactly, then forgotten.
TEST_F(SeatBookTest, TombstonesAreForgotten) {
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1"}, 1000), 0, changes).ok());
  book.expire(1000, changes);
  EXPECT_EQ(book.live_hold_count(), 0u);
  EXPECT_EQ(book.tombstone_count(), 1u);
  EXPECT_EQ(confirm("h1", 1, 1001).error().problem, Problem::hold_expired);
  EXPECT_FALSE(book.idle());  // still remembered: dropping the book now would turn 409 into 404
  book.expire(1000 + 60'000, changes);
  EXPECT_EQ(book.tombstone_count(), 0u);
  EXPECT_TRUE(book.idle());
  EXPECT_EQ(confirm("h1", 1, 1000 + 60'000).error().code, Errc::not_found);
}

TEST_F(SeatBookTest, TombstonesStayBoundedUnderChurn) {
  std::int64_t now = 0;
  for (int i = 0; i < 100'000; ++i, now += 10) {
    const std::string id = "h" + std::to_string(i);
    ASSERT_TRUE(
        book.try_hold(hold(id, 1, {"A" + std::to_string(i % 50 + 1)}, now + 5), now, changes).ok());
    ASSERT_TRUE(book.release(id, 1, now, changes).ok());
    changes.clear();
  }
  // 60 s window at one hold per 10 ms: about 6,000 remembered, not 100,000.
  EXPECT_LE(book.tombstone_count(), 6'001u);
  EXPECT_EQ(book.live_hold_count(), 0u);
}

// Item 17: one user holds at most N seats of a show across holds.
TEST(SeatBookLimit, PerUserLimitAcrossHolds) {
  SeatBook book{SeatBookLimits{4, 60'000}};
  std::vector<SeatChange> changes;
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1", "A2", "A3"}, 1000), 0, changes).ok());
  auto over = book.try_hold(hold("h2", 1, {"A4", "A5"}, 1000), 0, changes);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().problem, Problem::hold_limit);
  EXPECT_EQ(over.error().slug(), "hold-limit");
  EXPECT_EQ(over.error().code, Errc::conflict);
  EXPECT_EQ(book.status("A4"), SeatStatus::available);
  EXPECT_TRUE(book.try_hold(hold("h3", 1, {"A4"}, 1000), 0, changes).ok());        // exactly 4
  EXPECT_TRUE(book.try_hold(hold("h4", 2, {"A5", "A6"}, 1000), 0, changes).ok());  // another user
  ASSERT_TRUE(book.release("h1", 1, 1, changes).ok());
  EXPECT_TRUE(book.try_hold(hold("h5", 1, {"A7", "A8", "A9"}, 1000), 1, changes).ok());
  EXPECT_EQ(book.holds_of(1).size(), 2u);
  book.expire(1000, changes);  // expiry gives the allowance back too
  EXPECT_TRUE(book.holds_of(1).empty());
  EXPECT_TRUE(book.try_hold(hold("h6", 1, {"B1", "B2", "B3", "B4"}, 5000), 1000, changes).ok());
}

TEST(SeatBookLimit, ConfirmingHoldsCountAndBookedOnesDoNot) {
  SeatBook book{SeatBookLimits{2, 60'000}};
  std::vector<SeatChange> changes;
  ASSERT_TRUE(book.try_hold(hold("h1", 1, {"A1", "A2"}, 1000), 0, changes).ok());
  auto t = book.begin_confirm("h1", 1, 0, 30'000, changes);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(book.try_hold(hold("h2", 1, {"A3"}, 1000), 0, changes).error().problem,
            Problem::hold_limit);
  book.finish_confirm(*t, ConfirmOutcome::booked, {}, 1, changes);
  EXPECT_TRUE(book.try_hold(hold("h2", 1, {"A3"}, 1000), 1, changes).ok());
}

// Random operations never leave a seat in two holds, never hold a booked seat, keep every
// user within the limit, and the reported changes always replay to the book's own state.
// Many seeds: seed 12345 alone missed the unreported expiry in begin_confirm.
class SeatBookRandom : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(SeatBookRandom, OperationsKeepInvariants) {
  SeatBook book{SeatBookLimits{3, 2'000}};
  std::vector<SeatChange> changes;
  std::uint64_t rng = GetParam();
  auto next = [&](std::uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  };
  const std::vector<std::string> all{"A1", "A2", "A3", "A4", "A5", "A6"};
  std::map<std::string, SeatStatus> replay;
  for (const auto& s : all) replay[s] = SeatStatus::available;
  std::vector<std::pair<ConfirmTicket, bool>> open_tickets;
  std::int64_t now = 0;
  int holds = 0;
  for (int step = 0; step < 5000; ++step) {
    now += static_cast<std::int64_t>(next(50));
    changes.clear();
    const Id user = static_cast<Id>(next(3) + 1);
    const std::string id = "h" + std::to_string(next(static_cast<std::uint64_t>(holds) + 1));
    switch (next(8)) {
      case 0:
      case 1: {
        std::vector<std::string> seats;
        for (const auto& s : all)
          if (next(3) == 0) seats.push_back(s);
        if (seats.empty()) break;
        (void)book.try_hold(hold("h" + std::to_string(holds++), user, seats,
                                 now + static_cast<std::int64_t>(next(500))),
                            now, changes);
        break;
      }
      case 2:
        (void)book.release(id, user, now, changes);
        break;
      case 3: {
        auto t =
            book.begin_confirm(id, user, now, now + static_cast<std::int64_t>(next(300)), changes);
        if (t) open_tickets.emplace_back(*t, next(2) == 0);
        break;
      }
      case 4:
        if (!open_tickets.empty()) {
          const std::size_t i = next(open_tickets.size());
          auto [ticket, ok] = open_tickets[i];
          open_tickets.erase(open_tickets.begin() + static_cast<long>(i));
          std::vector<std::string> taken;
          ConfirmOutcome outcome = ok ? ConfirmOutcome::booked : ConfirmOutcome::released;
          if (!ok && next(2) == 0) {
            outcome = ConfirmOutcome::taken;
            taken.push_back(ticket.hold.seats.front());
          }
          book.finish_confirm(ticket, outcome, taken, now, changes);
        }
        break;
      case 5:
        book.expire(now, changes);
        break;
      case 6: {
        std::vector<std::string> one{all[next(all.size())]};
        if (book.status(one[0]) == SeatStatus::booked) book.mark_free(one, changes);
        break;
      }
      default:
        break;
    }
    for (const auto& c : changes) replay[c.seat] = c.status;
    for (const auto& s : all)
      ASSERT_EQ(replay[s], book.status(s))
          << "seed " << GetParam() << " step " << step << " seat " << s;
    for (Id u = 1; u <= 3; ++u) {
      std::size_t held = 0;
      for (const auto& h : book.holds_of(u)) held += h.seats.size();
      ASSERT_LE(held, 3u) << "user " << u << " over the limit at step " << step;
    }
  }
  // Nothing is stranded: past every deadline the book is idle.
  changes.clear();
  book.expire(now + 10'000, changes);
  for (const auto& c : changes) replay[c.seat] = c.status;
  EXPECT_EQ(book.live_hold_count(), 0u);  // nothing stranded
  for (const auto& s : all) EXPECT_EQ(replay[s], book.status(s));
}

INSTANTIATE_TEST_SUITE_P(Seeds, SeatBookRandom, ::testing::Range<std::uint64_t>(1, 201));
