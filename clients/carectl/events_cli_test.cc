// `carectl events` end to end against fake feeds on every service: which
// service each feed is read from, what is asked, what is printed, and how
// a followed feed ends.

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <signal.h>
#include <unistd.h>

#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "clients/carectl/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace carebridge::carectl {
namespace {

namespace ev = ::carebridge::events::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result Carectl(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = RunCarectl(args, {}, out, err);
  return {code, out.str(), err.str()};
}

// An output stream that another thread may read while carectl writes it.
class SharedOutput : public std::streambuf {
 public:
  std::string text() {
    absl::MutexLock lock(&mu_);
    return text_;
  }

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) {
      absl::MutexLock lock(&mu_);
      text_.push_back(traits_type::to_char_type(c));
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    absl::MutexLock lock(&mu_);
    text_.append(s, static_cast<size_t>(n));
    return n;
  }

 private:
  absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
};

// What every fake feed shares: the requests seen, and how a followed
// stream ends. Each feed holds two events, `{feed}.created` (sequence 1,
// with a Handover payload) and `{feed}.changed` (sequence 2).
class Feeds {
 public:
  grpc::Status Serve(const std::string& feed, grpc::ServerContext* context,
                     const ev::SubscribeRequest& request,
                     grpc::ServerWriter<ev::SubscribeResponse>* writer) {
    {
      absl::MutexLock lock(&mu_);
      feeds_asked_.push_back(feed);
      last_request_ = request;
    }
    ev::SubscribeResponse heartbeat;
    heartbeat.set_through_sequence(request.after_sequence());
    heartbeat.set_head_sequence(2);
    writer->Write(heartbeat);
    ev::SubscribeResponse batch;
    for (int64_t seq = request.after_sequence() + 1; seq <= 2; ++seq) {
      *batch.add_events() = MakeEvent(feed, seq);
    }
    batch.set_through_sequence(2);
    batch.set_head_sequence(2);
    writer->Write(batch);
    if (request.stop_when_caught_up()) return grpc::Status::OK;
    {
      absl::MutexLock lock(&mu_);
      following_ = true;
      if (!follow_end_.ok()) return follow_end_;
    }
    while (!context->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
    return grpc::Status::CANCELLED;
  }

  static ev::Event MakeEvent(const std::string& feed, int64_t seq) {
    ev::Event event;
    event.set_sequence(seq);
    event.set_id(absl::StrCat(feed, "/", seq));
    event.set_feed(feed);
    event.set_type(absl::StrCat(feed, seq == 1 ? ".created" : ".changed"));
    event.set_subject(absl::StrCat("things/", feed, seq));
    event.set_person("persons/p1");
    event.set_actor("members/m1");
    event.add_teams("teams/t1");
    event.mutable_time()->set_seconds(1796083200 + seq);
    if (seq == 1) {
      handover::v1::Handover payload;
      payload.set_name("handovers/h1");
      event.mutable_payload()->PackFrom(payload);
    }
    return event;
  }

  // A followed stream ends with `status` instead of waiting to be
  // cancelled.
  void EndFollowWith(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    follow_end_ = status;
  }
  bool following() {
    absl::MutexLock lock(&mu_);
    return following_;
  }
  std::vector<std::string> feeds_asked() {
    absl::MutexLock lock(&mu_);
    return feeds_asked_;
  }
  ev::SubscribeRequest last_request() {
    absl::MutexLock lock(&mu_);
    return last_request_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> feeds_asked_ ABSL_GUARDED_BY(mu_);
  ev::SubscribeRequest last_request_ ABSL_GUARDED_BY(mu_);
  bool following_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status follow_end_ ABSL_GUARDED_BY(mu_);
};

// Each service serves its own feed from `feeds`.
template <typename Service>
class FakeFeed : public Service {
 public:
  FakeFeed(Feeds* feeds, std::string name)
      : feeds_(feeds), name_(std::move(name)) {}
  grpc::Status Subscribe(
      grpc::ServerContext* context, const ev::SubscribeRequest* request,
      grpc::ServerWriter<ev::SubscribeResponse>* writer) override {
    return feeds_->Serve(name_, context, *request, writer);
  }

 private:
  Feeds* feeds_;
  std::string name_;
};

class EventsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&directory_);
    builder.RegisterService(&referral_);
    builder.RegisterService(&careplan_);
    builder.RegisterService(&handover_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    server_flag_ = absl::StrCat("--server=127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  // Runs `carectl events --follow ...` on a thread until it has printed
  // the feed's events, sends `signal` to the process, and returns what
  // carectl did.
  Result FollowThenSignal(int signal) {
    Result result;
    SharedOutput out_buffer, err_buffer;
    std::ostream out(&out_buffer), err(&err_buffer);
    std::thread run([&] {
      result.code =
          RunCarectl({server_flag_, "events", "--feed=referral", "--follow"},
                     {}, out, err);
    });
    absl::Time deadline = absl::Now() + absl::Seconds(20);
    auto streaming = [&] {
      return feeds_.following() &&
             absl::StrContains(out_buffer.text(), "referral.changed");
    };
    while (!streaming() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    EXPECT_TRUE(streaming());
    kill(getpid(), signal);
    run.join();
    result.out = out_buffer.text();
    result.err = err_buffer.text();
    return result;
  }

  Feeds feeds_;
  FakeFeed<directory::v1::DirectoryService::Service> directory_{&feeds_,
                                                                "directory"};
  FakeFeed<referral::v1::ReferralService::Service> referral_{&feeds_,
                                                             "referral"};
  FakeFeed<careplan::v1::CarePlanService::Service> careplan_{&feeds_,
                                                             "careplan"};
  FakeFeed<handover::v1::HandoverService::Service> handover_{&feeds_,
                                                             "handover"};
  std::unique_ptr<grpc::Server> server_;
  std::string server_flag_;
};

TEST_F(EventsCliTest, EachFeedIsReadFromItsOwnService) {
  for (const char* feed : {"directory", "referral", "careplan", "handover"}) {
    Result r = Carectl(
        {server_flag_, "--utc", "events", std::string("--feed=") + feed});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, absl::StrCat("1  2026-12-01T00:00:01Z  ", feed,
                                  ".created  things/", feed,
                                  "1  persons/p1  members/m1  teams/t1\n"
                                  "2  2026-12-01T00:00:02Z  ",
                                  feed, ".changed  things/", feed,
                                  "2  persons/p1  members/m1  teams/t1\n"));
    EXPECT_EQ(r.err,
              "carectl: caught up at sequence 2 (continue with --after=2)\n");
  }
  EXPECT_THAT(feeds_.feeds_asked(),
              ElementsAre("directory", "referral", "careplan", "handover"));
}

TEST_F(EventsCliTest, AsksForWhatTheFlagsSay) {
  Result r = Carectl({server_flag_, "events", "--feed=handover", "--after=1",
                      "--type=handover.accepted", "--type=handover.escalated"});
  ASSERT_EQ(r.code, 0) << r.err;
  ev::SubscribeRequest request = feeds_.last_request();
  EXPECT_EQ(request.after_sequence(), 1);
  EXPECT_THAT(request.type_prefixes(),
              ElementsAre("handover.accepted", "handover.escalated"));
  EXPECT_TRUE(request.stop_when_caught_up());
  EXPECT_THAT(r.out, Not(HasSubstr("handover.created")));
  EXPECT_THAT(r.out, HasSubstr("handover.changed"));
}

TEST_F(EventsCliTest, JsonIsOneObjectPerLineWithThePayload) {
  Result r = Carectl({server_flag_, "--json", "events", "--feed=referral"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  ASSERT_EQ(lines.size(), 3u) << r.out;  // Two objects and the final "".
  EXPECT_THAT(lines[0], HasSubstr("\"type\":\"referral.created\""));
  EXPECT_THAT(lines[0],
              HasSubstr("\"payload\":{\"@type\":\"type.googleapis.com/"
                        "carebridge.handover.v1.Handover\",\"name\":"
                        "\"handovers/h1\""));
  EXPECT_THAT(lines[1], HasSubstr("\"sequence\":\"2\""));
  EXPECT_EQ(lines[2], "");
  EXPECT_EQ(r.err, "");
}

TEST_F(EventsCliTest, NameOnlyPrintsEachSubject) {
  Result r =
      Carectl({server_flag_, "--name_only", "events", "--feed=careplan"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "things/careplan1\nthings/careplan2\n");
}

TEST_F(EventsCliTest, FollowStreamsUntilInterrupted) {
  Result r = FollowThenSignal(SIGINT);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("referral.created"));
  EXPECT_THAT(r.out, HasSubstr("referral.changed"));
  EXPECT_EQ(r.err,
            "carectl: stopped at sequence 2 (continue with --after=2)\n");
  EXPECT_FALSE(feeds_.last_request().stop_when_caught_up());
}

TEST_F(EventsCliTest, FollowEndsCleanlyOnSigterm) {
  Result r = FollowThenSignal(SIGTERM);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("referral.changed"));
}

TEST_F(EventsCliTest, StreamEndingInErrorSaysWhereToResume) {
  feeds_.EndFollowWith(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
  Result r = Carectl({server_flag_, "events", "--feed=handover", "--follow"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("handover.changed"));
  EXPECT_EQ(r.err,
            "carectl: UNAVAILABLE: server shutting down\n"
            "carectl: read through sequence 2; resume with --after=2\n");
}

TEST_F(EventsCliTest, LimitStopsAfterThatManyEvents) {
  Result r = Carectl(
      {server_flag_, "events", "--feed=careplan", "--limit=1", "--follow"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("careplan.created"));
  EXPECT_THAT(r.out, Not(HasSubstr("careplan.changed")));
  // Not "caught up": the feed holds more than the limit let through.
  EXPECT_EQ(r.err,
            "carectl: stopped at --limit=1 (sequence 1); more events may "
            "follow: --after=1\n");
}

TEST_F(EventsCliTest, AFeedEndingBeforeTheLimitIsCaughtUp) {
  Result r = Carectl({server_flag_, "events", "--feed=careplan", "--limit=5"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("careplan.changed"));
  EXPECT_EQ(r.err,
            "carectl: caught up at sequence 2 (continue with --after=2)\n");
}

TEST_F(EventsCliTest, FollowWithALimitWaitsForTheEventsWithinTheTimeout) {
  // The fake feed has two events and then waits: a third never comes.
  Result r = Carectl({server_flag_, "--timeout=1s", "events", "--feed=careplan",
                      "--limit=3", "--follow"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("careplan.changed"));
  EXPECT_THAT(r.err, HasSubstr("DEADLINE_EXCEEDED"));
}

TEST_F(EventsCliTest, BadFlagsExitOneBeforeAnyCall) {
  const std::pair<std::vector<std::string>, const char*> cases[] = {
      {{"events"}, "--feed: required"},
      {{"events", "--feed=audit"}, "--feed: 'audit' is not one of"},
      {{"events", "--feed=referral", "--after=x"}, "--after: must be"},
      {{"events", "--feed=referral", "--limit=0"}, "--limit: must be"},
      {{"events", "--feed=referral", "--colour=red"}, "--colour: unknown flag"},
      {{"events", "now", "--feed=referral"}, "unexpected argument 'now'"},
  };
  for (auto [args, message] : cases) {
    args.insert(args.begin(), server_flag_);
    Result r = Carectl(args);
    EXPECT_EQ(r.code, 1) << message;
    EXPECT_THAT(r.err, HasSubstr(message));
  }
  EXPECT_TRUE(feeds_.feeds_asked().empty());
}

TEST(EventsCliHelpTest, HelpDescribesTheCommand) {
  Result r = Carectl({"events", "help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("carectl events "
                               "--feed=directory|referral|careplan|handover"));
  EXPECT_THAT(r.out, HasSubstr("--follow"));
  // A type prefix matches whole segments (EventTypeMatchesPrefix), not the
  // first characters of a type.
  EXPECT_THAT(r.out, HasSubstr("matched by whole dot-separated segments"));
  EXPECT_THAT(r.out, Not(HasSubstr("starts with PREFIX")));
  r = Carectl({"help"});
  EXPECT_THAT(r.out, HasSubstr("\n  events\n"));
}

}  // namespace
}  // namespace carebridge::carectl
