#include "services/common/pg_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/macros.h"
#include "services/common/pg_db_test_fixture.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::pg_db_test::kItemsSchema;
using ::carebridge::pg_db_test::kSteps;
using ::carebridge::pg_db_test::PgDbTest;

using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::RunPostgresAdmin;
using ::carebridge::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(TranslatePlaceholdersTest, NumbersAnonymousAndExplicitOutsideQuotes) {
  EXPECT_EQ(TranslatePlaceholders("SELECT ? , ?, ?1, ?5, ?"),
            "SELECT $1 , $2, $1, $5, $6");
  EXPECT_EQ(TranslatePlaceholders("SELECT '?', \"a?\", 'it''s ?', ? -- ?\n"
                                  "/* ? */ ?"),
            "SELECT '?', \"a?\", 'it''s ?', $1 -- ?\n/* ? */ $2");
}

TEST_F(PgDbTest, BindsAndColumnsRoundTrip) {
  std::unique_ptr<PgDb> db = OpenOrDie(kItemsSchema);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->engine(), "postgresql");
  EXPECT_EQ(db->schema_version(), 1);
  std::string blob(1 << 20, '\0');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>(i * 7);
  const std::string text = "caf\xc3\xa9 'quoted' ? $1";
  ASSERT_THAT(db->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement insert,
                     conn.Prepare("INSERT INTO items (key, n, value, note) "
                                  "VALUES (?, ?, ?, ?)"));
    insert.Bind(1, "big").Bind(2, int64_t{-9007199254740993}).BindBlob(3, blob);
    insert.Bind(4, text);
    RETURN_IF_ERROR(insert.Run());
    EXPECT_EQ(conn.Changes(), 1);
    ASSIGN_OR_RETURN(Statement nulls,
                     conn.Prepare("INSERT INTO items (key, n, value, note) "
                                  "VALUES (?1, ?2, ?3, ?4)"));
    nulls.Bind(1, "nulls").BindNull(2).BindNull(3).BindNull(4);
    return nulls.Run();
  }),
              IsOk());
  ASSERT_THAT(db->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT key, n, value, note FROM items "
                                  "ORDER BY key"));
    ASSIGN_OR_RETURN(bool row, select.Step());
    EXPECT_TRUE(row);
    EXPECT_EQ(select.ColumnText(0), "big");
    EXPECT_EQ(select.ColumnInt64(1), -9007199254740993);
    EXPECT_TRUE(select.ColumnBlob(2) == blob);
    EXPECT_EQ(select.ColumnText(3), text);
    EXPECT_FALSE(select.ColumnIsNull(2));
    ASSIGN_OR_RETURN(row, select.Step());
    EXPECT_TRUE(row);
    EXPECT_EQ(select.ColumnText(0), "nulls");
    EXPECT_TRUE(select.ColumnIsNull(1));
    EXPECT_TRUE(select.ColumnIsNull(2));
    EXPECT_TRUE(select.ColumnIsNull(3));
    EXPECT_EQ(select.ColumnInt64(1), 0);
    EXPECT_EQ(select.ColumnBlob(2), "");
    ASSIGN_OR_RETURN(row, select.Step());
    EXPECT_FALSE(row);
    return absl::OkStatus();
  }),
              IsOk());
}

TEST_F(PgDbTest, ChangesCountsRowsOfTheLastStatement) {
  std::unique_ptr<PgDb> db = OpenOrDie(kItemsSchema);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(db->Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(conn.Exec(
        "INSERT INTO items (key, n) VALUES ('a', 1), ('b', 1), ('c', 2)"));
    ASSIGN_OR_RETURN(Statement update,
                     conn.Prepare("UPDATE items SET n = n + 10 WHERE n = ?"));
    update.Bind(1, int64_t{1});
    RETURN_IF_ERROR(update.Run());
    EXPECT_EQ(conn.Changes(), 2);
    RETURN_IF_ERROR(conn.Exec("SELECT * FROM items"));
    EXPECT_EQ(conn.Changes(), 2);
    return absl::OkStatus();
  }),
              IsOk());
}

