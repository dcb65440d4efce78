// What the web console needs from the HTTP listener, against a real
// all-in-one server: its files (built into the binary, kept to their own
// origin), who a token names (/v1/session), and the team inbox as
// server-sent events (/v1/inbox:stream), live and resumable, with the
// caller's own token deciding what it carries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/common/token.h"
#include "services/common/token_keys.h"
#include "services/http/console_assets.h"
#include "services/server/test_deployment.h"
#include "tests/support/eventually.h"

namespace carebridge::server {
namespace {

using ::carebridge::testing::Eventually;
using ::testing::HasSubstr;
using ::testing::Not;

// An inbox stream read on a thread of its own until it ends or is stopped.
class StreamReader {
 public:
  StreamReader(int port, const std::string& token, const std::string& query)
      : client_("127.0.0.1", port) {
    thread_ = std::thread([this, token, query] {
      httplib::Result result = client_.Get(
          absl::StrCat("/v1/inbox:stream", query).c_str(),
          {{"Authorization", absl::StrCat("Bearer ", token)}},
          [this](const httplib::Response& response) {
            absl::MutexLock lock(&mu_);
            status_ = response.status;
            content_type_ = response.get_header_value("Content-Type");
            return true;
          },
          [this](const char* data, size_t length) {
            absl::MutexLock lock(&mu_);
            text_.append(data, length);
            return !stop_.load();
          });
      absl::MutexLock lock(&mu_);
      if (result && status_ == 0) status_ = result->status;
      if (result && status_ != 200) text_ = result->body;
      done_ = true;
    });
  }
  ~StreamReader() { Stop(); }

  void Stop() {
    stop_ = true;
    client_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string text() {
    absl::MutexLock lock(&mu_);
    return text_;
  }
  int status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  std::string content_type() {
    absl::MutexLock lock(&mu_);
    return content_type_;
  }
  bool done() {
    absl::MutexLock lock(&mu_);
    return done_;
  }

 private:
  httplib::Client client_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
  std::string content_type_ ABSL_GUARDED_BY(mu_);
  int status_ ABSL_GUARDED_BY(mu_) = 0;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// The id of the stream's `ready` event: where it started.
std::string ReadyId(const std::string& text) {
  const size_t ready = text.find("event: ready");
  if (ready == std::string::npos) return "";
  const size_t id = text.rfind("id: ", ready);
  return text.substr(id + 4, text.find('\n', id) - id - 4);
}

class HttpConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status started = deployment_.Start(
        /*split=*/false, [](const std::string&, ServerConfig* config) {
          config->http_listen = "127.0.0.1:0";
          config->http_max_streams = 3;
          config->http_keep_alive = absl::Milliseconds(100);
        });
    ASSERT_TRUE(started.ok()) << started;
    port_ = deployment_.directory->http_port();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    absl::StatusOr<std::string> north = deployment_.CreateTeam("North CMHT");
    absl::StatusOr<std::string> crisis = deployment_.CreateTeam("Crisis team");
    ASSERT_TRUE(north.ok() && crisis.ok());
    north_ = *north;
    crisis_ = *crisis;
    sam_ = Sign("members/sam", north_);
    kim_ = Sign("members/kim", crisis_);
  }

  // A clinician's token for `team`, signed with the deployment's keys.
  std::string Sign(const std::string& member, const std::string& team) {
    TokenKeyDirectory keys(deployment_.dir + "/directory/token-keys",
                           absl::Hours(24 * 90));
    absl::StatusOr<std::shared_ptr<const TokenKeySet>> loaded =
        keys.Load(absl::Now());
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    TokenSigner signer(*loaded);
    Principal principal;
    principal.subject = member;
    principal.team = team;
    principal.role = Role::kClinician;
    principal.expire_time = absl::Now() + absl::Hours(1);
    return signer.Sign(principal);
  }

