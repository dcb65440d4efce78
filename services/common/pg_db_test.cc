#include "services/common/pg_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "services/common/macros.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/status_matchers.h"

namespace carebridge {
namespace {

using ::carebridge::testing::IsOk;
using ::carebridge::testing::IsOkAndHolds;
using ::carebridge::testing::RunPostgresAdmin;
using ::carebridge::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<Migration> kItemsSchema = {
    {1,
     "CREATE TABLE items (key TEXT PRIMARY KEY, n BIGINT, value BYTEA, "
     "note TEXT)"},
};

// Step 2 reads the table step 1 made.
const std::vector<Migration> kSteps = {
    {1, "CREATE TABLE steps (n INTEGER); INSERT INTO steps VALUES (1);"},
    {2, "INSERT INTO steps SELECT max(n) + 1 FROM steps;"},
};

TEST(TranslatePlaceholdersTest, NumbersAnonymousAndExplicitOutsideQuotes) {
  EXPECT_EQ(TranslatePlaceholders("SELECT ? , ?, ?1, ?5, ?"),
            "SELECT $1 , $2, $1, $5, $6");
  EXPECT_EQ(TranslatePlaceholders("SELECT '?', \"a?\", 'it''s ?', ? -- ?\n"
                                  "/* ? */ ?"),
            "SELECT '?', \"a?\", 'it''s ?', $1 -- ?\n/* ? */ $2");
}

class PgDbTest : public testing::PostgresDatabaseTest {
 protected:
  PgDbTest() : PostgresDatabaseTest("pg_db_test") {}

  std::unique_ptr<PgDb> OpenOrDie(const std::vector<Migration>& migrations,
                                  PgDb::Options options = {}) {
    absl::StatusOr<std::unique_ptr<PgDb>> db =
        PgDb::Open(url_, migrations, options);
    EXPECT_THAT(db, IsOk());
    return db.ok() ? std::move(*db) : nullptr;
  }

  absl::StatusOr<std::vector<int64_t>> Column(Database& db,
                                              const std::string& sql) {
    std::vector<int64_t> values;
    RETURN_IF_ERROR(db.Read([&](Connection& conn) -> absl::Status {
      values.clear();
      ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
      while (true) {
        ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) return absl::OkStatus();
        values.push_back(stmt.ColumnInt64(0));
      }
    }));
    return values;
  }
};

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

TEST_F(PgDbTest, UnreachableDatabaseNamesHostAndPortNotPassword) {
  absl::StatusOr<std::unique_ptr<PgDb>> db =
      PgDb::Open("postgresql://carebridge:s3cr3t-pw@127.0.0.1:1/referral",
                 kSteps, ::carebridge::testing::PgOptions(1, absl::Seconds(2)));
  EXPECT_THAT(db, StatusIs(absl::StatusCode::kUnavailable,
                           AllOf(HasSubstr("127.0.0.1:1/referral"),
                                 Not(HasSubstr("s3cr3t-pw")))));
}

TEST_F(PgDbTest, WrongPasswordIsRefusedWithoutEchoingIt) {
  const size_t at = url_.find('@');
  const std::string wrong =
      absl::StrCat("postgresql://postgres:not-the-password", url_.substr(at));
  EXPECT_THAT(PgDb::Open(wrong, kSteps),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("password authentication failed"),
                             Not(HasSubstr("not-the-password")))));
}

TEST_F(PgDbTest, NotAPostgresUrlIsInvalidArgument) {
  EXPECT_THAT(PgDb::Open("mysql://x@y/z", kSteps),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PgDbTest, LostConnectionFailsUnavailableThenRecovers) {
  std::unique_ptr<PgDb> db =
      OpenOrDie(kItemsSchema, ::carebridge::testing::PgOptions(1));
  ASSERT_NE(db, nullptr);
  // The server ends the connection in the middle of a write.
  EXPECT_THAT(db->Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(conn.Exec("INSERT INTO items (key) VALUES ('lost')"));
    EXPECT_THAT(RunPostgresAdmin(
                    url_,
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> "
                    "pg_backend_pid()"),
                IsOk());
    absl::SleepFor(absl::Milliseconds(200));
    return conn.Exec("INSERT INTO items (key) VALUES ('after')");
  }),
              StatusIs(absl::StatusCode::kUnavailable));
  // The next call gets a new connection, with no restart.
  EXPECT_THAT(db->Write([](Connection& conn) {
    return conn.Exec("INSERT INTO items (key) VALUES ('recovered')");
  }),
              IsOk());
  EXPECT_THAT(Column(*db, "SELECT count(*) FROM items"),
              IsOkAndHolds(ElementsAre(1)));
}

