#include "services/directory/directory_module.h"

#include <utility>

#include "services/common/macros.h"
#include "services/directory/directory_domain.h"
#include "services/directory/directory_grpc.h"
#include "services/directory/record_care_relationships.h"
#include "services/directory/sqlite_directory_store.h"

namespace carebridge::directory {

absl::StatusOr<std::unique_ptr<DirectoryModule>> DirectoryModule::Open(
    const Environment& env, const std::string& sqlite_path,
    std::unique_ptr<CareRelationships> relationships,
    std::optional<absl::Duration> max_token_ttl) {
  return Open(env,
              DatabaseLocation{sqlite_path, /*postgresql_url=*/"", "directory"},
              std::move(relationships), max_token_ttl);
}

absl::StatusOr<std::unique_ptr<DirectoryModule>> DirectoryModule::Open(
    const Environment& env, const DatabaseLocation& location,
    std::unique_ptr<CareRelationships> relationships,
    std::optional<absl::Duration> max_token_ttl) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDirectoryStore> store,
                   SqliteDirectoryStore::Open(location, env.audit_key));
  Database* audit_log = store->db();
  auto module = std::unique_ptr<DirectoryModule>(new DirectoryModule(
      std::move(store), std::move(relationships), env, max_token_ttl));
  module->audit_log_ = audit_log;
  return module;
}

DirectoryModule::DirectoryModule(
    std::unique_ptr<DirectoryStore> store,
    std::unique_ptr<CareRelationships> relationships, const Environment& env,
    std::optional<absl::Duration> max_token_ttl)
    : store_(std::move(store)),
      relationships_(std::move(relationships)),
      domain_(std::make_unique<DirectoryDomain>(
          env.clock, env.ids, env.signer, store_.get(), relationships_.get(),
          max_token_ttl.value_or(DirectoryDomain::kDefaultMaxTokenTtl))),
      service_(std::make_unique<DirectoryGrpcService>(
          env.authenticator, env.executor, domain_.get(),
          store_->event_log())) {}

DirectoryModule::~DirectoryModule() { StopBackgroundWork(); }

absl::StatusOr<std::unique_ptr<ServiceModule>> DirectoryModule::OpenModule(
    const ModuleContext& context) {
  return Open(
      context.env, DatabaseLocationOf(context, "directory"),
      std::make_unique<RecordCareRelationships>(
          context.peer("record"), context.env.signer, context.env.clock),
      context.max_token_lifetime);
}

grpc::Service* DirectoryModule::service() { return service_.get(); }

EventLog* DirectoryModule::event_log() { return store_->event_log(); }

void DirectoryModule::StopBackgroundWork() {
  if (stopped_.exchange(true)) return;
  event_log()->Shutdown();
}

}  // namespace carebridge::directory