TEST_F(PgDbTest, FailedWriteRollsBack) {
  std::unique_ptr<PgDb> db = OpenOrDie(kItemsSchema);
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(db->Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(conn.Exec("INSERT INTO items (key, n) VALUES ('a', 1)"));
    return absl::NotFoundError("changed my mind");
  }),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Column(*db, "SELECT count(*) FROM items"),
              IsOkAndHolds(ElementsAre(0)));
}

TEST_F(PgDbTest, ConstraintViolationIsInternalAsOnSqlite) {
  std::unique_ptr<PgDb> db = OpenOrDie(kItemsSchema);
  ASSERT_NE(db, nullptr);
  auto insert = [&](Connection& conn) {
    return conn.Exec("INSERT INTO items (key, n) VALUES ('a', 1)");
  };
  ASSERT_THAT(db->Write(insert), IsOk());
  EXPECT_THAT(db->Write(insert),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("23505")));
}

TEST_F(PgDbTest, ConcurrentWritersAllCommit) {
  std::unique_ptr<PgDb> db = OpenOrDie(kItemsSchema);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(db->Write([](Connection& conn) {
    return conn.Exec("INSERT INTO items (key, n) VALUES ('counter', 0)");
  }),
              IsOk());
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // Read-modify-write of one row: the conflicts SERIALIZABLE refuses
        // are retried, so no increment is lost.
        absl::Status status = db->Write([&](Connection& conn) -> absl::Status {
          ASSIGN_OR_RETURN(
              Statement select,
              conn.Prepare("SELECT n FROM items WHERE key = 'counter'"));
          ASSIGN_OR_RETURN(bool row, select.Step());
          if (!row) return absl::InternalError("no counter");
          const int64_t n = select.ColumnInt64(0);
          ASSIGN_OR_RETURN(
              Statement update,
              conn.Prepare("UPDATE items SET n = ? WHERE key = 'counter'"));
          update.Bind(1, n + 1);
          RETURN_IF_ERROR(update.Run());
          ASSIGN_OR_RETURN(
              Statement insert,
              conn.Prepare("INSERT INTO items (key, n) VALUES (?, ?)"));
          insert.Bind(1, absl::StrCat("t", t, "-", i)).Bind(2, n);
          return insert.Run();
        });
        if (!status.ok()) {
          ADD_FAILURE() << status;
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_THAT(Column(*db, "SELECT n FROM items WHERE key = 'counter'"),
              IsOkAndHolds(ElementsAre(kThreads * kEach)));
  EXPECT_THAT(Column(*db,
                     "SELECT count(DISTINCT n) FROM items WHERE key <> "
                     "'counter'"),
              IsOkAndHolds(ElementsAre(kThreads * kEach)));
}

TEST_F(PgDbTest, SerializationFailureRunsTheWriteAgain) {
  std::unique_ptr<PgDb> db = OpenOrDie(kItemsSchema);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(db->Write([](Connection& conn) {
    return conn.Exec("INSERT INTO items (key, n) VALUES ('x', 0)");
  }),
              IsOk());
  // The first attempt reads, then another writer commits a change to what
  // it read before it writes: its UPDATE fails with serialization_failure
  // (which `fn` even hides), and the whole write runs again.
  int attempts = 0;
  absl::Status status = db->Write([&](Connection& conn) -> absl::Status {
    ++attempts;
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT n FROM items WHERE key = 'x'"));
    ASSIGN_OR_RETURN(bool row, select.Step());
    EXPECT_TRUE(row);
    const int64_t n = select.ColumnInt64(0);
    if (attempts == 1) {
      std::thread other([&] {
        EXPECT_THAT(RunPostgresAdmin(
                        url_, "UPDATE items SET n = n + 100 WHERE key = 'x'"),
                    IsOk());
      });
      other.join();
    }
    ASSIGN_OR_RETURN(Statement update,
                     conn.Prepare("UPDATE items SET n = ? WHERE key = 'x'"));
    update.Bind(1, n + 1);
    absl::Status updated = update.Run();
    if (!updated.ok()) return absl::NotFoundError("hidden conflict");
    return absl::OkStatus();
  });
  EXPECT_THAT(status, IsOk());
  EXPECT_EQ(attempts, 2);
  EXPECT_THAT(Column(*db, "SELECT n FROM items WHERE key = 'x'"),
              IsOkAndHolds(ElementsAre(101)));
}

TEST_F(PgDbTest, ReadSeesOneSnapshot) {
  std::unique_ptr<PgDb> db = OpenOrDie(kItemsSchema);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(db->Read([&](Connection& conn) -> absl::Status {
    auto count = [&]() -> absl::StatusOr<int64_t> {
      ASSIGN_OR_RETURN(Statement select,
                       conn.Prepare("SELECT count(*) FROM items"));
      ASSIGN_OR_RETURN(bool row, select.Step());
      (void)row;
      return select.ColumnInt64(0);
    };
    EXPECT_THAT(count(), IsOkAndHolds(0));
    EXPECT_THAT(RunPostgresAdmin(url_, "INSERT INTO items (key) VALUES ('a')"),
                IsOk());
    EXPECT_THAT(count(), IsOkAndHolds(0));
    // Read-only.
    EXPECT_THAT(conn.Exec("INSERT INTO items (key) VALUES ('b')"), Not(IsOk()));
    return absl::OkStatus();
  }),
              Not(IsOk()));  // The failed insert aborts the transaction.
  EXPECT_THAT(Column(*db, "SELECT count(*) FROM items"),
              IsOkAndHolds(ElementsAre(1)));
}

TEST_F(PgDbTest, MigrationsRunOnceInOrder) {
  {
    std::unique_ptr<PgDb> db = OpenOrDie({kSteps[0]});
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->schema_version(), 1);
  }
  std::unique_ptr<PgDb> db = OpenOrDie(kSteps);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->schema_version(), 2);
  std::unique_ptr<PgDb> again = OpenOrDie(kSteps);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->schema_version(), 2);
  EXPECT_THAT(Column(*db, "SELECT n FROM steps ORDER BY n"),
              IsOkAndHolds(ElementsAre(1, 2)));
  EXPECT_THAT(Column(*db, "SELECT version FROM schema_migrations ORDER BY 1"),
              IsOkAndHolds(ElementsAre(1, 2)));
}

