#ifndef CAREBRIDGE_TESTS_RECORD_RECORD_TEST_FIXTURE_H_
#define CAREBRIDGE_TESTS_RECORD_RECORD_TEST_FIXTURE_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "carebridge/record/v1/record.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "tests/support/hosted_modules.h"
#include "tests/support/test_server.h"

namespace carebridge::record::testing {

namespace dir = ::carebridge::directory::v1;
namespace ho = ::carebridge::handover::v1;
namespace ref = ::carebridge::referral::v1;

// Every service hosted in one server, as the all-in-one binary does: the
// record follows the other four over the in-process channel. Alice
// (community team) refers; bob (crisis), val (voluntary) and otto
// (housing) answer.
// Calls record tests make of the directory and referral services through
// `server` (RecordTest's, or another fixture's): each expects success.
Principal TestService();
std::string CreateTestTeam(::carebridge::testing::TestServer& server,
                           dir::DirectoryService::Stub& directory,
                           const std::string& display_name, dir::Sector sector);
// Registers `given_name` `family_name`, born 1990-04-01, as `as`.
std::string CreateTestPerson(::carebridge::testing::TestServer& server,
                             dir::DirectoryService::Stub& directory,
                             const Principal& as, const std::string& given_name,
                             const std::string& family_name,
                             bool allow_possible_duplicate = false);
// A referral of `person` to `team` sent by `as`.
ref::Referral CreateTestReferral(::carebridge::testing::TestServer& server,
                                 ref::ReferralService::Stub& referral,
                                 const Principal& as, const std::string& person,
                                 const std::string& team, ref::Urgency urgency);

// The types of `entries` (`referral.created`, ...), in order.
std::vector<std::string> Types(const std::vector<v1::TimelineEntry>& entries);

class RecordTest : public ::testing::Test {
 protected:
  RecordTest() : RecordTest(CareGapThresholds()) {}
  // With the record judging gaps by `care_gaps`.
  explicit RecordTest(const CareGapThresholds& care_gaps)
      : modules_(&server_, {}, care_gaps) {}

  void SetUp() override;
  // The server stops before the modules (declared after it) go, so no
  // call reaches a destroyed service.
  void TearDown() override {
    modules_.Stop();
    server_.Stop();
  }

  static Principal Service();

  std::string MakeTeam(const std::string& display_name, dir::Sector sector);
  // Registers `given_name` Okafor, born 1990-04-01; with
  // `allow_possible_duplicate`, also when someone of that name is
  // registered already.
  std::string MakePerson(const std::string& given_name,
                         bool allow_possible_duplicate = false);
  ref::Referral Refer(const std::string& person, const std::string& team,
                      ref::Urgency urgency = ref::URGENT);
  // A routine referral sent by `as` (Refer sends as alice).
  ref::Referral ReferAs(const Principal& as, const std::string& person,
                        const std::string& team,
                        ref::Urgency urgency = ref::ROUTINE);
  // A routine referral sent by `as` with a risk summary of `risk` (which the
  // person's sharing choices decide who reads).
  ref::Referral ReferWithRisk(const Principal& as, const std::string& person,
                              const std::string& team, const std::string& risk);
  // `referral` as `as` reads it.
  ref::Referral GetReferral(const Principal& as, const std::string& referral);
  // The first page (up to 500) of `as`'s team's `box`, only `person`'s when
  // given.
  ref::ListReferralsResponse ListReferralsAs(const Principal& as,
                                             ref::Mailbox box,
                                             const std::string& person = "");
  void Accept(const std::string& referral, const Principal& by);
  // Declines with an onward route suggesting `suggested` (default: the
  // voluntary team).
  void Decline(const std::string& referral, const Principal& by,
               const std::string& suggested = "");
  // `by` (the receiving team) redirects `referral` to `to`; the new
  // referral.
  ref::Referral Redirect(const std::string& referral, const Principal& by,
                         const std::string& to);
  // `by` (the sending team) withdraws `referral`.
  void Withdraw(const std::string& referral, const Principal& by);
  // A shared-care handover of `person` from `as`'s team (on the care team)
  // to `team`.
  ho::Handover HandOver(const Principal& as, const std::string& person,
                        const std::string& team,
                        ref::Urgency urgency = ref::URGENT);
  // The receiving team (`by`) accepts or declines `handover`; the sending
  // team (`by`) cancels it.
  void AcceptHandover(const std::string& handover, const Principal& by);
  void DeclineHandover(const std::string& handover, const Principal& by);
  void CancelHandover(const std::string& handover, const Principal& by);
  // The referral and handover services' deadline scans, as their periodic
  // tasks run them (HostedModules runs them only when asked): how many
  // each escalated.
  int ScanReferralDeadlines();
  int ScanHandoverDeadlines();
  // `team`'s report for [start, end) as `as` sees it.
  grpc::Status Report(const Principal& as, const std::string& team,
                      absl::Time start, absl::Time end, v1::TeamReport* report);
  // `as` (the person or their lead team) records the person's choice that
  // `team` sees `parts` alone.
  void ShareWithTeam(const Principal& as, const std::string& person,
                     const std::string& team,
                     std::initializer_list<careplan::v1::SharedPart> parts);

  // Polls (up to 10 s) until `done`.
  bool Eventually(const std::function<bool()>& done);
  // Waits until the record has caught up with every feed and shows
  // `entries` entries of `person` to a service.
  bool RecordShows(const std::string& person, int entries);

  grpc::Status List(const Principal& as,
                    const v1::ListTimelineEntriesRequest& request,
                    v1::ListTimelineEntriesResponse* response);
  // Every entry of `person` the caller sees, following page tokens.
  std::vector<v1::TimelineEntry> Timeline(const Principal& as,
                                          const std::string& person,
                                          int page_size = 0);
  grpc::Status Summary(const Principal& as, const std::string& person,
                       v1::CareSummary* summary);
  // Everything in the record feed (team inbox items) the caller receives
  // now, after `after`.
  std::vector<events::v1::Event> Inbox(const Principal& as, int64_t after = 0);
  // The care gaps on `parent`'s list (a team, or `teams/-`).
  grpc::Status Gaps(const Principal& as, const std::string& parent,
                    v1::ListCareGapsResponse* response,
                    bool include_closed = false);

  carebridge::testing::TestServer server_;
  carebridge::testing::HostedModules modules_;
  std::unique_ptr<dir::DirectoryService::Stub> directory_;
  std::unique_ptr<ref::ReferralService::Stub> referral_;
  std::unique_ptr<v1::RecordService::Stub> record_;
  std::string community_, crisis_, voluntary_, housing_;
  Principal alice_, bob_, val_, otto_;
};

}  // namespace carebridge::record::testing

#endif  // CAREBRIDGE_TESTS_RECORD_RECORD_TEST_FIXTURE_H_
