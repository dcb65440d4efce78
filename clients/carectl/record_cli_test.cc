// `carectl person timeline|summary` against a fake RecordService: what each
// command asks, what it prints, and the usage errors caught before any call.

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <cstdlib>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/record/v1/record.grpc.pb.h"
#include "clients/carectl/cli.h"
#include "clients/carectl/fake_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace rv = ::carebridge::record::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kDec1 = 1796083200;  // 2026-12-01T00:00:00Z

class FakeRecord final : public rv::RecordService::Service {
 public:
  grpc::Status ListTimelineEntries(
      grpc::ServerContext*, const rv::ListTimelineEntriesRequest* request,
      rv::ListTimelineEntriesResponse* response) override {
    Keep(*request);
    rv::TimelineEntry& entry = *response->add_entries();
    entry.set_name("persons/p1/timeline/referral-2");
    entry.set_kind(rv::REFERRAL);
    entry.set_type("referral.declined");
    entry.mutable_time()->set_seconds(kDec1);
    entry.set_actor("members/bob");
    entry.set_resource("referrals/r1");
    entry.set_summary("Referral declined by teams/crisis");
    entry.set_reason("Not in crisis now");
    entry.set_detailed(true);
    response->set_next_page_token("tok2");
    rv::Freshness::Feed& feed = *response->mutable_freshness()->add_feeds();
    feed.set_feed("handover");
    feed.set_applied_through(3);
    feed.set_head_sequence(5);
    feed.set_problem("UNAVAILABLE: cannot subscribe");
    return grpc::Status::OK;
  }
  grpc::Status GetCareSummary(grpc::ServerContext*,
                              const rv::GetCareSummaryRequest* request,
                              rv::CareSummary* response) override {
    Keep(*request);
    response->set_name("persons/p1/careSummary");
    response->set_person("persons/p1");
    response->set_care_plan_visible(true);
    response->set_lead_team("teams/cmht");
    response->mutable_lead_since()->set_seconds(kDec1);
    response->set_care_plan_version(4);
    if (request->name() == "persons/p2/careSummary") {
      // A team the person shares only their goals with.
      for (careplan::v1::SharedPart part :
           {careplan::v1::SHARED_ALL_ACTIONS, careplan::v1::SHARED_CRISIS_PLAN,
            careplan::v1::SHARED_WHAT_HELPS,
            careplan::v1::SHARED_REVIEW_DATE}) {
        response->add_withheld(part);
      }
      response->mutable_freshness()->set_caught_up(true);
      return grpc::Status::OK;
    }
    response->set_has_crisis_plan(true);
    rv::CareTeamMember& member = *response->add_care_team();
    member.set_team("teams/cmht");
    member.set_role("care coordination");
    member.set_lead(true);
    member.mutable_since()->set_seconds(kDec1);
    rv::OpenLoop& loop = *response->add_open_loops();
    loop.set_resource("referrals/r9");
    loop.set_sending_team("teams/cmht");
    loop.set_receiving_team("teams/housing");
    loop.set_urgency(referral::v1::ROUTINE);
    loop.mutable_due_time()->set_seconds(kDec1);
    loop.set_overdue(true);
    rv::LastContact& contact = *response->add_last_contacts();
    contact.set_team("teams/cmht");
    contact.mutable_time()->set_seconds(kDec1);
    contact.set_type("careplan.content_updated");
    response->mutable_freshness()->set_caught_up(true);
    return grpc::Status::OK;
  }

  grpc::Status ListCareGaps(grpc::ServerContext*,
                            const rv::ListCareGapsRequest* request,
                            rv::ListCareGapsResponse* response) override {
    Keep(*request);
    if (request->kinds_size() == 1 &&
        request->kinds(0) == rv::BREAK_GLASS_NOT_REVIEWED) {
      rv::CareGap& gap = *response->add_gaps();
      gap.set_name("persons/p1/careGaps/break_glass_not_reviewed-1-0a1b2c3d");
      gap.set_person("persons/p1");
      gap.set_kind(rv::BREAK_GLASS_NOT_REVIEWED);
      gap.set_subject("persons/p1/breakGlassAccesses/3");
      gap.set_detail(
          "Crisis plan opened by break-glass by members/otto of teams/housing "
          "on 2026-12-01 00:00 UTC, not yet reviewed: review it with `carectl "
          "careplan break-glass review`");
      gap.mutable_open_time()->set_seconds(kDec1);
      response->mutable_freshness()->set_caught_up(true);
      return grpc::Status::OK;
    }
    rv::CareGap& gap = *response->add_gaps();
    gap.set_name("persons/p1/careGaps/bounced-1-00000000");
    gap.set_person("persons/p1");
    gap.set_kind(rv::BOUNCED);
    gap.set_subject("persons/p1");
    gap.set_detail("Declined or redirected by 3 teams");
    gap.mutable_open_time()->set_seconds(kDec1);
    response->mutable_freshness()->set_caught_up(true);
    return grpc::Status::OK;
  }

