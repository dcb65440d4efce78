// Several clients of different teams write the same plan at once, each over
// its own connection, with etags: every acknowledged update is in the
// version history exactly once, at the version its response reported, and
// nothing else is.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tests/careplan/careplan_test_fixture.h"

namespace carebridge::careplan {
namespace {

using ::testing::IsEmpty;
using ::testing::SizeIs;

// A plan field one client writes its markers into.
struct Target {
  std::string path;
  std::function<void(v1::CarePlan&, const std::string&)> set;
  std::function<std::string(const v1::CarePlan&)> get;
};

std::vector<Target> Targets() {
  return {
      {"crisis_plan.what_helps",
       [](v1::CarePlan& p, const std::string& m) {
         p.mutable_crisis_plan()->set_what_helps(m);
       },
       [](const v1::CarePlan& p) { return p.crisis_plan().what_helps(); }},
      {"communication_preferences.other",
       [](v1::CarePlan& p, const std::string& m) {
         p.mutable_communication_preferences()->set_other(m);
       },
       [](const v1::CarePlan& p) {
         return p.communication_preferences().other();
       }},
      {"crisis_plan.triggers",
       [](v1::CarePlan& p, const std::string& m) {
         p.mutable_crisis_plan()->set_triggers(m);
       },
       [](const v1::CarePlan& p) { return p.crisis_plan().triggers(); }},
  };
}

// What a client was told: its update `marker` is version `version`.
struct Ack {
  int client = 0;
  int sequence = 0;
  int64_t version = 0;
  std::string marker;
};

class CarePlanConcurrencyTest : public CarePlanTest {
 protected:
  static constexpr int kUpdatesPerClient = 25;

  // Runs `clients` concurrently, each making kUpdatesPerClient updates of
  // its target: read, write with the etag, and on ABORTED read again and
  // retry. Each update carries its marker as request_id, so a retry after a
  // lost response can never make a second version.
  void RunWriters(const std::vector<Principal>& clients) {
    const std::vector<Target> targets = Targets();
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (size_t c = 0; c < clients.size(); ++c) {
      threads.emplace_back([&, c] {
        const Principal& as = clients[c];
        const Target& target = targets[c % targets.size()];
        std::shared_ptr<grpc::Channel> channel = NewChannel();
        // Connected before the race starts (the race is the writes; a first
        // connection attempt refused under load is retried by the channel).
        if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                       std::chrono::seconds(30))) {
          Fail(absl::StrCat("client ", c, ": could not connect"));
          return;
        }
        auto stub = v1::CarePlanService::NewStub(channel);
        while (!go.load()) std::this_thread::yield();
        for (int n = 0; n < kUpdatesPerClient; ++n) {
          const std::string marker = absl::StrCat("client ", c, " update ", n);
          bool done = false;
          for (int attempt = 0; attempt < 2000 && !done; ++attempt) {
            v1::GetCarePlanRequest get;
            get.set_name(plan_);
            v1::CarePlan current;
            auto get_context = server_.ContextAs(as);
            grpc::Status read =
                stub->GetCarePlan(get_context.get(), get, &current);
            if (!read.ok()) {
              Fail(absl::StrCat(marker, ": read: ", read.error_message()));
              return;
            }
            v1::CarePlan content;
            target.set(content, marker);
            v1::UpdateCarePlanRequest update =
                UpdateRequest(content, {target.path}, current.etag(), marker);
            update.set_request_id(absl::StrCat("c", c, "-u", n));
            v1::CarePlan written;
            auto context = server_.ContextAs(as);
            grpc::Status status =
                stub->UpdateCarePlan(context.get(), update, &written);
            if (status.error_code() == grpc::StatusCode::ABORTED) {
              ++aborted_;
              continue;
            }
            if (!status.ok()) {
              Fail(absl::StrCat(marker, ": ", status.error_code(), " ",
                                status.error_message()));
              return;
            }
            if (target.get(written) != marker ||
                written.etag() != absl::StrCat(written.version())) {
              Fail(absl::StrCat(marker, ": response does not show it"));
            }
            absl::MutexLock lock(&mu_);
            acks_.push_back(
                {static_cast<int>(c), n, written.version(), marker});
            done = true;
          }
          if (!done) {
            Fail(absl::StrCat(marker, ": never got through"));
            return;
          }
        }
      });
    }
    go = true;
    for (std::thread& t : threads) t.join();
  }

