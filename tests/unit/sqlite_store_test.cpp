// The embedded store on its own: the final-judge path, idempotency records, cancellation
// outcomes, migrations on an existing database, and the group-commit queue's failure rules.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <latch>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "async/run_sync.hpp"
#include "domain/time.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/write_queue.hpp"

using namespace boxoffice;

namespace {

template <class T>
T run(boost::asio::awaitable<T> task) {
  return run_sync(std::move(task));
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("boxoffice-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store_ = open_sqlite_store(SqliteOptions{dir_.string(), 2, 64});
    NewUser u{"ann@example.com", "Ann", "hash", Role::customer};
    user_ = run(store_->create_user(u))->id;
    Movie m{0, "Film", "", 90, "PG", {}};
    const Id movie = run(store_->create_movie(m))->id;
    NewTheater t{"T", "C", "UTC", {NewScreen{"S", {SeatRow{"A", 10, "standard"}}}}};
    const Id screen = run(store_->create_theater(t))->screens.at(0).id;
    NewShow s{movie, screen, now_unix() + 86400, PriceTable{{"standard", 1000}}, "USD"};
    show_ = run(store_->create_show(s))->id;
  }
  void TearDown() override {
    store_->stop();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  NewBooking booking(std::vector<std::string> seats, std::string key = "") {
    return NewBooking{user_, show_, std::move(seats), 1000, "USD", std::move(key), "hash-of-body"};
  }

  std::filesystem::path dir_;
  std::shared_ptr<Store> store_;
  Id user_ = 0;
  Id show_ = 0;
};

}  // namespace

TEST_F(SqliteStoreTest, SecondClaimOfASeatIsSeatUnavailableNamingIt) {
  ASSERT_TRUE(run(store_->confirm_booking(booking({"A1", "A2"}))).ok());
  auto again = run(store_->confirm_booking(booking({"A3", "A2"})));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().problem, Problem::seat_unavailable);
  EXPECT_EQ(again.error().code, Errc::conflict);
  EXPECT_EQ(again.error().seats, (std::vector<std::string>{"A2"}));
  auto booked = run(store_->booked_seats(show_));
  ASSERT_TRUE(booked.ok());
  std::sort(booked->begin(), booked->end());
  EXPECT_EQ(*booked, (std::vector<std::string>{"A1", "A2"}));  // A3 was not claimed
}

TEST_F(SqliteStoreTest, ConcurrentClaimsInOneBatchLetOnlyOneWin) {
  // Submitted together, they share a commit batch: the database decides, one wins, the other
  // gets the typed 409 (not a 503), and the winner is not rolled back.
  boost::asio::io_context ioc;
  std::vector<std::future<std::optional<Result<Booking>>>> results;
  for (int i = 0; i < 8; ++i)
    results.push_back(boost::asio::co_spawn(
        ioc, as_optional(store_->confirm_booking(booking({"A5", "A6"}))), boost::asio::use_future));
  ioc.run();
  int ok = 0, taken = 0;
  for (auto& f : results) {
    auto r = *f.get();
    if (r)
      ++ok;
    else if (r.error().problem == Problem::seat_unavailable)
      ++taken;
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(taken, 7);
}

TEST_F(SqliteStoreTest, IdempotencyKeyIsRecordedWithTheBooking) {
  auto first = run(store_->confirm_booking(booking({"A1"}, "key-1")));
  ASSERT_TRUE(first.ok());
  auto rec = run(store_->find_idempotency(user_, "key-1"));
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((*rec)->booking_id, first->id);
  EXPECT_EQ((*rec)->request_hash, "hash-of-body");
  auto replay = run(store_->confirm_booking(booking({"A2"}, "key-1")));
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().problem, Problem::idempotency_replay);
  auto booked = run(store_->booked_seats(show_));
  EXPECT_EQ(booked->size(), 1u);  // the replay claimed nothing
}

TEST_F(SqliteStoreTest, IdempotencyRecordsArePurgedByAgeOnly) {
  ASSERT_TRUE(run(store_->confirm_booking(booking({"A1"}, "key-old"))).ok());
  // Records created before the cut-off go; the booking stays.
  ASSERT_TRUE(run(store_->purge_expired(now_unix() - 60)).ok());
  EXPECT_TRUE(run(store_->find_idempotency(user_, "key-old")).value().has_value());
  ASSERT_TRUE(run(store_->purge_expired(now_unix() + 60)).ok());
  EXPECT_FALSE(run(store_->find_idempotency(user_, "key-old")).value().has_value());
  auto bookings = run(store_->list_bookings(user_, 0, 10));
  ASSERT_TRUE(bookings.ok());
  EXPECT_EQ(bookings.value().items.size(), 1u);
}

TEST_F(SqliteStoreTest, CancelSaysWhetherItChangedAnything) {
  auto b = run(store_->confirm_booking(booking({"A1", "A2"})));
  ASSERT_TRUE(b.ok());
  auto first = run(store_->cancel_booking(b->id));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->changed);
  EXPECT_EQ(first->booking.status, BookingStatus::cancelled);
  auto second = run(store_->cancel_booking(b->id));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->changed);
  EXPECT_TRUE(run(store_->booked_seats(show_))->empty());
  EXPECT_TRUE(run(store_->confirm_booking(booking({"A1"}))).ok());  // the seat is free again
  EXPECT_EQ(run(store_->cancel_booking(999999)).error().code, Errc::not_found);
}