  // Sam refers a person to the Crisis team; the referral's name.
  std::string Refer() {
    grpc::ClientContext registering;
    AuthorizeForTest(registering, sam_);
    directory::v1::CreatePersonRequest person;
    person.mutable_person()->set_given_name("Alex");
    person.mutable_person()->set_family_name(
        absl::StrCat("Morgan", ++persons_));
    person.mutable_person()->set_birth_date("1990-04-12");
    directory::v1::Person registered;
    grpc::Status made = deployment_.directory_stub->CreatePerson(
        &registering, person, &registered);
    EXPECT_TRUE(made.ok()) << made.error_message();
    grpc::ClientContext context;
    AuthorizeForTest(context, sam_);
    referral::v1::CreateReferralRequest request;
    request.mutable_referral()->set_person(registered.name());
    request.mutable_referral()->set_receiving_team(crisis_);
    request.mutable_referral()->set_urgency(referral::v1::URGENT);
    request.mutable_referral()->set_reason("Needs support at night.");
    referral::v1::Referral created;
    grpc::Status status =
        deployment_.referral_stub->CreateReferral(&context, request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created.name();
  }

  httplib::Headers As(const std::string& token) {
    return {{"Authorization", absl::StrCat("Bearer ", token)}};
  }

  TestDeployment deployment_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
  std::string north_, crisis_, sam_, kim_;
  int persons_ = 0;
};

TEST_F(HttpConsoleTest, TheConsoleIsServedFromTheBinaryKeptToItsOrigin) {
  for (const char* path : {"/", "/console"}) {
    httplib::Result moved = client_->Get(path);
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->status, 302) << path;
    EXPECT_EQ(moved->get_header_value("Location"), "/console/");
  }
  httplib::Result page = client_->Get("/console/");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_THAT(page->body,
              HasSubstr(R"(<script type="module" src="js/app.js">)"));
  const std::string policy = page->get_header_value("Content-Security-Policy");
  EXPECT_THAT(policy, HasSubstr("script-src 'self'"));
  EXPECT_THAT(policy, HasSubstr("connect-src 'self'"));
  EXPECT_THAT(policy, HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(policy, Not(HasSubstr("unsafe")));
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page->get_header_value("Referrer-Policy"), "no-referrer");

  // Unchanged files are not sent again.
  const std::string etag = page->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  httplib::Result again = client_->Get("/console/", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());

  // Every file of clients/console, byte for byte, with its type.
  ASSERT_GE(http::kConsoleAssetCount, 5u);
  for (size_t i = 0; i < http::kConsoleAssetCount; ++i) {
    const http::ConsoleAsset& asset = http::kConsoleAssets[i];
    httplib::Result file =
        client_->Get(absl::StrCat("/console/", asset.path).c_str());
    ASSERT_TRUE(file);
    EXPECT_EQ(file->status, 200) << asset.path;
    EXPECT_EQ(file->body, std::string(reinterpret_cast<const char*>(asset.data),
                                      asset.size))
        << asset.path;
    const std::string type = file->get_header_value("Content-Type");
    if (absl::EndsWith(asset.path, ".js")) {
      EXPECT_EQ(type, "text/javascript; charset=utf-8") << asset.path;
    } else if (absl::EndsWith(asset.path, ".css")) {
      EXPECT_EQ(type, "text/css; charset=utf-8") << asset.path;
    }
  }

  // Nothing else, whatever the path says.
  for (const char* path :
       {"/console/nope.js", "/console/../README.md", "/console/js/",
        "/console/%2e%2e/etc/passwd", "/console/index.html/x"}) {
    httplib::Result missing = client_->Get(path);
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404) << path;
  }
}

// Without sign-in with an identity provider configured, the console
// offers tokens only; the answer needs no token.
TEST_F(HttpConsoleTest, SignInOptionsWithoutAProvider) {
  httplib::Result options = client_->Get("/v1/sign-in");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 200);
  EXPECT_EQ(options->body, "{}");
}