  void Fail(const std::string& what) {
    absl::MutexLock lock(&mu_);
    failures_.push_back(what);
  }

  absl::Mutex mu_;
  std::vector<Ack> acks_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> failures_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> aborted_{0};
};

TEST_F(CarePlanConcurrencyTest, EveryAcknowledgedUpdateIsInTheHistoryOnce) {
  CreateRealisticPlan();
  MustAddTeam(alice_, crisis_.name(), "crisis support");
  MustAddTeam(alice_, voluntary_.name(), "peer support");
  // The person shares the whole plan with the voluntary-sector team, so
  // every client may write every section.
  v1::SharingChoices shared;
  ASSERT_GRPC_OK(Share(alice_, {ShareEverything(voluntary_.name())}, &shared));
  const int64_t setup_versions = Get().version();
  const std::vector<Principal> clients = {
      alice_,
      bob_,
      val_,
      carol_,
      Member("members/bea", crisis_.name(), Role::kCareCoordinator),
      Member("members/vic", voluntary_.name())};

  RunWriters(clients);

  absl::MutexLock lock(&mu_);
  ASSERT_THAT(failures_, IsEmpty());
  ASSERT_THAT(acks_, SizeIs(clients.size() * kUpdatesPerClient));
  // The race was real: some writers lost it and had to retry.
  EXPECT_GT(aborted_.load(), 0);
  RecordProperty("aborted_writes", aborted_.load());

  // Versions are consecutive from 1, each exactly once, and there are
  // exactly as many new ones as acknowledged updates.
  std::vector<v1::CarePlan> versions = ListAllVersions(v1::FULL, 500);
  std::reverse(versions.begin(), versions.end());
  ASSERT_EQ(versions.size(), setup_versions + acks_.size());
  for (size_t i = 0; i < versions.size(); ++i) {
    ASSERT_EQ(versions[i].version(), static_cast<int64_t>(i + 1));
  }

  // Every acknowledged update is the version it was told, and made it.
  std::map<int64_t, const Ack*> by_version;
  for (const Ack& ack : acks_) {
    ASSERT_GT(ack.version, setup_versions) << ack.marker;
    ASSERT_LE(ack.version, static_cast<int64_t>(versions.size())) << ack.marker;
    ASSERT_TRUE(by_version.emplace(ack.version, &ack).second)
        << "two updates acknowledged as version " << ack.version;
  }
  const std::vector<Target> targets = Targets();
  for (int64_t v = setup_versions + 1;
       v <= static_cast<int64_t>(versions.size()); ++v) {
    const v1::CarePlan& version = versions[v - 1];
    const v1::CarePlan& previous = versions[v - 2];
    const Ack& ack = *by_version.at(v);
    const Target& target = targets[ack.client % targets.size()];
    SCOPED_TRACE(ack.marker);
    EXPECT_EQ(version.change().kind(), v1::Change::CONTENT_UPDATED);
    EXPECT_EQ(version.change().reason(), ack.marker);
    EXPECT_EQ(version.change().actor(), clients[ack.client].subject);
    EXPECT_EQ(target.get(version), ack.marker);
    EXPECT_NE(target.get(previous), ack.marker);
    // Nothing else changed in that version.
    for (size_t t = 0; t < targets.size(); ++t) {
      if (&targets[t] == &target) continue;
      EXPECT_EQ(targets[t].get(version), targets[t].get(previous));
    }
  }
  // Each client's updates are in the order it made them.
  std::map<int, int64_t> last_version;
  for (const auto& [version, ack] : by_version) {
    auto it = last_version.find(ack->client);
    if (it != last_version.end()) {
      EXPECT_GT(version, it->second) << ack->marker;
    }
    last_version[ack->client] = version;
  }
  // Nothing was lost: each field shows the last acknowledged write to it.
  v1::CarePlan current = Get();
  EXPECT_EQ(current.version(), static_cast<int64_t>(versions.size()));
  for (size_t t = 0; t < targets.size(); ++t) {
    const Ack* last = nullptr;
    for (const auto& [version, ack] : by_version) {
      if (static_cast<size_t>(ack->client) % targets.size() == t) last = ack;
    }
    ASSERT_NE(last, nullptr);
    EXPECT_EQ(targets[t].get(current), last->marker) << targets[t].path;
  }
}

