#ifndef CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_MODULE_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_MODULE_H_

#include <grpcpp/impl/service_type.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/environment.h"
#include "services/common/event_log.h"
#include "services/common/service_module.h"
#include "services/directory/care_relationships.h"

namespace carebridge::directory {

class DirectoryStore;
class DirectoryDomain;
class DirectoryGrpcService;

// Owns the directory's store, domain and gRPC service. The server binary
// (and integration tests) open one and host service(). This class is
// thread-safe.
class DirectoryModule : public ServiceModule {
 public:
  static constexpr char kServiceName[] =
      "carebridge.directory.v1.DirectoryService";

  // Opens (creating and migrating if needed) the directory database at
  // `location` (an SQLite file or a PostgreSQL schema). `env`'s pointees
  // must outlive the module. `relationships` (null: none known) says which
  // teams have a care relationship with a person (GetPerson). IssueToken
  // issues tokens of at most `max_token_ttl` (default
  // DirectoryDomain::kDefaultMaxTokenTtl).
  static absl::StatusOr<std::unique_ptr<DirectoryModule>> Open(
      const Environment& env, const DatabaseLocation& location,
      std::unique_ptr<CareRelationships> relationships = nullptr,
      std::optional<absl::Duration> max_token_ttl = std::nullopt);
  // The same for the SQLite file at `sqlite_path`.
  static absl::StatusOr<std::unique_ptr<DirectoryModule>> Open(
      const Environment& env, const std::string& sqlite_path,
      std::unique_ptr<CareRelationships> relationships = nullptr,
      std::optional<absl::Duration> max_token_ttl = std::nullopt);
  // Open at DatabaseLocationOf(context, "directory") (`--database`, else
  // `{data_dir}/directory.db`), asking the record service (its peer
  // `record`) about care relationships.
  static absl::StatusOr<std::unique_ptr<ServiceModule>> OpenModule(
      const ModuleContext& context);
  // Stops background work first (StopBackgroundWork()).
  ~DirectoryModule() override;

  const char* service_name() const override { return kServiceName; }
  grpc::Service* service() override;
  Database* audit_log() override { return audit_log_; }
  // Nothing runs in the background.
  void StartBackgroundWork(const ModuleContext&) override {}
  // The `directory` feed (what Subscribe serves).
  EventLog* event_log() override;
  // Shuts the event log down, so Subscribe streams end (UNAVAILABLE, resume
  // later) instead of holding up the server's shutdown. Call before
  // stopping the server. Idempotent.
  void StopBackgroundWork() override;

 private:
  DirectoryModule(std::unique_ptr<DirectoryStore> store,
                  std::unique_ptr<CareRelationships> relationships,
                  const Environment& env,
                  std::optional<absl::Duration> max_token_ttl);

  // Only Open() knows which store and engine.
  std::unique_ptr<DirectoryStore> store_;
  std::unique_ptr<CareRelationships> relationships_;
  // store_'s database, which keeps the audit log.
  Database* audit_log_ = nullptr;
  std::unique_ptr<DirectoryDomain> domain_;
  std::unique_ptr<DirectoryGrpcService> service_;
  std::atomic<bool> stopped_{false};
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_MODULE_H_
