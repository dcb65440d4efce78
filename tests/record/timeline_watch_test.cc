// RecordService.WatchTimeline over a real server hosting every service: a
// step made after the stream opened arrives; a stream resumed from a
// cursor gets what came after it, once; each caller streams exactly what
// ListTimelineEntries shows it; bad input is refused as the paged call
// refuses it (a cursor with other kinds too); the stream ends when the
// record stops, and when the token expires or is revoked, idle or not;
// opening one is audited; a merged duplicate's steps reach the kept
// person's stream, open or resumed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "carebridge/audit/v1/audit.grpc.pb.h"
#include "tests/record/record_test_fixture.h"
#include "tests/support/proto_matchers.h"

namespace carebridge::record::testing {
namespace {

namespace au = ::carebridge::audit::v1;
using ::carebridge::testing::EqualsProto;
using ::carebridge::testing::HasCode;
using ::carebridge::testing::HasCodeAndMessage;
using ::carebridge::testing::TestServer;
using ::testing::Contains;
using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Property;
using ::testing::SizeIs;

std::vector<std::string> Names(const std::vector<v1::TimelineEntry>& entries) {
  std::vector<std::string> names;
  for (const v1::TimelineEntry& entry : entries) names.push_back(entry.name());
  return names;
}

// One WatchTimeline stream (reads wait up to 30 s from its opening).
class Watch {
 public:
  Watch(TestServer& server, v1::RecordService::Stub& record,
        const Principal& as, const std::string& person,
        const std::string& cursor = "",
        const std::vector<v1::EntryKind>& kinds = {})
      : context_(server.ContextAs(as)) {
    // A stream outlives a call: room for a loaded machine.
    context_->set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(30));
    v1::WatchTimelineRequest request;
    request.set_parent(person);
    request.set_cursor(cursor);
    for (v1::EntryKind kind : kinds) request.add_kinds(kind);
    reader_ = record.WatchTimeline(context_.get(), request);
  }
  explicit Watch(std::unique_ptr<grpc::ClientContext> context,
                 v1::RecordService::Stub& record,
                 const v1::WatchTimelineRequest& request)
      : context_(std::move(context)),
        reader_(record.WatchTimeline(context_.get(), request)) {}
  ~Watch() {
    if (!finished_) {
      context_->TryCancel();
      v1::WatchTimelineResponse ignored;
      while (reader_->Read(&ignored)) {
      }
      reader_->Finish().IgnoreError();
    }
  }

  // The next response; false once the stream has ended (Finish says why).
  bool Next(v1::WatchTimelineResponse* response) {
    if (!reader_->Read(response)) return false;
    entries_.insert(entries_.end(), response->entries().begin(),
                    response->entries().end());
    cursor_ = response->cursor();
    return true;
  }
  grpc::Status Finish() {
    finished_ = true;
    return reader_->Finish();
  }
  // How the stream ended, reading (and dropping) what was still on its way.
  grpc::Status End() {
    v1::WatchTimelineResponse response;
    while (Next(&response)) {
    }
    return Finish();
  }

  // Every entry received so far, and the last cursor.
  const std::vector<v1::TimelineEntry>& entries() const { return entries_; }
  const std::string& cursor() const { return cursor_; }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchTimelineResponse>> reader_;
  std::vector<v1::TimelineEntry> entries_;
  std::string cursor_;
  bool finished_ = false;
};

class TimelineWatchTest : public RecordTest {
 protected:
  // Reads `watch` until it has received exactly the entries
  // ListTimelineEntries shows `as` of `person` now, each once; false (with
  // a failure) when it receives one the list does not show, or ends.
  bool CatchesUp(Watch& watch, const Principal& as, const std::string& person) {
    for (int responses = 0; responses < 100; ++responses) {
      const std::vector<std::string> listed = Names(Timeline(as, person));
      const std::set<std::string> expected(listed.begin(), listed.end());
      const std::vector<std::string> got = Names(watch.entries());
      const std::set<std::string> received(got.begin(), got.end());
      EXPECT_EQ(received.size(), got.size()) << "an entry came twice";
      for (const std::string& name : received) {
        if (expected.count(name) == 0) {
          ADD_FAILURE() << as.subject << " was sent " << name
                        << ", which ListTimelineEntries does not show it";
          return false;
        }
      }
      if (received == expected) return true;
      v1::WatchTimelineResponse response;
      if (!watch.Next(&response)) {
        ADD_FAILURE() << "the stream ended: " << watch.Finish().error_message();
        return false;
      }
    }
    return false;
  }