TEST_F(PgDbTest, NewerDatabaseIsRefused) {
  ASSERT_NE(OpenOrDie(kSteps), nullptr);
  EXPECT_THAT(PgDb::Open(url_, {kSteps[0]}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("newer than this binary knows")));
}

TEST_F(PgDbTest, FailedMigrationChangesNothing) {
  std::vector<Migration> broken = kSteps;
  broken.push_back({3, "CREATE TABLE more (n INTEGER); SELECT nonsense;"});
  EXPECT_THAT(PgDb::Open(url_, broken),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("migration 3")));
  std::unique_ptr<PgDb> db = OpenOrDie(kSteps);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->schema_version(), 2);
  EXPECT_THAT(Column(*db,
                     "SELECT count(*) FROM information_schema.tables "
                     "WHERE table_name = 'more'"),
              IsOkAndHolds(ElementsAre(0)));
}

TEST_F(PgDbTest, ReplicasMigratingTogetherApplyEachStepOnce) {
  constexpr int kReplicas = 6;
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<std::unique_ptr<PgDb>> db = PgDb::Open(url_, kSteps);
      EXPECT_THAT(db, IsOk());
      if (db.ok() && (*db)->schema_version() == 2) ++opened;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(opened, kReplicas);
  std::unique_ptr<PgDb> db = OpenOrDie(kSteps);
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(Column(*db, "SELECT n FROM steps ORDER BY n"),
              IsOkAndHolds(ElementsAre(1, 2)));
}

}  // namespace
}  // namespace carebridge
