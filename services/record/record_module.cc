#include "services/record/record_module.h"

#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/time/clock.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "carebridge/handover/v1/handover.grpc.pb.h"
#include "carebridge/referral/v1/referral.grpc.pb.h"
#include "services/careplan_client/careplan_peer.h"
#include "services/common/exclusive_role.h"
#include "services/common/feed_opener.h"
#include "services/common/macros.h"
#include "services/common/metrics.h"
#include "services/common/time_util.h"
#include "services/directory_client/caching_directory_lookup.h"
#include "services/directory_client/grpc_directory_lookup.h"
#include "services/record/record_domain.h"
#include "services/record/record_grpc.h"
#include "services/record/sqlite_record_store.h"

namespace carebridge::record {
namespace {

EventConsumer::StreamOpener OpenerFor(const std::string& feed,
                                      ChannelProvider provider) {
  if (feed == "directory") {
    return OpenFeedOf<directory::v1::DirectoryService>(std::move(provider));
  }
  if (feed == "referral") {
    return OpenFeedOf<referral::v1::ReferralService>(std::move(provider));
  }
  if (feed == "careplan") {
    return OpenFeedOf<careplan::v1::CarePlanService>(std::move(provider));
  }
  return OpenFeedOf<handover::v1::HandoverService>(std::move(provider));
}

}  // namespace

RecordModule::RecordModule() = default;
RecordModule::~RecordModule() { StopBackgroundWork(); }

absl::StatusOr<std::unique_ptr<RecordModule>> RecordModule::Open(
    const Environment& env, const std::string& sqlite_path,
    const CareGapThresholds& care_gaps, ChannelProvider directory,
    ChannelProvider careplan) {
  DatabaseLocation location;
  location.sqlite_path = sqlite_path;
  location.schema = "record";
  return Open(env, location, care_gaps, std::move(directory),
              std::move(careplan));
}

absl::StatusOr<std::unique_ptr<RecordModule>> RecordModule::Open(
    const Environment& env, const DatabaseLocation& location,
    const CareGapThresholds& care_gaps, ChannelProvider directory,
    ChannelProvider careplan) {
  std::unique_ptr<RecordModule> module(new RecordModule());
  module->clock_ = env.clock;
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteRecordStore> sqlite,
                   SqliteRecordStore::Open(location, care_gaps, env.audit_key));
  module->event_log_ = sqlite->event_log();
  module->audit_log_ = sqlite->db();
  module->store_ = std::move(sqlite);
  module->credentials_ = std::make_unique<ServiceCredentials>(
      "services/record", env.signer, env.clock);
  if (directory != nullptr && careplan != nullptr) {
    module->directory_ =
        std::make_unique<directory_client::CachingDirectoryLookup>(
            std::make_unique<directory_client::GrpcDirectoryLookup>(
                "services/record", std::move(directory), env.signer, env.clock),
            env.clock);
    module->careplan_ = std::make_unique<careplan_client::CarePlanPeer>(
        std::move(careplan), module->credentials_.get(), env.clock);
  }
  RecordModule* self = module.get();
  module->domain_ = std::make_unique<RecordDomain>(
      env.clock, module->store_.get(), [self] { return self->Freshness(); },
      module->careplan_ == nullptr ? nullptr : module->careplan_->lookup(),
      module->directory_.get());
  module->service_ = std::make_unique<RecordGrpcService>(
      env.authenticator, env.executor, module->domain_.get(),
      module->event_log_, module->store_->timeline_changes());
  return module;
}

absl::StatusOr<std::unique_ptr<ServiceModule>> RecordModule::OpenModule(
    const ModuleContext& context) {
  return Open(context.env, DatabaseLocationOf(context, "record"),
              context.care_gaps, context.peer("directory"),
              context.peer("careplan"));
}

grpc::Service* RecordModule::service() { return service_.get(); }

void RecordModule::StartBackgroundWork(const ModuleContext& context) {
  StartConsumers(context.peer, context.testing_consumer_apply_delay);
  absl::MutexLock lock(&mu_);
  if (sweep_ != nullptr || stopped_) return;
  // One replica sweeps at a time (the others try on their next turn).
  auto sweeper =
      std::make_shared<ExclusiveRole>(audit_log_, "record.gap_sweep");
  sweep_ = std::make_unique<PeriodicTask>(
      "record gap sweep", context.deadline_scan_interval,
      [this, sweeper]() -> absl::Status {
        absl::StatusOr<bool> mine = sweeper->Claim();
        if (!mine.ok()) return mine.status();
        if (!*mine) return absl::OkStatus();
        return AnnounceDueGaps().status();
      });
  sweep_->Start();
}