  grpc::Status GetTeamReport(grpc::ServerContext*,
                             const rv::GetTeamReportRequest* request,
                             rv::TeamReport* response) override {
    Keep(*request);
    response->set_team("teams/crisis");
    *response->mutable_start_time() = request->start_time();
    *response->mutable_end_time() = request->end_time();
    response->set_referrals_received(3);
    response->set_accepted(1);
    response->set_declined(1);
    response->set_unanswered(1);
    response->set_bounced_persons_seen(1);
    rv::TeamReport::Responses& urgent = *response->add_responses();
    urgent.set_urgency(referral::v1::URGENT);
    urgent.set_received(2);
    urgent.set_answered(2);
    urgent.mutable_p50()->set_seconds(7200);
    urgent.mutable_p90()->set_seconds(36000);
    rv::TeamReport::Count& reason = *response->add_decline_reasons();
    reason.set_value("Not in crisis now");
    reason.set_count(1);
    response->mutable_freshness()->set_caught_up(true);
    return grpc::Status::OK;
  }

  grpc::Status Subscribe(
      grpc::ServerContext*, const events::v1::SubscribeRequest* request,
      grpc::ServerWriter<events::v1::SubscribeResponse>* writer) override {
    Keep(*request);
    events::v1::SubscribeResponse response;
    events::v1::Event& event = *response.add_events();
    event.set_sequence(7);
    event.set_feed("record");
    event.set_type("inbox.referral_received");
    event.mutable_time()->set_seconds(kDec1);
    rv::InboxItem item;
    item.set_team("teams/crisis");
    item.set_person("persons/p1");
    item.set_resource("referrals/r1");
    item.set_summary("Referral sent by teams/cmht to teams/crisis (urgent)");
    event.mutable_payload()->PackFrom(item);
    response.set_through_sequence(7);
    response.set_head_sequence(7);
    writer->Write(response);
    return grpc::Status::OK;
  }

  // The first stream sends a step and breaks off (the server restarting);
  // the second, resumed, sends the next and ends as a revoked token does.
  grpc::Status WatchTimeline(
      grpc::ServerContext*, const rv::WatchTimelineRequest* request,
      grpc::ServerWriter<rv::WatchTimelineResponse>* writer) override {
    Keep(*request);
    int watch;
    {
      absl::MutexLock lock(&mu_);
      watch = ++watches_;
    }
    rv::WatchTimelineResponse response;
    rv::TimelineEntry& entry = *response.add_entries();
    entry.set_name(absl::StrCat("persons/p1/timeline/referral-", watch));
    entry.set_kind(rv::REFERRAL);
    entry.mutable_time()->set_seconds(kDec1 + 60 * watch);
    entry.set_actor("members/bob");
    entry.set_resource("referrals/r1");
    response.set_cursor(absl::StrCat("c", watch));
    response.set_caught_up(true);
    if (watch == 1) {
      entry.set_summary("Referral sent by teams/cmht to teams/crisis");
      writer->Write(response);
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the record is shutting down");
    }
    entry.set_summary("Referral declined by teams/crisis");
    entry.set_reason("Not in crisis now");
    writer->Write(response);
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "the token was revoked");
  }

  std::string last_request() {
    absl::MutexLock lock(&mu_);
    return last_request_;
  }
  std::vector<std::string> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  void Keep(const google::protobuf::Message& request) {
    absl::MutexLock lock(&mu_);
    last_request_ = request.ShortDebugString();
    requests_.push_back(last_request_);
  }
  absl::Mutex mu_;
  std::string last_request_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
  int watches_ ABSL_GUARDED_BY(mu_) = 0;
};

struct Result {
  int code;
  std::string out;
  std::string err;
};

class RecordCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&service_);
    if (with_directory_) builder.RegisterService(&directory_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    server_flag_ = absl::StrCat("--server=127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  Result Run(std::vector<std::string> args) {
    args.insert(args.begin(), server_flag_);
    std::ostringstream out, err;
    int code = RunCarectl(args, {}, out, err);
    return {code, out.str(), err.str()};
  }

  FakeRecord service_;
  // Without a directory every name shows as its id.
  bool with_directory_ = false;
  FakeDirectory directory_;
  std::unique_ptr<grpc::Server> server_;
  std::string server_flag_;
};

TEST_F(RecordCliTest, TimelineSendsTheFiltersAndPrintsEachStep) {
  Result result =
      Run({"--utc", "person", "timeline", "p1", "--kind=referral,care_team",
           "--since=2026-11-01", "--newest_first", "--page_size=20"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(),
            "parent: \"persons/p1\" kinds: REFERRAL kinds: CARE_TEAM "
            "start_time { seconds: 1793491200 } newest_first: true "
            "page_size: 20");
  EXPECT_THAT(result.out, HasSubstr("TIME"));
  EXPECT_THAT(result.out,
              HasSubstr("2026-12-01T00:00:00Z  referral  Referral declined by "
                        "teams/crisis  members/bob"));
  EXPECT_THAT(result.out, HasSubstr("referrals/r1: Not in crisis now"));
  EXPECT_THAT(result.out, HasSubstr("next page: --page_token=tok2"));
  EXPECT_THAT(result.out,
              HasSubstr("record behind the handover feed (at 3 of 5): "
                        "UNAVAILABLE: cannot subscribe"));
}

TEST_F(RecordCliTest, SummaryShowsLeadTeamLoopsAndContacts) {
  Result result = Run({"--utc", "person", "summary", "persons/p1"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(), "name: \"persons/p1/careSummary\"");
  EXPECT_THAT(result.out,
              HasSubstr("lead: teams/cmht since 2026-12-01T00:00:00Z"));
  EXPECT_THAT(result.out, HasSubstr("care plan: version 4, not agreed"));
  EXPECT_THAT(result.out, HasSubstr("crisis plan: yes"));
  EXPECT_THAT(result.out, HasSubstr("teams/cmht  care coordination  lead"));
  EXPECT_THAT(result.out, HasSubstr("referrals/r9  teams/cmht  teams/housing"));
  EXPECT_THAT(result.out, HasSubstr("OVERDUE"));
  EXPECT_THAT(result.out, HasSubstr("careplan.content_updated"));
  EXPECT_THAT(result.out, Not(HasSubstr("record behind")));
}

// What the person's sharing choices keep from the caller's team reads "not
// shared", never "none" or "not set".
TEST_F(RecordCliTest, SummarySaysWhatIsNotShared) {
  Result result = Run({"person", "summary", "p2"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("crisis plan: not shared; review: not shared\n"));
  EXPECT_THAT(result.out,
              HasSubstr("not shared: all_actions, crisis_plan, what_helps, "
                        "review_date "
                        "(the person's sharing choices; ask the lead team)"));
  result = Run({"person", "summary", "p1"});
  EXPECT_THAT(result.out, Not(HasSubstr("not shared")));
}

TEST_F(RecordCliTest, SummaryAsJsonIsTheResponse) {
  Result result = Run({"--json", "person", "summary", "p1"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\"lead_team\": \"teams/cmht\""));
  EXPECT_THAT(result.out, HasSubstr("\"care_plan_version\": \"4\""));
}

TEST_F(RecordCliTest, GapsAsksForATeamsWorkListAndSaysWhy) {
  Result result = Run(
      {"--utc", "gaps", "--team=cmht", "--kind=bounced,no_lead", "--closed"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(),
            "parent: \"teams/cmht\" kinds: BOUNCED kinds: NO_LEAD "
            "include_closed: true");
  EXPECT_THAT(result.out,
              HasSubstr("2026-12-01T00:00:00Z  bounced  persons/p1"));
  EXPECT_THAT(result.out,
              HasSubstr("persons/p1/careGaps/bounced-1-00000000: Declined or "
                        "redirected by 3 teams"));
  result = Run({"gaps", "--all_teams"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(), "parent: \"teams/-\"");
  result = Run({"gaps"});
  EXPECT_NE(result.code, 0);
  EXPECT_THAT(result.err, HasSubstr("--team"));
}

TEST_F(RecordCliTest, GapsListsUnreviewedBreakGlassAccesses) {
  Result result =
      Run({"--utc", "gaps", "--team=cmht", "--kind=break_glass_not_reviewed"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(),
            "parent: \"teams/cmht\" kinds: BREAK_GLASS_NOT_REVIEWED");
  EXPECT_THAT(result.out,
              HasSubstr("2026-12-01T00:00:00Z  break_glass_not_reviewed  "
                        "persons/p1  persons/p1/breakGlassAccesses/3  open"));
  EXPECT_THAT(result.out,
              HasSubstr("break_glass_not_reviewed-1-0a1b2c3d: Crisis plan "
                        "opened by break-glass by members/otto of "
                        "teams/housing"));
  result = Run({"gaps", "--help"});
  EXPECT_THAT(result.out + result.err, HasSubstr("break_glass_not_reviewed"));
}

TEST_F(RecordCliTest, InboxPrintsTheTeamsItemsAndWhereItStopped) {
  Result result = Run({"--utc", "inbox", "--after=3"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(),
            "after_sequence: 3 type_prefixes: \"inbox.\" "
            "stop_when_caught_up: true");
  EXPECT_THAT(result.out,
              HasSubstr("7  2026-12-01T00:00:00Z  referral_received  "
                        "persons/p1  Referral sent by teams/cmht to "
                        "teams/crisis (urgent)  referrals/r1"));
  EXPECT_THAT(result.err, HasSubstr("--after=7"));
}

// --follow prints each step as it comes; a stream that breaks off is
// opened again after the last cursor (nothing printed twice); any other
// end says where to resume.
TEST_F(RecordCliTest, FollowResumesAfterABreakAndSaysWhereItStopped) {
  Result result =
      Run({"--utc", "person", "timeline", "p1", "--follow", "--kind=referral"});
  EXPECT_EQ(result.code, 2) << result.err;
  EXPECT_THAT(service_.requests(),
              ::testing::ElementsAre(
                  "parent: \"persons/p1\" kinds: REFERRAL",
                  "parent: \"persons/p1\" kinds: REFERRAL cursor: \"c1\""));
  EXPECT_EQ(result.out,
            "2026-12-01T00:01:00Z  referral  Referral sent by teams/cmht to "
            "teams/crisis  members/bob\n"
            "2026-12-01T00:02:00Z  referral  Referral declined by "
            "teams/crisis  members/bob\n"
            "  referrals/r1: Not in crisis now\n");
  EXPECT_THAT(result.err,
              HasSubstr("the stream broke off (the record is shutting down); "
                        "opening it again in 200ms, from the last cursor"));
  EXPECT_THAT(result.err, HasSubstr("UNAUTHENTICATED: the token was revoked"));
  EXPECT_THAT(result.err, HasSubstr("resume with --after=c2"));
}

TEST_F(RecordCliTest, FollowResumesFromTheCursorGiven) {
  Result result = Run(
      {"--name_only", "person", "timeline", "p1", "--follow", "--after=c7"});
  EXPECT_EQ(service_.requests().front(),
            "parent: \"persons/p1\" cursor: \"c7\"");
  EXPECT_THAT(result.out, HasSubstr("persons/p1/timeline/referral-1\n"));
}

TEST_F(RecordCliTest, FollowRefusesThePagedFlags) {
  for (const char* flag : {"--since=2026-11-01", "--newest_first",
                           "--page_size=5", "--page_token=x"}) {
    Result result = Run({"person", "timeline", "p1", "--follow", flag});
    EXPECT_NE(result.code, 0) << flag;
    EXPECT_THAT(result.err, HasSubstr(std::string(flag).substr(0, 6))) << flag;
  }
  Result result = Run({"person", "timeline", "p1", "--after=c1"});
  EXPECT_NE(result.code, 0);
  EXPECT_THAT(result.err, HasSubstr("--follow"));
  EXPECT_THAT(service_.requests(), ::testing::IsEmpty());
}

TEST_F(RecordCliTest, TeamReportAsksForThePeriodAndPrintsTheFigures) {
  Result result = Run(
      {"team", "report", "crisis", "--since=2026-11-01", "--until=2026-12-01"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(service_.last_request(),
            "team: \"teams/crisis\" start_time { seconds: 1793491200 } "
            "end_time { seconds: 1796083200 }");
  EXPECT_THAT(result.out, HasSubstr("referrals received: 3; accepted 1, "
                                    "declined 1, redirected 0, withdrawn 0, "
                                    "unanswered 1"));
  EXPECT_THAT(result.out, HasSubstr("urgent   2         2         2h   10h"));
  EXPECT_THAT(result.out, HasSubstr("1  Not in crisis now"));
  EXPECT_THAT(result.out, HasSubstr("declined by 3 or more teams: 1"));
  result = Run({"team", "report", "crisis"});
  EXPECT_NE(result.code, 0);
  EXPECT_THAT(result.err, HasSubstr("--since"));
}

TEST_F(RecordCliTest, BadFlagsAreUsageErrorsAndMakeNoCall) {
  Result result = Run({"person", "timeline", "p1", "--kind=gossip"});
  EXPECT_NE(result.code, 0);
  EXPECT_THAT(result.err, HasSubstr("kind"));
  result = Run({"person", "timeline", "p1", "--since=yesterday"});
  EXPECT_NE(result.code, 0);
  EXPECT_THAT(result.err, HasSubstr("--since"));
  EXPECT_EQ(service_.last_request(), "");
}

// The same screens with a directory to look names up in.
class RecordNamesCliTest : public RecordCliTest {
 protected:
  RecordNamesCliTest() { with_directory_ = true; }
};

TEST_F(RecordNamesCliTest, SummaryNamesThePersonAndTeamsOncePerScreen) {
  Result result = Run({"--utc", "person", "summary", "p1"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("Ada Lovelace (NHS 943 476 5919)\n"
                                    "persons/p1\n"));
  EXPECT_THAT(result.out,
              HasSubstr("lead: CMHT North since 2026-12-01T00:00:00Z"));
  EXPECT_THAT(result.out, HasSubstr("CMHT North  care coordination  lead"));
  // A team the directory does not know keeps its id.
  EXPECT_THAT(result.out, HasSubstr("referrals/r9  CMHT North  teams/housing"));
  EXPECT_EQ(directory_.lookups("persons/p1"), 1);
  EXPECT_EQ(directory_.lookups("teams/cmht"), 1);
}

TEST_F(RecordNamesCliTest, TimelineNamesTeamsInWhatHappened) {
  Result result = Run({"--utc", "person", "timeline", "p1"});
  ASSERT_EQ(result.code, 0) << result.err;
  // members/bob is another team's: the directory does not name him.
  EXPECT_THAT(result.out,
              HasSubstr("2026-12-01T00:00:00Z  referral  Referral declined by "
                        "Crisis Team  members/bob"));
}

TEST_F(RecordNamesCliTest, GapsAndInboxNameThePerson) {
  Result result = Run({"--utc", "gaps", "--team=cmht"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("2026-12-01T00:00:00Z  bounced  Ada Lovelace (NHS 943 "
                        "476 5919)  Ada Lovelace (NHS 943 476 5919)  open"));
  result = Run({"--utc", "inbox"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("7  2026-12-01T00:00:00Z  referral_received  Ada "
                        "Lovelace (NHS 943 476 5919)  Referral sent by CMHT "
                        "North to Crisis Team (urgent)  referrals/r1\n"));
}

TEST_F(RecordNamesCliTest, TeamReportHeaderNamesTheTeam) {
  Result result = Run({"--utc", "team", "report", "crisis",
                       "--since=2026-11-01", "--until=2026-12-01"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("Crisis Team: 2026-11-01T00:00:00Z to "
                                    "2026-12-01T00:00:00Z\n"));
}

// Scripts read ids: --json and --name_only look nothing up.
TEST_F(RecordNamesCliTest, JsonKeepsIdsAndAsksTheDirectoryNothing) {
  Result result = Run({"--json", "person", "summary", "p1"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\"lead_team\": \"teams/cmht\""));
  EXPECT_THAT(result.out, Not(HasSubstr("CMHT North")));
  EXPECT_EQ(directory_.total_lookups(), 0);
}

// Without --utc a clinician reads the time where they are, zone named.
TEST_F(RecordCliTest, TimesAreLocalWithTheZoneUnlessUtc) {
  const char* tz = std::getenv("TZ");
  std::string saved = tz == nullptr ? "" : tz;
  setenv("TZ", "Europe/London", 1);
  Result result = Run({"person", "summary", "p1"});
  Result utc = Run({"--utc", "person", "summary", "p1"});
  if (tz == nullptr) {
    unsetenv("TZ");
  } else {
    setenv("TZ", saved.c_str(), 1);
  }
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out,
              HasSubstr("lead: teams/cmht since 2026-12-01 00:00:00 GMT"));
  EXPECT_THAT(utc.out,
              HasSubstr("lead: teams/cmht since 2026-12-01T00:00:00Z"));
}

}  // namespace
}  // namespace carebridge::carectl
