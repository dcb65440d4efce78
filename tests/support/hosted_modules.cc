#include "tests/support/hosted_modules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "absl/time/clock.h"
#include "services/careplan/careplan_module.h"
#include "services/careplan_client/careplan_peer.h"
#include "services/handover/handover_module.h"
#include "services/record/record_module.h"
#include "services/referral/referral_module.h"
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
  absl::StatusOr<TestDatabase> database =
      TestDatabase::Create(context_.data_dir);
  if (!database.ok()) {
    ADD_FAILURE() << "the test database: " << database.status();
    std::abort();
  }
  database_ = *std::move(database);
  context_.database_url = database_->url();
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
  if (Get("directory") != nullptr) {
    revocations_ = std::make_unique<directory_client::RevocationsPeer>(
        context_.peer("directory"), &server->authenticator(),
        server->env().signer, server->env().clock);
  }
}

HostedModules::~HostedModules() { Stop(); }

void HostedModules::Start() {
  if (started_) return;
  started_ = true;
  if (revocations_ != nullptr) {
    revocations_->Start();
    if (!revocations_->AwaitCaughtUp(absl::Seconds(20))) {
      ADD_FAILURE() << "the directory's feed was not read within 20 s";
    }
  }
  for (const std::unique_ptr<ServiceModule>& module : modules_) {
    module->StartBackgroundWork(context_);
    for (EventConsumer* consumer : module->consumers()) {
      feed_admin_->Add(consumer);
    }
  }
}

void HostedModules::Stop() {
  if (revocations_ != nullptr) revocations_->Stop();
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

bool HostedModules::CarePlanChangesDelivered() {
  auto* careplan = As<careplan::CarePlanModule>("careplan");
  if (careplan == nullptr) return true;
  absl::StatusOr<FeedHead> head = careplan->event_log()->ReadHead();
  if (!head.ok()) {
    ADD_FAILURE() << "reading the care plan feed's head: " << head.status();
    return false;
  }
  std::vector<careplan_client::CarePlanPeer*> peers;
  if (auto* referral = As<referral::ReferralModule>("referral")) {
    peers.push_back(referral->careplan_peer());
  }
  if (auto* handover = As<handover::HandoverModule>("handover")) {
    peers.push_back(handover->careplan_peer());
  }
  if (auto* record = As<record::RecordModule>("record")) {
    peers.push_back(record->careplan_peer());
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  for (careplan_client::CarePlanPeer* peer : peers) {
    if (peer == nullptr) continue;
    while (peer->follower().delivered_through() < head->sequence) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  return true;
}

ServiceModule* HostedModules::Get(const std::string& service) {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == service) return modules_[i].get();
  }
  return nullptr;
}

}  // namespace carebridge::testing
