#include "services/careplan_client/exchange_sharing.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "services/careplan_client/caching_careplan_lookup.h"
#include "services/careplan_client/fake_careplan_lookup.h"
#include "services/directory_client/caching_directory_lookup.h"
#include "services/directory_client/fake_directory_lookup.h"

namespace carebridge::careplan_client {
namespace {

namespace cp = ::carebridge::careplan::v1;
namespace dir = ::carebridge::directory::v1;

constexpr char kPerson[] = "persons/p1";
constexpr char kCmht[] = "teams/cmht";
constexpr char kCrisis[] = "teams/crisis";
constexpr char kPeer[] = "teams/peer";

Principal MemberOf(const std::string& team) {
  Principal caller;
  caller.subject = "members/m";
  caller.team = team;
  caller.role = Role::kClinician;
  return caller;
}

class ExchangeSharingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AddTeam(kCmht, dir::COMMUNITY_MENTAL_HEALTH);
    AddTeam(kCrisis, dir::CRISIS);
    AddTeam(kPeer, dir::VOLUNTARY_SECTOR);
    careplan_.AddPerson(kPerson);
  }

  void AddTeam(const std::string& name, dir::Sector sector) {
    directory_client::TeamInfo team;
    team.name = name;
    team.sector = sector;
    directory_.AddTeam(team);
  }

  ExchangeSharing::Verdict Judge(const Principal& caller,
                                 const std::string& receiving_team,
                                 ExchangeSharing* sharing = nullptr) {
    ExchangeSharing own(&careplan_, &directory_);
    ExchangeSharing::Reader reader =
        (sharing != nullptr ? sharing : &own)
            ->ReaderFor(caller, RemoteCalls::kAllowed);
    absl::StatusOr<ExchangeSharing::Verdict> verdict =
        reader.Judge({kPerson, kCmht, receiving_team}, cp::SHARED_RISK);
    EXPECT_TRUE(verdict.ok()) << verdict.status();
    return verdict.value_or(ExchangeSharing::Verdict());
  }

  FakeCarePlanLookup careplan_;
  directory_client::FakeDirectoryLookup directory_;
};

TEST_F(ExchangeSharingTest, SectorDefaultsDecideWithoutChoices) {
  ExchangeSharing::Verdict to_crisis = Judge(MemberOf(kCrisis), kCrisis);
  EXPECT_TRUE(to_crisis.caller_reads);
  EXPECT_TRUE(to_crisis.receiver_reads);
  ExchangeSharing::Verdict to_peer = Judge(MemberOf(kPeer), kPeer);
  EXPECT_FALSE(to_peer.caller_reads);
  EXPECT_FALSE(to_peer.receiver_reads);
  // The sender wrote it and reads it, and is told the receiver does not.
  ExchangeSharing::Verdict sender = Judge(MemberOf(kCmht), kPeer);
  EXPECT_TRUE(sender.caller_reads);
  EXPECT_FALSE(sender.receiver_reads);
}

TEST_F(ExchangeSharingTest, ThePersonsRuleDecidesEitherWay) {
  sharing::PersonSharing choices;
  choices.choices.emplace();
  cp::SharingRule* peer = choices.choices->add_rules();
  peer->set_team(kPeer);
  peer->add_parts(cp::SHARED_RISK);
  cp::SharingRule* crisis = choices.choices->add_rules();
  crisis->set_sector(dir::CRISIS);
  crisis->add_parts(cp::SHARED_GOALS);
  careplan_.SetSharing(kPerson, choices);

  EXPECT_TRUE(Judge(MemberOf(kPeer), kPeer).caller_reads);
  EXPECT_FALSE(Judge(MemberOf(kCrisis), kCrisis).caller_reads);
  // A team the exchange was redirected from reads by its own rule.
  ExchangeSharing::Verdict redirected = Judge(MemberOf(kCrisis), kPeer);
  EXPECT_FALSE(redirected.caller_reads);
  EXPECT_TRUE(redirected.receiver_reads);
}

TEST_F(ExchangeSharingTest, TheLeadTeamAndServicesReadEverything) {
  sharing::PersonSharing choices;
  choices.lead_team = kCrisis;
  choices.choices.emplace();
  cp::SharingRule* crisis = choices.choices->add_rules();
  crisis->set_team(kCrisis);
  careplan_.SetSharing(kPerson, choices);
  EXPECT_TRUE(Judge(MemberOf(kCrisis), kCrisis).caller_reads);

  Principal service;
  service.subject = "services/record";
  service.role = Role::kService;
  ExchangeSharing::Verdict verdict = Judge(service, kPeer);
  EXPECT_TRUE(verdict.caller_reads);
  EXPECT_FALSE(verdict.receiver_reads);
}

TEST_F(ExchangeSharingTest,
       ChoicesThatCannotBeReadShareNothingBeyondTheSender) {
  careplan_.FailWith(absl::UnavailableError("careplan: down"));
  EXPECT_FALSE(Judge(MemberOf(kCrisis), kCrisis).caller_reads);
  ExchangeSharing::Verdict sender = Judge(MemberOf(kCmht), kCrisis);
  EXPECT_TRUE(sender.caller_reads);
  EXPECT_FALSE(sender.receiver_reads);
}

TEST_F(ExchangeSharingTest, WithoutACarePlanServiceTheDefaultsHold) {
  careplan_.FailWith(absl::UnavailableError("careplan: down"));
  ExchangeSharing none(nullptr, &directory_);
  EXPECT_TRUE(Judge(MemberOf(kCrisis), kCrisis, &none).caller_reads);
  EXPECT_FALSE(Judge(MemberOf(kPeer), kPeer, &none).caller_reads);
}