  grpc::Status Refusal(const Principal& as, const std::string& person,
                       const std::string& cursor = "",
                       const std::vector<v1::EntryKind>& kinds = {}) {
    Watch watch(server_, *record_, as, person, cursor, kinds);
    v1::WatchTimelineResponse response;
    EXPECT_FALSE(watch.Next(&response)) << "the stream opened";
    return watch.Finish();
  }
};

TEST_F(TimelineWatchTest, AStepMadeAfterTheStreamOpenedArrives) {
  const std::string ada = MakePerson("Ada");
  const std::string referral = Refer(ada, crisis_).name();
  ASSERT_TRUE(RecordShows(ada, 2));

  Watch watch(server_, *record_, bob_, ada);
  v1::WatchTimelineResponse first;
  ASSERT_TRUE(watch.Next(&first)) << watch.Finish().error_message();
  // The history first, at once, as the paged call shows it.
  EXPECT_TRUE(first.caught_up());
  EXPECT_FALSE(first.cursor().empty());
  EXPECT_EQ(Names(watch.entries()), Names(Timeline(bob_, ada)));
  EXPECT_THAT(Types(watch.entries()),
              ::testing::ElementsAre("person.created", "referral.created"));

  Accept(referral, bob_);
  // The answer, then what it brought about (the crisis team joins the
  // care team), as the record applies them.
  ASSERT_TRUE(RecordShows(ada, 4));
  ASSERT_TRUE(CatchesUp(watch, bob_, ada));
  std::vector<v1::TimelineEntry> accepted;
  for (const v1::TimelineEntry& entry : watch.entries()) {
    if (entry.type() == "referral.accepted") accepted.push_back(entry);
  }
  ASSERT_THAT(accepted, SizeIs(1));
  EXPECT_EQ(accepted[0].resource(), referral);
  EXPECT_EQ(accepted[0].actor(), "members/bob");
  EXPECT_THAT(Types(watch.entries()), Contains(HasSubstr("careplan.")));
}

TEST_F(TimelineWatchTest, AResumedStreamGetsWhatCameAfterItsCursorOnce) {
  const std::string ada = MakePerson("Ada");
  const std::string to_crisis = Refer(ada, crisis_).name();
  ASSERT_TRUE(RecordShows(ada, 2));
  std::string cursor;
  std::vector<std::string> before;
  {
    Watch watch(server_, *record_, Service(), ada);
    v1::WatchTimelineResponse first;
    ASSERT_TRUE(watch.Next(&first));
    cursor = first.cursor();
    before = Names(watch.entries());
  }
  ASSERT_THAT(before, SizeIs(2));

  // While nobody watches: a decline, a referral accepted, the care plan.
  Decline(to_crisis, bob_);
  Accept(Refer(ada, voluntary_).name(), val_);
  ASSERT_TRUE(RecordShows(ada, 6));

  Watch resumed(server_, *record_, Service(), ada, cursor);
  v1::WatchTimelineResponse response;
  ASSERT_TRUE(resumed.Next(&response)) << resumed.Finish().error_message();
  EXPECT_TRUE(response.caught_up());
  const std::vector<std::string> after = Names(resumed.entries());
  // Only what came later, nothing twice, nothing missed.
  std::vector<std::string> expected;
  for (const std::string& name : Names(Timeline(Service(), ada))) {
    if (std::find(before.begin(), before.end(), name) == before.end()) {
      expected.push_back(name);
    }
  }
  EXPECT_THAT(expected, SizeIs(4));
  EXPECT_EQ(std::set<std::string>(after.begin(), after.end()),
            std::set<std::string>(expected.begin(), expected.end()));
  EXPECT_THAT(after, SizeIs(4));

  // From the last cursor there is nothing more: an empty first response.
  Watch again(server_, *record_, Service(), ada, resumed.cursor());
  ASSERT_TRUE(again.Next(&response)) << again.Finish().error_message();
  EXPECT_THAT(response.entries(), IsEmpty());
  EXPECT_TRUE(response.caught_up());
  EXPECT_EQ(response.cursor(), resumed.cursor());
}

// Each caller is streamed what ListTimelineEntries shows it, entry for
// entry: the team outside Ada's care sees her registration and, once
// referred to, its referral; never the care plan or other teams' referrals.
TEST_F(TimelineWatchTest, EachCallerIsStreamedWhatTheListShowsIt) {
  const std::string ada = MakePerson("Ada");
  Decline(Refer(ada, crisis_).name(), bob_);
  Accept(Refer(ada, voluntary_).name(), val_);
  ASSERT_TRUE(RecordShows(ada, 6));

  std::vector<std::unique_ptr<Watch>> watches;
  const std::vector<Principal> callers = {otto_, bob_, val_, alice_, Service()};
  for (const Principal& as : callers) {
    SCOPED_TRACE(as.subject);
    watches.push_back(std::make_unique<Watch>(server_, *record_, as, ada));
    v1::WatchTimelineResponse first;
    ASSERT_TRUE(watches.back()->Next(&first));
    const std::vector<v1::TimelineEntry> listed = Timeline(as, ada);
    ASSERT_THAT(watches.back()->entries(), SizeIs(listed.size()));
    for (size_t i = 0; i < listed.size(); ++i) {
      EXPECT_THAT(watches.back()->entries()[i], EqualsProto(listed[i]));
    }
  }
  // The housing team, outside her care, sees her registration only.
  EXPECT_THAT(Types(watches[0]->entries()),
              ::testing::ElementsAre("person.created"));
  // The crisis team, which declined, sees its referral but not the plan.
  EXPECT_THAT(Types(watches[1]->entries()), Each(Not(HasSubstr("careplan."))));

  // Alice refers Ada to housing: now the housing team sees that referral.
  Refer(ada, housing_, ref::ROUTINE);
  ASSERT_TRUE(RecordShows(ada, 7));
  for (size_t i = 0; i < callers.size(); ++i) {
    SCOPED_TRACE(callers[i].subject);
    EXPECT_TRUE(CatchesUp(*watches[i], callers[i], ada));
  }
  EXPECT_THAT(Types(watches[0]->entries()),
              ::testing::ElementsAre("person.created", "referral.created"));
  EXPECT_THAT(Names(watches[1]->entries()),
              Not(Contains(watches[0]->entries()[1].name())));
}

TEST_F(TimelineWatchTest, KindsFilterTheStream) {
  const std::string ada = MakePerson("Ada");
  Accept(Refer(ada, voluntary_).name(), val_);
  ASSERT_TRUE(RecordShows(ada, 4));
  Watch watch(server_, *record_, val_, ada, "", {v1::REFERRAL});
  v1::WatchTimelineResponse response;
  ASSERT_TRUE(watch.Next(&response));
  EXPECT_THAT(Types(watch.entries()),
              ::testing::ElementsAre("referral.created", "referral.accepted"));
  v1::ListTimelineEntriesRequest list;
  list.set_parent(ada);
  list.add_kinds(v1::REFERRAL);
  v1::ListTimelineEntriesResponse listed;
  ASSERT_TRUE(List(val_, list, &listed).ok());
  EXPECT_EQ(Names(watch.entries()),
            Names(std::vector<v1::TimelineEntry>(listed.entries().begin(),
                                                 listed.entries().end())));
}

// Refused as ListTimelineEntries refuses it, naming the field; nothing
// changes.
TEST_F(TimelineWatchTest, BadInputIsRefusedNamingTheField) {
  const std::string ada = MakePerson("Ada");
  const std::string bo = MakePerson("Bo");
  Refer(ada, crisis_);
  ASSERT_TRUE(RecordShows(ada, 2));
  ASSERT_TRUE(RecordShows(bo, 1));
  const std::vector<std::string> before = Names(Timeline(Service(), ada));
  std::string bos_cursor;
  {
    Watch watch(server_, *record_, bob_, bo);
    v1::WatchTimelineResponse first;
    ASSERT_TRUE(watch.Next(&first));
    bos_cursor = first.cursor();
  }

  EXPECT_THAT(Refusal(bob_, "people/ada"),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("parent")));
  EXPECT_THAT(Refusal(bob_, "persons/nobody"),
              HasCode(grpc::StatusCode::NOT_FOUND));
  EXPECT_THAT(Refusal(bob_, ada, "", {static_cast<v1::EntryKind>(99)}),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("kinds")));
  EXPECT_THAT(Refusal(bob_, ada, "", {v1::ENTRY_KIND_UNSPECIFIED}),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("kinds")));
  EXPECT_THAT(Refusal(bob_, ada, "not a cursor"),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("cursor")));
  // Bo's cursor is no cursor of Ada's timeline.
  EXPECT_THAT(Refusal(bob_, ada, bos_cursor),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("cursor")));
  // Admins see nothing of a person; a person (even their own) does not
  // read the teams' steps, as with ListTimelineEntries.
  EXPECT_THAT(Refusal(TestServer::Admin(), ada),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
  for (const std::string& whose : {bo, ada}) {
    Principal person;
    person.subject = bo;
    person.role = Role::kPerson;
    person.expire_time = server_.clock().Now() + absl::Hours(1);
    v1::ListTimelineEntriesRequest list;
    list.set_parent(whose);
    v1::ListTimelineEntriesResponse listed;
    EXPECT_THAT(List(person, list, &listed),
                HasCode(grpc::StatusCode::PERMISSION_DENIED));
    EXPECT_THAT(Refusal(person, whose),
                HasCode(grpc::StatusCode::PERMISSION_DENIED));
  }
  v1::WatchTimelineRequest request;
  request.set_parent(ada);
  Watch anonymous(server_.AnonymousContext(), *record_, request);
  EXPECT_THAT(anonymous.End(), HasCode(grpc::StatusCode::UNAUTHENTICATED));

  EXPECT_EQ(Names(Timeline(Service(), ada)), before);
}