TEST_F(PgDbTest, ConnectionLostWhileIdleIsReplacedUnnoticed) {
  std::unique_ptr<PgDb> db =
      OpenOrDie(kItemsSchema, ::carebridge::testing::PgOptions(2));
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(Column(*db, "SELECT 1"), IsOk());
  ASSERT_THAT(
      RunPostgresAdmin(url_,
                       "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> "
                       "pg_backend_pid()"),
      IsOk());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_THAT(Column(*db, "SELECT 1"), IsOkAndHolds(ElementsAre(1)));
}

TEST_F(PgDbTest, ServerDownIsUnavailableNamingTheHost) {
  std::unique_ptr<PgDb> db =
      OpenOrDie(kItemsSchema, ::carebridge::testing::PgOptions(1));
  ASSERT_NE(db, nullptr);
  // Connections refused for this database from now on.
  ASSERT_THAT(RunPostgresAdmin(testing::WithDatabase(url_, "postgres"),
                               absl::StrCat("ALTER DATABASE ",
                                            url_.substr(url_.rfind('/') + 1),
                                            " ALLOW_CONNECTIONS false")),
              IsOk());
  ASSERT_THAT(
      RunPostgresAdmin(testing::WithDatabase(url_, "postgres"),
                       absl::StrCat("SELECT pg_terminate_backend(pid) FROM "
                                    "pg_stat_activity WHERE datname = '",
                                    url_.substr(url_.rfind('/') + 1), "'")),
      IsOk());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_THAT(Column(*db, "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("cannot connect to PostgreSQL at 127.0.0.1")));
  ASSERT_THAT(RunPostgresAdmin(testing::WithDatabase(url_, "postgres"),
                               absl::StrCat("ALTER DATABASE ",
                                            url_.substr(url_.rfind('/') + 1),
                                            " ALLOW_CONNECTIONS true")),
              IsOk());
  EXPECT_THAT(Column(*db, "SELECT 1"), IsOkAndHolds(ElementsAre(1)));
}

TEST_F(PgDbTest, SchemasOfOneDatabaseKeepTheirOwnTablesAndMigrations) {
  PgDb::Options referral_options;
  referral_options.schema = "referral";
  PgDb::Options careplan_options;
  careplan_options.schema = "careplan";
  std::unique_ptr<PgDb> referral = OpenOrDie(kSteps, referral_options);
  std::unique_ptr<PgDb> careplan = OpenOrDie(kItemsSchema, careplan_options);
  ASSERT_NE(referral, nullptr);
  ASSERT_NE(careplan, nullptr);
  EXPECT_EQ(referral->schema_version(), 2);
  EXPECT_EQ(careplan->schema_version(), 1);
  // Each schema's own schema_migrations; nothing in the default one.
  EXPECT_THAT(Column(*careplan,
                     "SELECT count(*) FROM information_schema.tables WHERE "
                     "table_name = 'schema_migrations' AND table_schema IN "
                     "('referral', 'careplan', 'public')"),
              IsOkAndHolds(ElementsAre(2)));
  EXPECT_THAT(Column(*referral, "SELECT version FROM schema_migrations"),
              IsOkAndHolds(ElementsAre(1, 2)));
  EXPECT_THAT(Column(*careplan, "SELECT version FROM schema_migrations"),
              IsOkAndHolds(ElementsAre(1)));
  // A table of one schema is not visible from the other.
  EXPECT_THAT(Column(*careplan, "SELECT n FROM steps"), Not(IsOk()));
  EXPECT_THAT(Column(*referral, "SELECT n FROM steps ORDER BY n"),
              IsOkAndHolds(ElementsAre(1, 2)));
  // Reopened, each finds its own version.
  std::unique_ptr<PgDb> again = OpenOrDie(kSteps, referral_options);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->schema_version(), 2);
}

TEST_F(PgDbTest, ReplicasCreatingOneSchemaTogetherApplyEachStepOnce) {
  constexpr int kReplicas = 6;
  PgDb::Options options;
  options.schema = "directory";
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<std::unique_ptr<PgDb>> db =
          PgDb::Open(url_, kSteps, options);
      EXPECT_THAT(db, IsOk());
      if (db.ok() && (*db)->schema_version() == 2) ++opened;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(opened, kReplicas);
  std::unique_ptr<PgDb> db = OpenOrDie(kSteps, options);
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(Column(*db, "SELECT n FROM steps ORDER BY n"),
              IsOkAndHolds(ElementsAre(1, 2)));
}

TEST_F(PgDbTest, ABadSchemaNameIsInvalidArgument) {
  for (const char* name :
       {"Referral", "1st", "a-b", "x\"; DROP TABLE y; --", "caf\xc3\xa9",
        "a_name_that_is_longer_than_sixty_three_characters_which_postgres_"
        "cuts"}) {
    PgDb::Options options;
    options.schema = name;
    EXPECT_THAT(
        PgDb::Open(url_, kSteps, options),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("schema")))
        << name;
  }
}

