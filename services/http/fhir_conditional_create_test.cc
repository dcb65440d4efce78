// FHIR's conditional create (POST ServiceRequest with If-None-Exist) against
// the real referral service: a referral made under the create's key that
// its identifier search cannot find (made before identifiers were kept, or
// by a concurrent create with a different body) is the match, 200, never
// ALREADY_EXISTS (409). Both engines (CAREBRIDGE_TEST_DATABASE).

#include <gmock/gmock.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/fingerprint.h"
#include "services/http/fhir_front.h"
#include "tests/referral/referral_test_fixture.h"

namespace carebridge::http {
namespace {

namespace ref = ::carebridge::referral::v1;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kIdentifier[] = "https://ehr.example/orders|42";

// Holds each thread's second call through the bridge (a conditional
// create's CreateReferral, after its ListReferrals) until `parties` threads
// have made their first, so concurrent creates all search before any
// creates: the race the create's key settles.
class SearchesFirst {
 public:
  explicit SearchesFirst(int parties) : to_search_(parties) {}

  void BeforeCall() {
    absl::MutexLock lock(&mu_);
    if (++calls_[std::this_thread::get_id()] != 2) return;
    --to_search_;
    mu_.AwaitWithTimeout(absl::Condition(this, &SearchesFirst::AllSearched),
                         absl::Seconds(10));
  }

 private:
  bool AllSearched() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return to_search_ <= 0;
  }

  absl::Mutex mu_;
  int to_search_ ABSL_GUARDED_BY(mu_);
  std::map<std::thread::id, int> calls_ ABSL_GUARDED_BY(mu_);
};

// A referral service whose every GetReferral fails with `answer` (its
// other methods are unimplemented): the service the referral a key names
// is read from, down or refusing.
class FailingGets final : public ref::ReferralService::Service {
 public:
  explicit FailingGets(grpc::Status answer) : answer_(std::move(answer)) {
    grpc::ServerBuilder builder;
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~FailingGets() override { server_->Shutdown(); }

  grpc::Status GetReferral(grpc::ServerContext*, const ref::GetReferralRequest*,
                           ref::Referral*) override {
    return answer_;
  }

  std::shared_ptr<grpc::Channel> Channel() {
    return server_->InProcessChannel(grpc::ChannelArguments());
  }

 private:
  const grpc::Status answer_;
  std::unique_ptr<grpc::Server> server_;
};

class FhirConditionalCreateTest : public referral::ReferralTest {
 protected:
  void SetUp() override {
    ReferralTest::SetUp();
    bridge_.emplace(
        [this](const google::protobuf::ServiceDescriptor&) {
          if (searches_first_ != nullptr) searches_first_->BeforeCall();
          // A conditional create calls ListReferrals, CreateReferral, then
          // GetReferral of the referral its key names.
          if (failing_gets_ != nullptr && ++calls_ % 3 == 0) {
            return failing_gets_->Channel();
          }
          return server_.Channel();
        },
        &server_.authenticator());
    front_.emplace(&*bridge_);
  }

  // A ServiceRequest from alice's team referring the person to the crisis
  // team for `reason`, without identifiers (If-None-Exist gives it one).
  std::string ServiceRequest(const std::string& reason) const {
    return fhir::Json{
        {"resourceType", "ServiceRequest"},
        {"intent", "order"},
        {"priority", "urgent"},
        {"subject",
         {{"reference", absl::StrCat("Patient/", fhir::IdOf(person_))}}},
        {"performer",
         {{{"reference",
            absl::StrCat("HealthcareService/", fhir::IdOf(crisis_.name()))}}}},
        {"reasonCode", {{{"text", reason}}}}}
        .dump();
  }

  // POST ServiceRequest as alice, conditional on kIdentifier unless
  // `request_id` is given instead.
  HttpReply Post(const std::string& body, const std::string& request_id = "") {
    FhirWrite write;
    write.content_type = "application/fhir+json";
    write.request_id = request_id;
    if (request_id.empty()) {
      write.if_none_exist = absl::StrCat("identifier=", kIdentifier);
    }
    CallHeaders headers;
    headers.authorization = absl::StrCat("Bearer ", server_.TokenFor(alice_));
    return front_->Create("ServiceRequest", body, write,
                          "https://carebridge.test/fhir", headers);
  }

  // The key a conditional create on kIdentifier stores its referral under.
  static std::string KeyOfIdentifier() {
    absl::StatusOr<std::string> digest = Sha256Hex(kIdentifier);
    EXPECT_TRUE(digest.ok()) << digest.status();
    return absl::StrCat("fhir-", digest->substr(0, 40));
  }

  static std::string IdIn(const HttpReply& reply) {
    fhir::Json resource = fhir::Json::parse(reply.body, nullptr,
                                            /*allow_exceptions=*/false);
    return resource.is_object() && resource.contains("id") &&
                   resource["id"].is_string()
               ? resource["id"].get<std::string>()
               : "";
  }

  static std::string LocationOf(const HttpReply& reply) {
    for (const auto& [name, value] : reply.headers) {
      if (name == "Location") return value;
    }
    return "";
  }