TEST_F(TimelineWatchTest, TheStreamEndsWhenTheRecordStopsSayingHowToResume) {
  const std::string ada = MakePerson("Ada");
  ASSERT_TRUE(RecordShows(ada, 1));
  Watch watch(server_, *record_, bob_, ada);
  v1::WatchTimelineResponse first;
  ASSERT_TRUE(watch.Next(&first));
  modules_.Stop();
  EXPECT_THAT(watch.End(),
              HasCodeAndMessage(grpc::StatusCode::UNAVAILABLE,
                                HasSubstr("with the last cursor")));
}

// A stream outliving its token ends at the next step, sending nothing more.
TEST_F(TimelineWatchTest, AnExpiredTokenEndsTheStreamAtTheNextStep) {
  const std::string ada = MakePerson("Ada");
  ASSERT_TRUE(RecordShows(ada, 1));
  Principal expiring = bob_;
  expiring.expire_time = server_.clock().Now() + absl::Minutes(5);
  Watch watch(server_, *record_, expiring, ada);
  v1::WatchTimelineResponse first;
  ASSERT_TRUE(watch.Next(&first));
  server_.clock().Advance(absl::Minutes(10));
  Refer(ada, crisis_);
  ASSERT_TRUE(RecordShows(ada, 2));
  EXPECT_THAT(watch.End(), HasCodeAndMessage(grpc::StatusCode::UNAUTHENTICATED,
                                             HasSubstr("expired")));
  EXPECT_THAT(watch.entries(), SizeIs(1));
}

