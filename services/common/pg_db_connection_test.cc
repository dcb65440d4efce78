// PgDb's connections: unreachable servers and wrong passwords named without
// the password, lost connections replaced, keepalives, schemas of one
// database, a busy pool and a connection left in a transaction.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/macros.h"
#include "services/common/pg_db.h"
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
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

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