TEST_F(PgDbTest, ConnectionsUseKeepalivesUnlessTheUrlSetsThem) {
  absl::StatusOr<std::string> url =
      PgConnectUrl("postgresql://u:p@db.example:5433/care", PgDb::Options());
  ASSERT_THAT(url, IsOk());
  for (const char* setting : {"connect_timeout=10", "keepalives=1",
                              "keepalives_idle=10", "keepalives_interval=5",
                              "keepalives_count=3", "tcp_user_timeout=30000"}) {
    EXPECT_THAT(*url, HasSubstr(setting));
  }
  url = PgConnectUrl(
      "postgresql://u:p@db.example/care?keepalives_idle=60&sslmode=require",
      PgDb::Options());
  ASSERT_THAT(url, IsOk());
  EXPECT_THAT(*url, HasSubstr("keepalives_idle=60"));
  EXPECT_THAT(*url, Not(HasSubstr("keepalives_idle=10")));
  EXPECT_THAT(*url, HasSubstr("keepalives_count=3"));
  // And the server takes them.
  absl::StatusOr<std::string> ours = PgConnectUrl(url_, PgDb::Options());
  ASSERT_THAT(ours, IsOk());
  EXPECT_THAT(RunPostgresAdmin(*ours, "SELECT 1"), IsOk());
}

// The server's side of each session probes a silent client too, so the
// advisory locks of a replica whose node vanished are freed in about 30 s
// (every session comes from one Connect: the pool's, TryLock's, Watch's).
TEST_F(PgDbTest, TheServerProbesEachSessionsClient) {
  std::unique_ptr<PgDb> db = OpenOrDie(kSteps);
  ASSERT_NE(db, nullptr);
  std::vector<std::string> settings;
  ASSERT_THAT(db->Read([&](Connection& conn) -> absl::Status {
    for (const char* name : {"tcp_keepalives_idle", "tcp_keepalives_interval",
                             "tcp_keepalives_count", "tcp_user_timeout"}) {
      ASSIGN_OR_RETURN(Statement show,
                       conn.Prepare(absl::StrCat("SHOW ", name)));
      ASSIGN_OR_RETURN(bool row, show.Step());
      if (!row) return absl::InternalError(name);
      settings.push_back(show.ColumnText(0));
    }
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(settings, ElementsAre("10", "5", "3", "30000"));
}

TEST_F(PgDbTest, TextHoldingNulIsInvalidArgumentAndBlobsKeepIt) {
  std::unique_ptr<PgDb> db = OpenOrDie(kItemsSchema);
  ASSERT_NE(db, nullptr);
  const std::string with_nul("a\0b", 3);
  EXPECT_THAT(
      db->Write([&](Connection& conn) -> absl::Status {
        ASSIGN_OR_RETURN(
            Statement insert,
            conn.Prepare("INSERT INTO items (key, note) VALUES (?, ?)"));
        insert.Bind(1, "k").Bind(2, with_nul);
        return insert.Run();
      }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bind ?2")));
  ASSERT_THAT(db->Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement insert,
        conn.Prepare("INSERT INTO items (key, value) VALUES (?, ?)"));
    insert.Bind(1, "k").BindBlob(2, with_nul);
    return insert.Run();
  }),
              IsOk());
  ASSERT_THAT(db->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement select,
                     conn.Prepare("SELECT value FROM items WHERE key = 'k'"));
    ASSIGN_OR_RETURN(bool row, select.Step());
    EXPECT_TRUE(row);
    EXPECT_EQ(select.ColumnBlob(0), with_nul);
    return absl::OkStatus();
  }),
              IsOk());
}

