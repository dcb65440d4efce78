#include "services/common/peer_call.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/channel_provider.h"

namespace carebridge {
namespace {

namespace health = ::grpc::health::v1;

// A peer that answers every health check SERVING, after `delay`.
class ServingPeer final : public health::Health::Service {
 public:
  explicit ServingPeer(std::chrono::milliseconds delay) : delay_(delay) {}

 private:
  grpc::Status Check(grpc::ServerContext*, const health::HealthCheckRequest*,
                     health::HealthCheckResponse* response) override {
    std::this_thread::sleep_for(delay_);
    response->set_status(health::HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
  const std::chrono::milliseconds delay_;
};

// A server with a peer on `port` (0: any) that answers at once, or after
// 600 ms when `slow` (a peer just back and busy opening its database).
std::unique_ptr<grpc::Server> StartServer(int port, int* bound,
                                          bool slow = false) {
  static ServingPeer* const fast =
      new ServingPeer(std::chrono::milliseconds(0));
  static ServingPeer* const busy =
      new ServingPeer(std::chrono::milliseconds(600));
  ServingPeer* const peer = slow ? busy : fast;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port),
                           grpc::InsecureServerCredentials(), bound);
  builder.RegisterService(peer);
  return builder.BuildAndStart();
}

class PeerCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartServer(0, &port_);
    ASSERT_NE(server_, nullptr);
    grpc::ChannelArguments args = PeerChannelArguments();
    // The channel waits the longest backoff after its first failed connect,
    // so a peer back within it is still refused by a plain call.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                kPeerMaxReconnectBackoffMs);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kPeerMaxReconnectBackoffMs);
    channel_ =
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port_),
                                  grpc::InsecureChannelCredentials(), args);
    stub_ = health::Health::NewStub(channel_);
    peer_.channel = channel_;
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  static void Prepare(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
  }

  grpc::Status PlainCheck() {
    grpc::ClientContext context;
    Prepare(context);
    health::HealthCheckResponse response;
    return stub_->Check(&context, health::HealthCheckRequest(), &response);
  }

  grpc::Status PeerCheck() {
    health::HealthCheckResponse response;
    return CallPeer(peer_, Prepare, [&](grpc::ClientContext* context) {
      return stub_->Check(context, health::HealthCheckRequest(), &response);
    });
  }

  // Stops the peer and lets the channel fail to reach it, so that the
  // channel is waiting out its reconnect backoff.
  void StopPeerAndFailOnce() {
    server_->Shutdown();
    server_.reset();
    grpc::Status refused = PlainCheck();
    ASSERT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE)
        << refused.error_message();
  }

  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<health::Health::Stub> stub_;
  PeerChannel peer_;
};

TEST_F(PeerCallTest, ReachesAPeerThatCameBackWhileTheChannelBacksOff) {
  ASSERT_TRUE(PeerCheck().ok());
  StopPeerAndFailOnce();

  int bound = 0;
  server_ = StartServer(port_, &bound);
  ASSERT_EQ(bound, port_);

  // The control: the peer is back, but a plain call still fails at once.
  grpc::Status plain = PlainCheck();
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::UNAVAILABLE);

  grpc::Status status = PeerCheck();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// The wait is for the connection only: a peer back but slow to answer
// (longer than kPeerConnectWait) is answered within the call's deadline.
TEST_F(PeerCallTest, APeerBackButSlowToAnswerIsWaitedForToTheDeadline) {
  StopPeerAndFailOnce();
  int bound = 0;
  server_ = StartServer(port_, &bound, /*slow=*/true);
  ASSERT_EQ(bound, port_);

  grpc::Status status = PeerCheck();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// A caller with something else to do when the peer is down (a handover is
// accepted while the care plan service is away) is not kept waiting.
TEST_F(PeerCallTest, APeerStillDownFailsAtOnceWithTheConnectError) {
  StopPeerAndFailOnce();

  for (int i = 0; i < 3; ++i) {
    auto started = std::chrono::steady_clock::now();
    grpc::Status status = PeerCheck();
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_NE(status.error_message().find("connect"), std::string::npos)
        << status.error_message();
    // The first waits (at most kPeerConnectWait) and finds the peer down;
    // the next ones, soon after, do not wait.
    EXPECT_LT(took, i == 0 ? kPeerConnectWait + std::chrono::milliseconds(500)
                           : std::chrono::milliseconds(100))
        << "call " << i;
  }
}

// A peer found down moments ago that is back by the next call is reached:
// a handover created just after the care plan service restarted was refused
// because the call before had found it down.
TEST_F(PeerCallTest, APeerFoundDownMomentsAgoThatIsBackIsReached) {
  StopPeerAndFailOnce();
  grpc::Status down = PeerCheck();
  ASSERT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE);

  int bound = 0;
  server_ = StartServer(port_, &bound);
  ASSERT_EQ(bound, port_);
  grpc::Status status = PeerCheck();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(PeerCallTest, OtherFailuresAreNotRepeated) {
  StopPeerAndFailOnce();
  int attempts = 0;
  grpc::Status status = CallPeer(peer_, Prepare, [&](grpc::ClientContext*) {
    ++attempts;
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such team");
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(attempts, 1);
}

// UNAVAILABLE from a peer that was reached (its own database is down) is
// its answer: asking again at once would not change it.
TEST_F(PeerCallTest, UnavailableFromAReachedPeerIsNotRepeated) {
  ASSERT_TRUE(PeerCheck().ok());
  int attempts = 0;
  grpc::Status status = CallPeer(peer_, Prepare, [&](grpc::ClientContext*) {
    ++attempts;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "database down");
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(attempts, 1);
}

}  // namespace
}  // namespace carebridge
