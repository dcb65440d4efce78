#ifndef CAREBRIDGE_SERVICES_COMMON_SERVICE_MODULE_H_
#define CAREBRIDGE_SERVICES_COMMON_SERVICE_MODULE_H_

#include <grpcpp/impl/codegen/service_type.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/care_gap_thresholds.h"
#include "services/common/channel_provider.h"
#include "services/common/database_opener.h"
#include "services/common/environment.h"

namespace carebridge {

class EventConsumer;
class EventLog;
class MetricSink;
class Database;

// What a hosting process gives each service it hosts, besides the
// Environment.
struct ModuleContext {
  Environment env;
  // Where the service keeps its database (`{data_dir}/{service}.db`).
  std::string data_dir;
  // `--database`: empty for SQLite files in data_dir, else a postgresql://
  // URL; each service keeps its tables in a schema named after it.
  std::string database_url;
  // A channel to another service by its short name (`directory`, ...):
  // in-process when this process hosts it, else its configured address.
  // Asked on first use.
  std::function<ChannelProvider(const std::string& service)> peer;
  // How often deadline scans run.
  absl::Duration deadline_scan_interval = absl::Seconds(30);
  // When causes become care gaps (the record service).
  CareGapThresholds care_gaps;
  // The longest staff token the directory issues (unset: its default).
  std::optional<absl::Duration> max_token_lifetime;
  // Fault-injection tests only: a pause before each consumed event is
  // applied (see ServerConfig::testing_consumer_apply_delay).
  absl::Duration testing_consumer_apply_delay = absl::ZeroDuration();
};

// Where the service named `service` (`referral`) keeps its data under
// `context`.
inline DatabaseLocation DatabaseLocationOf(const ModuleContext& context,
                                           const std::string& service) {
  return DatabaseLocation{context.data_dir + "/" + service + ".db",
                          context.database_url, service};
}

// A service as a unit a process hosts, all of one shape: opened from a
// ModuleContext, its gRPC service added to the listener, its background
// work (deadline scans, feed consumers) started once the listener is up and
// stopped before the listener goes.
class ServiceModule {
 public:
  virtual ~ServiceModule() = default;

  // The fully qualified gRPC service name, e.g.
  // `carebridge.referral.v1.ReferralService` (health checks use it).
  virtual const char* service_name() const = 0;
  virtual grpc::Service* service() = 0;
  // Once the listener is up. Once; nothing after StopBackgroundWork.
  virtual void StartBackgroundWork(const ModuleContext& context) = 0;
  // Stops what runs in the background (an event being applied or a scan
  // in progress finishes first) and ends the service's event streams.
  // Idempotent.
  virtual void StopBackgroundWork() = 0;
  // The feed consumers it runs (for FeedAdminService); empty before
  // StartBackgroundWork and after StopBackgroundWork.
  virtual std::vector<EventConsumer*> consumers() { return {}; }
  // The service's database, which keeps the audit log of calls to it when
  // audited (null when it keeps none): AuditService verifies and searches
  // it, and the process checks it answers (health NOT_SERVING while not).
  virtual Database* audit_log() { return nullptr; }
  // The feed it produces (its outbox), named after the service; null when
  // it produces none.
  virtual EventLog* event_log() { return nullptr; }
  // Writes its own figures for operators at each metrics scrape (e.g.
  // escalations raised, care gaps open); the process adds calls, feeds,
  // consumers and its executor. Called from the scraping thread.
  virtual void CollectMetrics(MetricSink& /*sink*/) {}
};

// Opens a module (its store, running migrations) from the context.
using ModuleOpener =
    std::function<absl::StatusOr<std::unique_ptr<ServiceModule>>(
        const ModuleContext& context)>;

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_SERVICE_MODULE_H_
