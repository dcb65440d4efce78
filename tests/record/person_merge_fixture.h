#ifndef CAREBRIDGE_TESTS_RECORD_PERSON_MERGE_FIXTURE_H_
#define CAREBRIDGE_TESTS_RECORD_PERSON_MERGE_FIXTURE_H_

// The fixture of the record's person merge tests (person_merge_test.cc,
// person_merge_watch_test.cc): a record store of the test's own (SQLite, or
// PostgreSQL in the _postgresql run), the domain over it and a fake clock,
// and the events the directory and referral feeds deliver, applied as the
// record's consumers apply them (RecordDomain::ApplyEvent, one feed
// position each).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/common/clock.h"
#include "services/common/event_log.h"
#include "services/common/principal.h"
#include "services/common/time_util.h"
#include "services/record/record_domain.h"
#include "services/record/sqlite_record_store.h"
#include "tests/record/test_record_store.h"
#include "tests/support/status_matchers.h"

namespace carebridge::record::merge_testing {

using ::carebridge::testing::IsOk;

namespace dir = ::carebridge::directory::v1;
namespace rf = ::carebridge::referral::v1;

inline const absl::Time kStart =
    absl::FromUnixSeconds(1767225600);  // 2026-01-01
inline constexpr char kCommunity[] = "teams/community";
inline constexpr char kCrisis[] = "teams/crisis";
inline constexpr char kVoluntary[] = "teams/voluntary";

inline Principal Service() {
  Principal service;
  service.subject = "services/test";
  service.role = Role::kService;
  return service;
}

class PersonMergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GapSettings settings;
    // One decline is a bounce, so a single referral leaves a BOUNCED gap.
    settings.bounce_teams = 1;
    ASSERT_THAT(store_.Open(settings), IsOk());
    domain_ = std::make_unique<RecordDomain>(&clock_, store_.get(),
                                             [] { return v1::Freshness(); });
  }

  // The next event of `feed`, as its service commits it.
  events::v1::Event Next(const std::string& feed, const std::string& type,
                         const std::string& subject, const std::string& person,
                         std::vector<std::string> teams, absl::Time time,
                         const google::protobuf::Message& payload) {
    events::v1::Event event = MakeEvent(type, subject, person, std::move(teams),
                                        "members/alice", time, payload);
    event.set_feed(feed);
    event.set_sequence(++sequences_[feed]);
    event.set_id(absl::StrCat(feed, "/", event.sequence()));
    return event;
  }

  absl::Status Apply(const events::v1::Event& event) {
    return domain_->ApplyEvent(event,
                               FeedPosition(event.feed(), event.sequence()));
  }

  dir::Person Person(const std::string& id, const std::string& given_name) {
    dir::Person person;
    person.set_name(absl::StrCat("persons/", id));
    person.set_given_name(given_name);
    person.set_family_name("Okafor");
    person.set_birth_date("1990-04-01");
    return person;
  }

  events::v1::Event Registered(const std::string& id,
                               const std::string& given_name, absl::Time time) {
    const dir::Person person = Person(id, given_name);
    return Next("directory", "person.created", person.name(), person.name(),
                {kCommunity}, time, person);
  }

  events::v1::Event Merged(const std::string& duplicate,
                           const std::string& given_name,
                           const std::string& into, absl::Time time) {
    dir::Person person = Person(duplicate, given_name);
    person.set_merged_into(absl::StrCat("persons/", into));
    *person.mutable_merge_time() = ToProtoTimestamp(time);
    return Next("directory", "person.merged", person.name(), person.name(),
                {kCommunity}, time, person);
  }

  // Referral `name` about `person_id` from the community team to `to`, as
  // it stands after `steps` (each at its time; the first is CREATED).
  rf::Referral Referral(
      const std::string& name, const std::string& person_id,
      const std::string& to,
      std::vector<std::pair<rf::ReferralEvent::Action, absl::Time>> steps) {
    rf::Referral referral;
    referral.set_name(name);
    referral.set_person(absl::StrCat("persons/", person_id));
    referral.set_sending_team(kCommunity);
    referral.set_receiving_team(to);
    referral.set_urgency(rf::URGENT);
    referral.set_reason("Needs support in the evenings.");
    *referral.mutable_create_time() = ToProtoTimestamp(steps.front().second);
    *referral.mutable_response_due_time() =
        ToProtoTimestamp(steps.front().second + absl::Hours(48));
    referral.set_state(rf::SENT);
    for (const auto& [action, time] : steps) {
      rf::ReferralEvent& step = *referral.add_history();
      step.set_action(action);
      *step.mutable_time() = ToProtoTimestamp(time);
      step.set_actor_team(action == rf::ReferralEvent::CREATED ? kCommunity
                                                               : to);
      if (action == rf::ReferralEvent::ACCEPTED)
        referral.set_state(rf::ACCEPTED);
      if (action == rf::ReferralEvent::DECLINED) {
        referral.set_state(rf::DECLINED);
        step.set_note("Not in crisis now.");
        referral.mutable_onward_route()->set_suggested_team(kVoluntary);
      }
    }
    return referral;
  }

  events::v1::Event ReferralEvent(const std::string& type,
                                  const rf::Referral& referral) {
    const absl::Time time = FromProtoTimestamp(
        referral.history(referral.history_size() - 1).time());
    return Next("referral", type, referral.name(), referral.person(),
                {referral.sending_team(), referral.receiving_team()}, time,
                referral);
  }

  // persons/d's referral referrals/r1 to the crisis team: created at +2h,
  // declined at +3h (a bounce, so a BOUNCED gap on persons/d).
  void DuplicateBounced() {
    const absl::Time created = kStart + absl::Hours(2);
    const absl::Time declined = kStart + absl::Hours(3);
    ASSERT_THAT(
        Apply(ReferralEvent("referral.created",
                            Referral("referrals/r1", "d", kCrisis,
                                     {{rf::ReferralEvent::CREATED, created}}))),
        IsOk());
    ASSERT_THAT(Apply(ReferralEvent(
                    "referral.declined",
                    Referral("referrals/r1", "d", kCrisis,
                             {{rf::ReferralEvent::CREATED, created},
                              {rf::ReferralEvent::DECLINED, declined}}))),
                IsOk());
  }

  absl::StatusOr<v1::ListTimelineEntriesResponse> List(
      const std::string& person, int page_size = 1000,
      const std::string& page_token = "") {
    v1::ListTimelineEntriesRequest request;
    request.set_parent(person);
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    return domain_->ListTimelineEntries(Service(), request);
  }

  // Every entry of `person`, following page tokens.
  std::vector<v1::TimelineEntry> Timeline(const std::string& person,
                                          int page_size = 1000) {
    std::vector<v1::TimelineEntry> entries;
    std::string token;
    do {
      absl::StatusOr<v1::ListTimelineEntriesResponse> page =
          List(person, page_size, token);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) break;
      entries.insert(entries.end(), page->entries().begin(),
                     page->entries().end());
      token = page->next_page_token();
    } while (!token.empty());
    return entries;
  }

  std::vector<std::string> Types(const std::string& person) {
    std::vector<std::string> types;
    for (const v1::TimelineEntry& entry : Timeline(person)) {
      types.push_back(entry.type());
    }
    return types;
  }

  absl::StatusOr<v1::CareSummary> Summary(const std::string& person) {
    v1::GetCareSummaryRequest request;
    request.set_name(absl::StrCat(person, "/careSummary"));
    return domain_->GetCareSummary(Service(), request);
  }

  // Every gap, open or closed, of `person` (of every person when empty).
  absl::StatusOr<v1::ListCareGapsResponse> Gaps(const std::string& person) {
    v1::ListCareGapsRequest request;
    request.set_parent("teams/-");
    request.set_person(person);
    request.set_include_closed(true);
    return domain_->ListCareGaps(Service(), request);
  }

  // Everything in the record's feed (the team inbox items).
  std::vector<events::v1::Event> Inbox() {
    absl::StatusOr<std::vector<events::v1::Event>> items =
        store_->event_log()->ReadAfter(0, 10000);
    EXPECT_THAT(items, IsOk());
    return items.ok() ? *items : std::vector<events::v1::Event>();
  }

  FakeClock clock_{kStart + absl::Hours(24)};
  TestRecordStore store_;
  std::unique_ptr<RecordDomain> domain_;
  std::map<std::string, int64_t> sequences_;
};

}  // namespace carebridge::record::merge_testing

#endif  // CAREBRIDGE_TESTS_RECORD_PERSON_MERGE_FIXTURE_H_