  std::unique_ptr<SearchesFirst> searches_first_;
  // Set: each third call through the bridge goes to it.
  std::unique_ptr<FailingGets> failing_gets_;
  std::atomic<int> calls_{0};
  std::optional<RpcBridge> bridge_;
  std::optional<FhirFront> front_;
};

// A referral made under the key before identifiers were kept carries none:
// the search finds nothing, and the create under the key is refused; that
// referral is the match.
TEST_F(FhirConditionalCreateTest, AMatchByItsKeyAloneAnswers200) {
  ref::CreateReferralRequest before = CreateRequest(crisis_.name());
  before.set_request_id(KeyOfIdentifier());
  ref::Referral made;
  ASSERT_TRUE(Call(&Stub::CreateReferral, alice_, before, &made).ok());
  ASSERT_THAT(made.identifiers(), ::testing::IsEmpty());

  const HttpReply reply = Post(ServiceRequest("Distress rising this week."));
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(IdIn(reply), fhir::IdOf(made.name())) << reply.body;
  EXPECT_THAT(LocationOf(reply),
              HasSubstr(absl::StrCat("/ServiceRequest/",
                                     fhir::IdOf(made.name()), "/_history/")));
  EXPECT_THAT(ListAll(alice_, Mailbox(ref::SENT_BY_TEAM)), SizeIs(1));
}

// The match made under the key cannot be read for a reason that passes
// (the referral service down, slow, failing): the client is told that
// error (503: retry later), not 409 (its request_id reused), which would
// have it give up or make the referral again under another identifier.
// One it may not read, or that is not there, is still refused 409.
TEST_F(FhirConditionalCreateTest, AMatchThatCannotBeReadNowIsNotAConflict) {
  ref::CreateReferralRequest before = CreateRequest(crisis_.name());
  before.set_request_id(KeyOfIdentifier());
  ref::Referral made;
  ASSERT_TRUE(Call(&Stub::CreateReferral, alice_, before, &made).ok());

  const std::pair<grpc::StatusCode, int> answers[] = {
      {grpc::StatusCode::UNAVAILABLE, 503},
      {grpc::StatusCode::DEADLINE_EXCEEDED, 504},
      {grpc::StatusCode::INTERNAL, 500},
      {grpc::StatusCode::PERMISSION_DENIED, 409},
      {grpc::StatusCode::NOT_FOUND, 409}};
  for (const auto& [code, http_status] : answers) {
    SCOPED_TRACE(code);
    failing_gets_ = std::make_unique<FailingGets>(
        grpc::Status(code, "the referral service says no"));
    calls_ = 0;
    const HttpReply reply = Post(ServiceRequest("Distress rising."));
    EXPECT_EQ(calls_, 3);
    EXPECT_EQ(reply.status, http_status) << reply.body;
    EXPECT_EQ(fhir::Json::parse(reply.body)["resourceType"],
              "OperationOutcome");
    if (http_status != 409) {
      EXPECT_THAT(reply.body, HasSubstr(made.name()));
      EXPECT_THAT(reply.body, HasSubstr("the referral service says no"));
    }
  }
  failing_gets_.reset();
  EXPECT_THAT(ListAll(alice_, Mailbox(ref::SENT_BY_TEAM)), SizeIs(1));
  // Once it can be read, it is the match.
  const HttpReply reply = Post(ServiceRequest("Distress rising."));
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(IdIn(reply), fhir::IdOf(made.name())) << reply.body;
}

// Two creates with one If-None-Exist and different bodies, both searching
// before either creates: one makes the referral (201), the other is
// answered with it (200), never 409.
TEST_F(FhirConditionalCreateTest, ConcurrentCreatesBothAnswerTheOneReferral) {
  searches_first_ = std::make_unique<SearchesFirst>(2);
  std::vector<HttpReply> replies(2);
  std::vector<std::thread> creates;
  for (int i = 0; i < 2; ++i) {
    creates.emplace_back([&, i] {
      replies[i] = Post(ServiceRequest(absl::StrCat("Attempt ", i, ".")));
    });
  }
  for (std::thread& create : creates) create.join();
  searches_first_.reset();

  std::vector<int> statuses;
  for (const HttpReply& reply : replies) {
    EXPECT_TRUE(reply.status == 200 || reply.status == 201) << reply.body;
    statuses.push_back(reply.status);
  }
  EXPECT_THAT(statuses, ::testing::UnorderedElementsAre(200, 201));
  EXPECT_NE(IdIn(replies[0]), "");
  EXPECT_EQ(IdIn(replies[0]), IdIn(replies[1]));
  EXPECT_THAT(ListAll(alice_, Mailbox(ref::SENT_BY_TEAM)), SizeIs(1));
}

// Without If-None-Exist an X-Request-ID used for another referral is still
// refused: only a conditional create promises the match.
TEST_F(FhirConditionalCreateTest, APlainCreateReusingItsRequestIdIsRefused) {
  ASSERT_EQ(Post(ServiceRequest("First."), "ehr-7").status, 201);
  const HttpReply reused = Post(ServiceRequest("Another."), "ehr-7");
  EXPECT_EQ(reused.status, 409) << reused.body;
  EXPECT_THAT(reused.body, HasSubstr("ehr-7"));
  EXPECT_THAT(ListAll(alice_, Mailbox(ref::SENT_BY_TEAM)), SizeIs(1));
}

}  // namespace
}  // namespace carebridge::http