// An idle stream (no step comes) ends when its token expires: the expiry
// alarm ends it, not a wake-up. Before, it stayed open until the client
// went.
TEST_F(TimelineWatchTest, AnIdleStreamEndsWhenItsTokenExpires) {
  const std::string ada = MakePerson("Ada");
  ASSERT_TRUE(RecordShows(ada, 1));
  Principal expiring = bob_;
  expiring.expire_time = server_.clock().Now() + absl::Seconds(1);
  Watch watch(server_, *record_, expiring, ada);
  v1::WatchTimelineResponse first;
  ASSERT_TRUE(watch.Next(&first));
  server_.clock().Advance(absl::Seconds(2));
  const absl::Time start = absl::Now();
  EXPECT_THAT(watch.End(), HasCodeAndMessage(grpc::StatusCode::UNAUTHENTICATED,
                                             HasSubstr("expired")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(watch.entries(), SizeIs(1));
}

// An idle stream ends as soon as its member's tokens stop standing (here
// the member is deactivated, as the directory's feed would say), without
// waiting for a step.
TEST_F(TimelineWatchTest, AnIdleStreamEndsWhenItsTokenIsRevoked) {
  const std::string ada = MakePerson("Ada");
  ASSERT_TRUE(RecordShows(ada, 1));
  Watch watch(server_, *record_, bob_, ada);
  v1::WatchTimelineResponse first;
  ASSERT_TRUE(watch.Next(&first));
  ASSERT_NE(modules_.revocations(), nullptr);
  // What the RevocationsPeer does when the directory's feed says so (Bob
  // is no member of the hosted directory, so the test says it itself).
  const_cast<TokenRevocations&>(modules_.revocations()->revocations())
      .Deactivate(bob_.subject, "suspended pending review");
  const absl::Time start = absl::Now();
  EXPECT_THAT(watch.End(), HasCodeAndMessage(grpc::StatusCode::UNAUTHENTICATED,
                                             HasSubstr("deactivated")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(watch.entries(), SizeIs(1));
}

// A cursor read with some kinds has passed the other kinds' entries
// unsent: given with other kinds it would skip them, so it is refused.
TEST_F(TimelineWatchTest, ACursorIsForTheKindsItWasIssuedWith) {
  const std::string ada = MakePerson("Ada");
  Accept(Refer(ada, voluntary_).name(), val_);
  ASSERT_TRUE(RecordShows(ada, 4));
  std::string referrals_cursor;
  {
    Watch watch(server_, *record_, val_, ada, "", {v1::REFERRAL});
    v1::WatchTimelineResponse first;
    ASSERT_TRUE(watch.Next(&first));
    referrals_cursor = first.cursor();
  }
  EXPECT_THAT(Refusal(val_, ada, referrals_cursor),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("cursor: was issued for a stream "
                                          "of kinds REFERRAL")));
  EXPECT_THAT(Refusal(val_, ada, referrals_cursor, {v1::CARE_PLAN}),
              HasCodeAndMessage(grpc::StatusCode::INVALID_ARGUMENT,
                                HasSubstr("cursor")));
  // The same kinds (even listed twice) resume it.
  Watch resumed(server_, *record_, val_, ada, referrals_cursor,
                {v1::REFERRAL, v1::REFERRAL});
  v1::WatchTimelineResponse response;
  ASSERT_TRUE(resumed.Next(&response)) << resumed.Finish().error_message();
  EXPECT_THAT(response.entries(), IsEmpty());
}

// Ada was registered twice; the crisis team, leading her care, merges the
// second registration into hers after her stream has read past the
// duplicate's referral steps (a later referral of hers). The open stream,
// and one resumed from before the merge, are sent the duplicate's steps
// and the merge, each once.
TEST_F(TimelineWatchTest, AMergedDuplicatesStepsArriveOnTheKeptPersonsStream) {
  const std::string ada = MakePerson("Ada");
  Accept(Refer(ada, crisis_).name(), bob_);
  ASSERT_TRUE(Eventually([&] {
    v1::CareSummary summary;
    return Summary(Service(), ada, &summary).ok() &&
           summary.lead_team() == crisis_;
  }));
  const std::string again =
      MakePerson("Ada", /*allow_possible_duplicate=*/true);
  const ref::Referral duplicates = ReferAs(alice_, again, crisis_);
  ASSERT_TRUE(RecordShows(again, 2));
  Decline(duplicates.name(), bob_);
  ASSERT_TRUE(RecordShows(again, 3));
  const int before = static_cast<int>(Timeline(Service(), ada).size());
  Refer(ada, voluntary_);
  ASSERT_TRUE(RecordShows(ada, before + 1));

  Watch watch(server_, *record_, Service(), ada);
  ASSERT_TRUE(CatchesUp(watch, Service(), ada));
  const std::string before_merge = watch.cursor();
  const size_t sent_before = watch.entries().size();

  dir::GetPersonRequest get;
  get.set_name(again);
  dir::Person duplicate;
  auto read = server_.ContextAs(bob_);
  ASSERT_TRUE(directory_->GetPerson(read.get(), get, &duplicate).ok());
  dir::MergePersonsRequest merge;
  merge.set_person(ada);
  merge.set_duplicate(again);
  merge.set_duplicate_etag(duplicate.etag());
  dir::Person kept;
  auto merging = server_.ContextAs(bob_);
  const grpc::Status merged =
      directory_->MergePersons(merging.get(), merge, &kept);
  ASSERT_TRUE(merged.ok()) << merged.error_message();
  ASSERT_TRUE(RecordShows(ada, static_cast<int>(sent_before) + 4));

  // The duplicate's registration, its referral sent and declined, the
  // merge.
  ASSERT_TRUE(CatchesUp(watch, Service(), ada));
  std::vector<v1::TimelineEntry> arrived(
      watch.entries().begin() + static_cast<std::ptrdiff_t>(sent_before),
      watch.entries().end());
  EXPECT_THAT(arrived, SizeIs(4));
  EXPECT_EQ(std::count_if(arrived.begin(), arrived.end(),
                          [&](const v1::TimelineEntry& entry) {
                            return entry.resource() == duplicates.name();
                          }),
            2);
  Watch resumed(server_, *record_, Service(), ada, before_merge);
  v1::WatchTimelineResponse response;
  ASSERT_TRUE(resumed.Next(&response)) << resumed.Finish().error_message();
  EXPECT_TRUE(response.caught_up());
  const std::vector<std::string> resent = Names(resumed.entries());
  const std::vector<std::string> names = Names(arrived);
  EXPECT_EQ(std::set<std::string>(resent.begin(), resent.end()),
            std::set<std::string>(names.begin(), names.end()));
  EXPECT_THAT(resent, SizeIs(4));
}

// Opening a stream reads the person's record: it leaves a trace, as the
// paged call does, refusals included.
TEST_F(TimelineWatchTest, OpeningAStreamIsAudited) {
  const std::string ada = MakePerson("Ada");
  ASSERT_TRUE(RecordShows(ada, 1));
  {
    Watch watch(server_, *record_, otto_, ada);
    v1::WatchTimelineResponse first;
    ASSERT_TRUE(watch.Next(&first));
  }
  EXPECT_THAT(Refusal(TestServer::Admin(), ada),
              HasCode(grpc::StatusCode::PERMISSION_DENIED));
  auto audit = au::AuditService::NewStub(server_.Channel());
  au::ListAccessesRequest request;
  request.set_person(ada);
  request.set_page_size(500);
  au::ListAccessesResponse response;
  auto context = server_.ContextAs(TestServer::Admin());
  ASSERT_TRUE(audit->ListAccesses(context.get(), request, &response).ok());
  std::vector<std::string> watched;
  for (const au::Access& access : response.accesses()) {
    if (access.method() != "carebridge.record.v1.WatchTimeline") continue;
    watched.push_back(access.actor() + " " + access.outcome());
    EXPECT_EQ(access.resource(), ada);
    EXPECT_EQ(access.log(), "record");
  }
  EXPECT_THAT(watched,
              ::testing::UnorderedElementsAre(
                  "members/otto OK", "members/test-admin PERMISSION_DENIED"));
}

}  // namespace
}  // namespace carebridge::record::testing
