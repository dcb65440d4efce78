#ifndef CAREBRIDGE_TESTS_SUPPORT_TEST_SERVER_H_
#define CAREBRIDGE_TESTS_SUPPORT_TEST_SERVER_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "services/common/authenticator.h"
#include "services/common/clock.h"
#include "services/common/environment.h"
#include "services/common/executor.h"
#include "services/common/ids.h"
#include "services/common/principal.h"
#include "services/common/server_host.h"
#include "services/common/token.h"

namespace carebridge::testing {

// An in-process server for integration tests: a fresh temporary data
// directory, a fake clock, seeded ids and a fixed signing key. Add services
// to host(), call Start(), then talk to it over a real TCP channel on
// 127.0.0.1 with a port picked by the kernel. The directory is removed on
// destruction.
class TestServer {
 public:
  TestServer();
  ~TestServer();

  const Environment& env() const { return env_; }
  FakeClock& clock() { return clock_; }
  // Set up before Start (Authenticator::SetAuditLog).
  Authenticator& authenticator() { return authenticator_; }
  // A path inside the temporary data directory.
  std::string DataPath(absl::string_view file) const;
  ServerHost& host() { return *host_; }

  // Starts serving on 127.0.0.1:0; aborts the test binary on failure.
  void Start();
  // Stops the server (calls in flight get a short grace period).
  void Stop();
  int port() const { return host_->port(); }
  // A TCP channel to the server (created once and shared).
  std::shared_ptr<grpc::Channel> Channel();

  // A signed token for `principal`; expiry defaults to a day after the fake
  // clock's now.
  std::string TokenFor(Principal principal);
  // A client context that authenticates as `principal`, with a 10 s deadline.
  std::unique_ptr<grpc::ClientContext> ContextAs(const Principal& principal);
  // A context with no credentials at all.
  std::unique_ptr<grpc::ClientContext> AnonymousContext();

  // Handy principals.
  static Principal Admin();
  // The manager of `team` (TEAM_MANAGER): who adds its clinical members and
  // issues their tokens.
  static Principal Manager(absl::string_view team);
  static Principal Member(absl::string_view member, absl::string_view team,
                          Role role = Role::kClinician);

 private:
  std::string dir_;
  FakeClock clock_;
  IdGenerator ids_;
  TokenSigner signer_;
  HmacSha256 audit_key_{std::string(32, 'a')};
  Authenticator authenticator_;
  BlockingExecutor executor_;
  Environment env_;
  std::unique_ptr<ServerHost> host_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_SUPPORT_TEST_SERVER_H_