TEST_F(SqliteStoreTest, ReopeningAnExistingDatabaseKeepsDataAndMigratesNothing) {
  auto b = run(store_->confirm_booking(booking({"A4"})));
  ASSERT_TRUE(b.ok());
  store_->stop();
  store_.reset();
  EXPECT_EQ(migrate_sqlite(dir_.string()), 0);
  store_ = open_sqlite_store(SqliteOptions{dir_.string(), 2, 64});
  auto again = run(store_->get_booking(b->id));
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->seats, (std::vector<std::string>{"A4"}));
}

TEST_F(SqliteStoreTest, ASecondStoreOnTheSameDirectoryIsRefused) {
  try {
    auto other = open_sqlite_store(SqliteOptions{dir_.string(), 1, 64});
    FAIL() << "a second store opened the same data directory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
  }
}

TEST_F(SqliteStoreTest, CallsAfterStopAreRefusedNotLost) {
  store_->stop();
  boost::asio::io_context ioc;
  auto fut = boost::asio::co_spawn(ioc, as_optional(store_->confirm_booking(booking({"A9"}))),
                                   boost::asio::use_future);
  ioc.run();
  auto r = *fut.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unavailable);
}

namespace {

std::unique_ptr<sqlite::Connection> scratch_connection(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  auto c = std::make_unique<sqlite::Connection>((dir / "q.db").string(), false);
  c->exec("CREATE TABLE IF NOT EXISTS t (v INTEGER PRIMARY KEY)");
  return c;
}

}  // namespace

TEST(WriteQueue, AFailingJobRollsBackOnlyItself) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("boxoffice-wq-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::latch started(1), release(1), done(3);
  std::vector<int> committed(3, -1);
  {
    sqlite::WriteQueue q(scratch_connection(dir), 64, 64);
    // A first job holds the writer so that the next three land in one batch.
    ASSERT_TRUE(q.submit({[&](sqlite::Connection&) {
                            started.count_down();
                            release.wait();
                            return true;
                          },
                          [](bool) {}}));
    started.wait();
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(q.submit({[i](sqlite::Connection& db) {
                              db.prepare("INSERT INTO t (v) VALUES (?)")
                                  .bind_all(static_cast<std::int64_t>(i))
                                  .run();
                              return i != 1;  // the middle one fails
                            },
                            [&, i](bool ok) {
                              committed[static_cast<std::size_t>(i)] = ok;
                              done.count_down();
                            }}));
    }
    release.count_down();
    done.wait();
  }
  EXPECT_EQ(committed, (std::vector<int>{1, 1, 1}));  // the batch committed
  sqlite::Connection db((dir / "q.db").string(), true);
  auto& q = db.prepare("SELECT v FROM t ORDER BY v");
  std::vector<std::int64_t> rows;
  while (q.step()) rows.push_back(q.int64(0));
  q.reset();
  EXPECT_EQ(rows, (std::vector<std::int64_t>{0, 2}));
  std::filesystem::remove_all(dir);
}

TEST(WriteQueue, AFailedCommitFailsTheWholeBatch) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("boxoffice-wq2-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::latch done(2);
  std::vector<int> committed(2, -1);
  {
    sqlite::WriteQueue q(scratch_connection(dir), 64, 64);
    ASSERT_TRUE(q.submit({[](sqlite::Connection& db) {
                            db.prepare("INSERT INTO t (v) VALUES (1)").run();
                            db.exec(
                                "ROLLBACK");  // the transaction is gone: RELEASE and COMMIT fail
                            return true;
                          },
                          [&](bool ok) {
                            committed[0] = ok;
                            done.count_down();
                          }}));
    ASSERT_TRUE(q.submit({[](sqlite::Connection&) { return true; },
                          [&](bool ok) {
                            committed[1] = ok;
                            done.count_down();
                          }}));
    done.wait();
  }
  EXPECT_EQ(committed[0], 0);
  std::filesystem::remove_all(dir);
}

TEST(WriteQueue, ABoundedQueueRefusesInsteadOfGrowing) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("boxoffice-wq3-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::latch started(1), release(1);
  std::atomic<int> finished{0};
  {
    sqlite::WriteQueue q(scratch_connection(dir), 64, 4);
    ASSERT_TRUE(q.submit({[&](sqlite::Connection&) {
                            started.count_down();
                            release.wait();
                            return true;
                          },
                          [&](bool) { ++finished; }}));
    started.wait();
    int accepted = 0;
    for (int i = 0; i < 10; ++i)
      accepted += q.submit({[](sqlite::Connection&) { return true; }, [&](bool) { ++finished; }});
    EXPECT_EQ(accepted, 4);
    release.count_down();
  }
  EXPECT_EQ(finished.load(), 5);  // every accepted job was answered
  std::filesystem::remove_all(dir);
}