TEST_F(PgDbTest, NullBindsWorkWhereOnlyIsNullTypesThem) {
  std::unique_ptr<PgDb> db = OpenOrDie(kItemsSchema);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(db->Write([](Connection& conn) {
    return conn.Exec("INSERT INTO items (key, n) VALUES ('a', 1), ('b', 2)");
  }),
              IsOk());
  ASSERT_THAT(db->Read([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Statement alone,
                     conn.Prepare("SELECT ? IS NULL, ? IS NOT NULL"));
    alone.BindNull(1).BindNull(2);
    ASSIGN_OR_RETURN(bool row, alone.Step());
    EXPECT_TRUE(row);
    EXPECT_EQ(alone.ColumnInt64(0), 1);
    EXPECT_EQ(alone.ColumnInt64(1), 0);
    // An optional filter: NULL matches every row. The parameter is used
    // twice, so nothing types it when it is NULL; the cast does, on both
    // engines.
    for (bool null : {true, false}) {
      ASSIGN_OR_RETURN(Statement filter,
                       conn.Prepare("SELECT count(*) FROM items WHERE "
                                    "(CAST(?1 AS BIGINT) IS NULL OR n = ?1)"));
      if (null) {
        filter.BindNull(1);
      } else {
        filter.Bind(1, int64_t{2});
      }
      ASSIGN_OR_RETURN(row, filter.Step());
      EXPECT_TRUE(row);
      EXPECT_EQ(filter.ColumnInt64(0), null ? 2 : 1);
    }
    return absl::OkStatus();
  }),
              IsOk());
}

TEST_F(PgDbTest, AllConnectionsBusyPastTheTimeoutIsUnavailable) {
  PgDb::Options options = ::carebridge::testing::PgOptions(1);
  options.acquire_timeout = absl::Milliseconds(300);
  std::unique_ptr<PgDb> db = OpenOrDie(kItemsSchema, options);
  ASSERT_NE(db, nullptr);
  absl::Status waited;
  ASSERT_THAT(db->Read([&](Connection&) {
    std::thread other([&] { waited = Column(*db, "SELECT 1").status(); });
    other.join();
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(waited, StatusIs(absl::StatusCode::kUnavailable,
                               HasSubstr("all 1 connections busy")));
  EXPECT_THAT(Column(*db, "SELECT 1"), IsOkAndHolds(ElementsAre(1)));
}

TEST_F(PgDbTest, AConnectionLeftInATransactionIsRolledBackBeforeReuse) {
  std::unique_ptr<PgDb> db =
      OpenOrDie(kItemsSchema, ::carebridge::testing::PgOptions(1));
  ASSERT_NE(db, nullptr);
  // `fn` ends PgDb's transaction and opens one of its own, then fails: the
  // connection goes back to the pool in a transaction PgDb did not begin.
  EXPECT_THAT(db->Read([](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(conn.Exec("COMMIT; BEGIN"));
    return conn.Exec("SELECT nonsense");
  }),
              Not(IsOk()));
  // The next caller starts clean (a transaction still open would make its
  // BEGIN a warning and its COMMIT end the wrong one).
  ASSERT_THAT(db->Write([](Connection& conn) {
    return conn.Exec("INSERT INTO items (key) VALUES ('a')");
  }),
              IsOk());
  EXPECT_THAT(Column(*db, "SELECT count(*) FROM items"),
              IsOkAndHolds(ElementsAre(1)));
}

}  // namespace
}  // namespace carebridge