TEST_F(CarePlanConcurrencyTest, RacingFirstWritesCreateThePlanOnce) {
  constexpr int kClients = 6;
  const Principal clients[kClients] = {
      alice_,
      bob_,
      val_,
      carol_,
      Member("members/bea", crisis_.name()),
      Member("members/vic", voluntary_.name())};
  std::atomic<bool> go{false};
  std::vector<grpc::Status> results(kClients);
  std::vector<v1::CarePlan> written(kClients);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = v1::CarePlanService::NewStub(NewChannel());
      v1::UpdateCarePlanRequest request = UpdateRequest(
          Goals({absl::StrCat("Goal written by client ", c)}), {"goals"}, "");
      auto context = server_.ContextAs(clients[c]);
      while (!go.load()) std::this_thread::yield();
      results[c] = stub->UpdateCarePlan(context.get(), request, &written[c]);
    });
  }
  go = true;
  for (std::thread& t : threads) t.join();

  int winner = -1;
  for (int c = 0; c < kClients; ++c) {
    if (!results[c].ok()) continue;
    EXPECT_EQ(winner, -1) << "clients " << winner << " and " << c;
    winner = c;
  }
  ASSERT_NE(winner, -1);
  EXPECT_EQ(written[winner].version(), 1);
  EXPECT_EQ(written[winner].lead_team(), clients[winner].team);
  EXPECT_THAT(Get(), testing::EqualsProto(written[winner]));
  for (int c = 0; c < kClients; ++c) {
    if (c == winner) continue;
    // A loser of the winner's team had a stale (empty) etag; one of another
    // team may instead find the plan now has a care team it is not on.
    if (clients[c].team == clients[winner].team) {
      EXPECT_EQ(results[c].error_code(), grpc::StatusCode::ABORTED)
          << results[c].error_message();
    } else {
      EXPECT_THAT(results[c].error_code(),
                  ::testing::AnyOf(grpc::StatusCode::ABORTED,
                                   grpc::StatusCode::PERMISSION_DENIED))
          << results[c].error_message();
    }
  }
  EXPECT_THAT(ListAllVersions(), SizeIs(1));
}

TEST_F(CarePlanConcurrencyTest, RacingTeamsNeverMakeTwoLeads) {
  constexpr int kClients = 6;
  const Principal clients[kClients] = {
      alice_,
      bob_,
      val_,
      otto_,
      Member("members/bea", crisis_.name()),
      Member("members/vic", voluntary_.name())};
  std::atomic<bool> go{false};
  std::vector<grpc::Status> results(kClients);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = v1::CarePlanService::NewStub(NewChannel());
      v1::SetLeadTeamRequest request;
      request.set_name(plan_);
      request.set_team(clients[c].team);
      request.set_reason("We will coordinate.");
      v1::CarePlan out;
      auto context = server_.ContextAs(clients[c]);
      while (!go.load()) std::this_thread::yield();
      results[c] = stub->SetLeadTeam(context.get(), request, &out);
    });
  }
  go = true;
  for (std::thread& t : threads) t.join();

  int leads = 0;
  for (int c = 0; c < kClients; ++c) {
    if (results[c].ok()) {
      ++leads;
      continue;
    }
    // Refused by the rules once the winner leads (told who leads, or not
    // involved), or told to retry: never a server fault.
    EXPECT_THAT(results[c].error_code(),
                ::testing::AnyOf(grpc::StatusCode::FAILED_PRECONDITION,
                                 grpc::StatusCode::PERMISSION_DENIED,
                                 grpc::StatusCode::ABORTED))
        << "client " << c << ": " << results[c].error_message();
  }
  EXPECT_EQ(leads, 1);
  for (const v1::CarePlan& version : ListAllVersions()) {
    ExpectOneLeadWhileAnyoneIsInvolved(version);
    EXPECT_THAT(Involved(version), SizeIs(1));
  }
}

}  // namespace
}  // namespace carebridge::careplan