void RecordModule::CollectMetrics(MetricSink& sink) {
  absl::StatusOr<std::vector<std::pair<v1::GapKind, int64_t>>> open =
      store_->CountOpenGaps(clock_->Now());
  if (!open.ok()) return;  // a scrape without them, not a made-up zero
  absl::flat_hash_map<int, int64_t> by_kind;
  for (const auto& [kind, count] : *open) by_kind[kind] = count;
  const google::protobuf::EnumDescriptor* kinds = v1::GapKind_descriptor();
  for (int i = 0; i < kinds->value_count(); ++i) {
    const int kind = kinds->value(i)->number();
    if (kind == v1::GAP_KIND_UNSPECIFIED) continue;
    auto it = by_kind.find(kind);
    sink.Gauge("carebridge_care_gaps_open",
               "Care gaps open now (persons who may be falling between "
               "services), by kind.",
               {{"kind", kinds->value(i)->name()}},
               it == by_kind.end() ? 0 : it->second);
  }
}

absl::StatusOr<int> RecordModule::AnnounceDueGaps() {
  return domain_->AnnounceDueGaps();
}

void RecordModule::StartConsumers(
    std::function<ChannelProvider(const std::string&)> peer,
    absl::Duration apply_delay) {
  absl::MutexLock lock(&mu_);
  if (started_ || stopped_) return;
  started_ = true;
  for (const char* feed : kFeeds) {
    EventConsumer::Options options;
    options.consumer = "record";
    options.feed = feed;
    options.type_prefixes = FollowedTypes(feed);
    // Replicas on one PostgreSQL follow each feed one at a time.
    options.coordination = audit_log_;
    EventConsumer::ApplyBatch batch =
        [domain = domain_.get()](
            absl::Span<const events::v1::Event* const> events,
            const std::string& feed) {
          return domain->ApplyEvents(events, feed);
        };
    // Fault injection slows each event and wants progress event by event
    // (a kill lands part-way through a backlog): no batches then.
    if (apply_delay > absl::ZeroDuration()) batch = nullptr;
    consumers_.push_back(std::make_shared<EventConsumer>(
        std::move(options), credentials_.get(), clock_, store_->ledger(),
        OpenerFor(feed, peer(feed)),
        [domain = domain_.get(), apply_delay](const events::v1::Event& event,
                                              const FeedPosition& position) {
          if (apply_delay > absl::ZeroDuration()) absl::SleepFor(apply_delay);
          return domain->ApplyEvent(event, position);
        },
        std::move(batch)));
  }
  for (const std::shared_ptr<EventConsumer>& consumer : consumers_) {
    consumer->Start();
  }
  if (careplan_ != nullptr) careplan_->StartFollowing();
}

void RecordModule::StopBackgroundWork() {
  std::unique_ptr<PeriodicTask> sweep;
  {
    absl::MutexLock lock(&mu_);
    sweep = std::move(sweep_);
  }
  // Outside the lock: Stop waits for a sweep in progress.
  if (sweep != nullptr) sweep->Stop();
  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  stopped_ = true;
  for (const std::shared_ptr<EventConsumer>& consumer : consumers_) {
    consumer->Stop();
  }
  consumers_.clear();
  if (careplan_ != nullptr) careplan_->StopFollowing();
  // The inbox and timeline streams end (UNAVAILABLE, resume later).
  if (event_log_ != nullptr) event_log_->Shutdown();
  if (store_ != nullptr) store_->timeline_changes()->Shutdown();
}

std::vector<EventConsumer*> RecordModule::consumers() {
  absl::MutexLock lock(&mu_);
  std::vector<EventConsumer*> result;
  for (const std::shared_ptr<EventConsumer>& consumer : consumers_) {
    result.push_back(consumer.get());
  }
  return result;
}

v1::Freshness RecordModule::Freshness() {
  std::vector<std::shared_ptr<EventConsumer>> consumers;
  {
    absl::MutexLock lock(&mu_);
    consumers = consumers_;
  }
  v1::Freshness freshness;
  bool caught_up = !consumers.empty();
  for (const std::shared_ptr<EventConsumer>& consumer : consumers) {
    v1::Freshness::Feed& feed = *freshness.add_feeds();
    feed.set_feed(consumer->options().feed);
    absl::StatusOr<ConsumerState> state = consumer->State();
    if (!state.ok()) {
      feed.set_problem(state.status().ToString());
      caught_up = false;
      continue;
    }
    // On a replica standing by the cursor, head and lag are those of the
    // replica that follows, which writes the record both serve.
    feed.set_applied_through(state->cursor);
    feed.set_head_sequence(state->head_sequence);
    *feed.mutable_lag() = ToProtoDuration(state->lag);
    if (!state->live) {
      feed.set_problem(
          !state->last_error.empty() ? state->last_error
          : state->phase == ConsumerState::Phase::kStandingBy
              ? std::string("standing by; the feed has not answered yet")
              : std::string("not connected yet"));
    }
    if (!state->live || state->lag_events > 0) caught_up = false;
  }
  freshness.set_caught_up(caught_up);
  return freshness;
}

}  // namespace carebridge::record