TEST_F(HttpConsoleTest, TheSessionSaysWhoTheTokenNames) {
  httplib::Result none = client_->Get("/v1/session");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
  httplib::Result bad = client_->Get("/v1/session", As("not-a-token"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);

  httplib::Result kim = client_->Get("/v1/session", As(kim_));
  ASSERT_TRUE(kim);
  ASSERT_EQ(kim->status, 200) << kim->body;
  EXPECT_THAT(kim->body, HasSubstr(R"("subject":"members/kim")"));
  EXPECT_THAT(kim->body, HasSubstr(absl::StrCat(R"("team":")", crisis_, "\"")));
  EXPECT_THAT(kim->body, HasSubstr(R"("role":"clinician")"));
  EXPECT_THAT(kim->body, HasSubstr(R"("expireTime":"20)"));
}

// A referral to the team reaches its open stream; the stream resumes from
// any position; the sending team's stream does not carry the receiving
// team's items.
TEST_F(HttpConsoleTest, TheInboxStreamIsLiveResumableAndNeedToKnow) {
  StreamReader kim(port_, kim_, "");
  StreamReader sam(port_, sam_, "");
  ASSERT_TRUE(Eventually([&] {
    return kim.text().find("event: ready") != std::string::npos &&
           sam.text().find("event: ready") != std::string::npos;
  }));
  EXPECT_EQ(kim.status(), 200);
  EXPECT_EQ(kim.content_type(), "text/event-stream");
  // Idle streams carry keep-alive comments (every 100 ms here), exactly
  // ": keep-alive" and a blank line, nothing more.
  ASSERT_TRUE(Eventually([&] {
    return kim.text().find(": keep-alive\n\n") != std::string::npos;
  }));
  EXPECT_EQ(kim.text().find('\0'), std::string::npos);
  const std::string start = ReadyId(kim.text());
  int64_t position = -1;
  ASSERT_TRUE(absl::SimpleAtoi(start, &position)) << kim.text();

  const std::string referral = Refer();
  ASSERT_TRUE(Eventually([&] {
    return kim.text().find(referral) != std::string::npos;
  })) << kim.text();
  const std::string text = kim.text();
  EXPECT_THAT(text, HasSubstr("event: inbox\n"));
  EXPECT_THAT(text, HasSubstr(R"("type":"inbox.referral_received")"));
  EXPECT_THAT(text, HasSubstr("carebridge.record.v1.InboxItem"));
  // Every event is a whole block: its lines start with a field name.
  EXPECT_EQ(text.find('\0'), std::string::npos);
  EXPECT_THAT(text, HasSubstr("\n\nid: "));

  // Resuming from where the first stream started gives the same item.
  StreamReader resumed(port_, kim_, absl::StrCat("?after=", start));
  ASSERT_TRUE(Eventually([&] {
    return resumed.text().find(referral) != std::string::npos;
  })) << resumed.text();
  EXPECT_EQ(ReadyId(resumed.text()), start);

  // Kim declines it: Sam's stream carries the answer, and never carried the
  // receiving team's item.
  grpc::ClientContext context;
  AuthorizeForTest(context, kim_);
  referral::v1::DeclineReferralRequest decline;
  decline.set_name(referral);
  decline.set_reason("Evening support nearer home would suit better.");
  decline.mutable_onward_route()->set_signposting("Safe Haven, 6pm-midnight");
  referral::v1::Referral declined;
  grpc::Status status =
      deployment_.referral_stub->DeclineReferral(&context, decline, &declined);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Eventually([&] {
    return sam.text().find("inbox.referral_answered") != std::string::npos;
  })) << sam.text();
  EXPECT_THAT(sam.text(), HasSubstr(referral));
  EXPECT_THAT(sam.text(), Not(HasSubstr("inbox.referral_received")));
}

TEST_F(HttpConsoleTest, BadStreamRequestsAreRefusedSayingWhy) {
  httplib::Result none = client_->Get("/v1/inbox:stream");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  httplib::Result bad_after =
      client_->Get("/v1/inbox:stream?after=yesterday", As(kim_));
  ASSERT_TRUE(bad_after);
  EXPECT_EQ(bad_after->status, 400);
  EXPECT_THAT(bad_after->body,
              HasSubstr("after: `yesterday` is not a position"));
  httplib::Result negative =
      client_->Get("/v1/inbox:stream?after=-1", As(kim_));
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->status, 400);
}

// At most --http_max_streams open at once (3 here); a closed one frees its
// place; stopping the server ends open streams rather than waiting on them.
TEST_F(HttpConsoleTest, StreamsAreLimitedAndEndWithTheServer) {
  std::vector<std::unique_ptr<StreamReader>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<StreamReader>(port_, kim_, ""));
  }
  for (auto& stream : open) {
    ASSERT_TRUE(Eventually([&] {
      return stream->text().find("event: ready") != std::string::npos;
    }));
  }
  httplib::Result refused = client_->Get("/v1/inbox:stream", As(kim_));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429) << refused->body;
  EXPECT_THAT(refused->body, HasSubstr("3 inbox streams open"));

  // Ordinary requests are served meanwhile.
  httplib::Result session = client_->Get("/v1/session", As(kim_));
  ASSERT_TRUE(session);
  EXPECT_EQ(session->status, 200);

  // One closes (its client goes away): the keep-alive finds it gone and
  // its place is free again.
  open[0]->Stop();
  open[0] = std::make_unique<StreamReader>(port_, kim_, "");
  ASSERT_TRUE(Eventually([&] {
    if (open[0]->text().find("event: ready") != std::string::npos) return true;
    if (open[0]->done()) {
      open[0] = std::make_unique<StreamReader>(port_, kim_, "");
    }
    return false;
  })) << open[0]->text();

  const absl::Time stopping = absl::Now();
  deployment_.Stop();
  EXPECT_LT(absl::Now() - stopping, absl::Seconds(10));
  for (size_t i = 1; i < open.size(); ++i) {
    ASSERT_TRUE(Eventually([&] { return open[i]->done(); }));
  }
}

}  // namespace
}  // namespace carebridge::server
