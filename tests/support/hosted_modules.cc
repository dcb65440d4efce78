#include "tests/support/hosted_modules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "services/server/modules.h"

namespace carebridge::testing {

HostedModules::HostedModules(TestServer* server,
                             std::vector<std::string> services,
                             const CareGapThresholds& care_gaps)
    : server_(server) {
  context_.env = server->env();
  context_.data_dir = server->DataPath("");
  if (!context_.data_dir.empty() && context_.data_dir.back() == '/') {
    context_.data_dir.pop_back();
  }
  context_.peer = [server](const std::string&) -> ChannelProvider {
    return [server] { return server->host().InProcessChannel(); };
  };
  context_.deadline_scan_interval = absl::Hours(24);
  context_.care_gaps = care_gaps;
  for (const server::HostedService& hosted : server::HostedServices()) {
    if (!services.empty() && std::find(services.begin(), services.end(),
                                       hosted.name) == services.end()) {
      continue;
    }
    absl::StatusOr<std::unique_ptr<ServiceModule>> module =
        hosted.open(context_);
    if (!module.ok()) {
      ADD_FAILURE() << "opening " << hosted.name << ": " << module.status();
      std::abort();
    }
    server->host().AddService((*module)->service(), (*module)->service_name());
    names_.push_back(hosted.name);
    modules_.push_back(*std::move(module));
  }
  absl::StatusOr<std::unique_ptr<audit::AuditModule>> audit =
      audit::AuditModule::Open(
          context_, [this] { return audit::AuditLogsOf(names_, modules_); });
  if (!audit.ok()) {
    ADD_FAILURE() << "opening audit: " << audit.status();
    std::abort();
  }
  audit_ = *std::move(audit);
  server->host().AddService(audit_->service(), audit_->service_name());
  audit::RegisterAuditLogs(modules_, *audit_, server->authenticator());
  feed_admin_ = std::make_unique<FeedAdmin>(server->env().clock);
  feed_admin_service_ = std::make_unique<FeedAdminGrpcService>(
      server->env().authenticator, server->env().executor, feed_admin_.get());
  server->host().AddService(feed_admin_service_.get(),
                            FeedAdminGrpcService::kServiceName);
}

HostedModules::~HostedModules() { Stop(); }

void HostedModules::Start() {
  if (started_) return;
  started_ = true;
  for (const std::unique_ptr<ServiceModule>& module : modules_) {
    module->StartBackgroundWork(context_);
    for (EventConsumer* consumer : module->consumers()) {
      feed_admin_->Add(consumer);
    }
  }
}

void HostedModules::Stop() {
  // As carebridge-server: modules with consumers first, then the feeds.
  for (bool consumers : {true, false}) {
    for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) {
      std::vector<EventConsumer*> running = (*it)->consumers();
      if (running.empty() == consumers) continue;
      for (EventConsumer* consumer : running) feed_admin_->Remove(consumer);
      (*it)->StopBackgroundWork();
    }
  }
}

ServiceModule* HostedModules::Get(const std::string& service) {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == service) return modules_[i].get();
  }
  return nullptr;
}

}  // namespace carebridge::testing