TEST_F(ExchangeSharingTest, ACallersOwnPartsForAnotherServicesViews) {
  ExchangeSharing sharing(&careplan_, &directory_);
  auto parts = [&](const Principal& caller, RemoteCalls remote) {
    return sharing.ReaderFor(caller, remote).CallerParts(kPerson);
  };
  Principal service;
  service.subject = "services/directory";
  service.role = Role::kService;
  Principal person;
  person.subject = kPerson;
  person.role = Role::kPerson;
  Principal admin;
  admin.subject = "members/admin";
  admin.role = Role::kAdmin;
  // Services and the person need nothing asked, even on gRPC's thread.
  EXPECT_TRUE(parts(service, RemoteCalls::kDeferred)->IsAll());
  EXPECT_TRUE(parts(person, RemoteCalls::kDeferred)->IsAll());
  EXPECT_TRUE(*parts(admin, RemoteCalls::kDeferred) ==
              sharing::SharedParts::None());
  EXPECT_TRUE(IsRemoteCallDeferred(
      parts(MemberOf(kPeer), RemoteCalls::kDeferred).status()));
  EXPECT_EQ(careplan_.sharing_calls(), 0);
  EXPECT_TRUE(*parts(MemberOf(kPeer), RemoteCalls::kAllowed) ==
              sharing::DefaultParts(dir::VOLUNTARY_SECTOR));
  // No directory: a team's sector is not known, so the narrowest default.
  ExchangeSharing blind(&careplan_, nullptr);
  EXPECT_TRUE(*blind.ReaderFor(MemberOf(kCrisis), RemoteCalls::kAllowed)
                   .CallerParts(kPerson) ==
              sharing::DefaultParts(dir::SECTOR_UNSPECIFIED));
}

TEST_F(ExchangeSharingTest, AReaderAsksOncePerPersonAndDefersWhenItMustNot) {
  ExchangeSharing sharing(&careplan_, &directory_);
  const Principal caller = MemberOf(kCrisis);
  ExchangeSharing::Reader deferred =
      sharing.ReaderFor(caller, RemoteCalls::kDeferred);
  absl::StatusOr<ExchangeSharing::Verdict> verdict =
      deferred.Judge({kPerson, kCmht, kCrisis}, cp::SHARED_RISK);
  EXPECT_TRUE(IsRemoteCallDeferred(verdict.status())) << verdict.status();
  EXPECT_EQ(careplan_.sharing_calls(), 0);

  ExchangeSharing::Reader reader =
      sharing.ReaderFor(caller, RemoteCalls::kAllowed);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(reader.Judge({kPerson, kCmht, kCrisis}, cp::SHARED_RISK).ok());
  }
  EXPECT_EQ(careplan_.sharing_calls(), 1);
}

// Directory answers that reach the fake are counted.
class CountingDirectory : public directory_client::DirectoryLookup {
 public:
  explicit CountingDirectory(directory_client::DirectoryLookup* inner)
      : inner_(inner) {}
  absl::StatusOr<directory_client::TeamInfo> GetTeam(
      absl::string_view team) override {
    ++calls;
    return inner_->GetTeam(team);
  }
  absl::Status CheckPersonExists(absl::string_view person) override {
    return inner_->CheckPersonExists(person);
  }
  int calls = 0;

 private:
  directory_client::DirectoryLookup* const inner_;
};

TEST_F(ExchangeSharingTest, WhatTheLookupsRememberIsJudgedInline) {
  FakeClock clock;
  CachingCarePlanLookup careplan(&careplan_, &clock);
  careplan.SetFollowing(true);
  auto counting = std::make_unique<CountingDirectory>(&directory_);
  CountingDirectory* directory_calls = counting.get();
  directory_client::CachingDirectoryLookup directory(std::move(counting),
                                                     &clock);
  ExchangeSharing sharing(&careplan, &directory);
  const Principal caller = MemberOf(kCmht);
  auto judge = [&](RemoteCalls remote, const char* receiving) {
    return sharing.ReaderFor(caller, remote)
        .Judge({kPerson, kCmht, receiving}, cp::SHARED_RISK);
  };
  // Nothing remembered yet: the inline read defers, asking nothing.
  EXPECT_TRUE(
      IsRemoteCallDeferred(judge(RemoteCalls::kDeferred, kPeer).status()));
  EXPECT_EQ(careplan_.sharing_calls(), 0);
  EXPECT_EQ(directory_calls->calls, 0);
  // The deferred read asks once; from then on the inline read is judged
  // from memory, the same way.
  absl::StatusOr<ExchangeSharing::Verdict> asked =
      judge(RemoteCalls::kAllowed, kPeer);
  ASSERT_TRUE(asked.ok()) << asked.status();
  EXPECT_FALSE(asked->receiver_reads);
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<ExchangeSharing::Verdict> inline_verdict =
        judge(RemoteCalls::kDeferred, kPeer);
    ASSERT_TRUE(inline_verdict.ok()) << inline_verdict.status();
    EXPECT_FALSE(inline_verdict->receiver_reads);
  }
  EXPECT_EQ(careplan_.sharing_calls(), 1);
  EXPECT_EQ(directory_calls->calls, 1);
  // A team whose sector is not remembered defers again.
  EXPECT_TRUE(
      IsRemoteCallDeferred(judge(RemoteCalls::kDeferred, kCrisis).status()));
  // And a delivered change of choices makes the next inline read defer
  // rather than judge from what was remembered.
  careplan.Invalidate(kPerson);
  EXPECT_TRUE(
      IsRemoteCallDeferred(judge(RemoteCalls::kDeferred, kPeer).status()));
  EXPECT_EQ(careplan_.sharing_calls(), 1);
}

}  // namespace
}  // namespace carebridge::careplan_client
