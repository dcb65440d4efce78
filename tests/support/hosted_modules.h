#ifndef CAREBRIDGE_TESTS_SUPPORT_HOSTED_MODULES_H_
#define CAREBRIDGE_TESTS_SUPPORT_HOSTED_MODULES_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/audit/audit_module.h"
#include "services/common/feed_admin.h"
#include "services/common/feed_admin_grpc.h"
#include "services/common/service_module.h"
#include "services/directory_client/revocations_peer.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace carebridge::testing {

// Services hosted on a TestServer the way carebridge-server hosts them (the
// same table, services/server/modules.cc): open each, add it to the server
// before it starts, start the background work after, stop it before the
// server goes. Peers are the server's in-process channel. Deadline scans
// run only when a test asks (a day's interval). The modules outlive the
// server's calls only if the server is stopped (TestServer::Stop) before
// this is destroyed: a fixture declaring this after its TestServer stops
// both in TearDown.
class HostedModules {
 public:
  // Opens `services` (every known one when empty) on `server`, which has not
  // started yet; aborts the test on failure. FeedAdminService and
  // AuditService are hosted too.
  // `care_gaps`: the record's thresholds (carebridge-server --gap_*).
  explicit HostedModules(TestServer* server,
                         std::vector<std::string> services = {},
                         const CareGapThresholds& care_gaps = {});
  // Stops the background work.
  ~HostedModules();

  // Starts the background work (after server->Start()); with the directory
  // hosted, also the process's token revocations (RevocationsPeer), as
  // carebridge-server does, and waits until they are known.
  void Start();
  // Stops it (before the server stops). Idempotent.
  void Stop();

  // Waits until every hosted service that remembers sharing choices
  // (referral, handover, record: CarePlanPeer) follows the care plan feed
  // and has been delivered every care plan change committed so far; false
  // after 20 seconds. A change of choices, care team or lead holds in those
  // services from its delivery: a test that makes one and then reads
  // through them waits for it, as the services themselves would.
  bool CarePlanChangesDelivered();

  // A hosted module by short name (`record`); null when not hosted.
  ServiceModule* Get(const std::string& service);
  template <typename Module>
  Module* As(const std::string& service) {
    return dynamic_cast<Module*>(Get(service));
  }
  const ModuleContext& context() const { return context_; }
  // Null unless the directory is hosted.
  directory_client::RevocationsPeer* revocations() {
    return revocations_.get();
  }

 private:
  TestServer* const server_;
  // Where the services keep their data: SQLite files in the server's
  // directory, or (CAREBRIDGE_TEST_DATABASE=postgresql) a database of their
  // own on the test cluster, each service in its schema.
  std::optional<TestDatabase> database_;
  ModuleContext context_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<ServiceModule>> modules_;
  std::unique_ptr<FeedAdmin> feed_admin_;
  std::unique_ptr<FeedAdminGrpcService> feed_admin_service_;
  std::unique_ptr<audit::AuditModule> audit_;
  std::unique_ptr<directory_client::RevocationsPeer> revocations_;
  bool started_ = false;
};

}  // namespace carebridge::testing

#endif  // CAREBRIDGE_TESTS_SUPPORT_HOSTED_MODULES_H_
