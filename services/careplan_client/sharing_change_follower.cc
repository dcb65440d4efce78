#include "services/careplan_client/sharing_change_follower.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/log.h"

namespace carebridge::careplan_client {

using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;

const char* const SharingChangeFollower::kTypePrefixes[4] = {
    "careplan.sharing_changed", "careplan.care_team_changed",
    "careplan.lead_changed", "careplan.content_updated"};

SharingChangeFollower::SharingChangeFollower(EventConsumer::StreamOpener open,
                                             ServiceCredentials* credentials,
                                             CachingCarePlanLookup* cache,
                                             Options options)
    : open_(std::move(open)),
      credentials_(credentials),
      cache_(cache),
      options_(options) {}

SharingChangeFollower::~SharingChangeFollower() { Stop(); }

void SharingChangeFollower::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void SharingChangeFollower::Stop() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    // The context is alive while it is published here (FollowOnce clears
    // it under mu_ before it goes out of scope).
    if (active_context_ != nullptr) active_context_->TryCancel();
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
  cache_->SetFollowing(false);
}

bool SharingChangeFollower::Pause(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay);
  return !stopping_;
}

void SharingChangeFollower::SetFollowing(bool following) {
  if (following == following_) return;
  following_ = following;
  if (!following) delivered_through_ = 0;
  cache_->SetFollowing(following);
  LogLine(following ? "careplan sharing changes: following; choices are "
                      "remembered until a change is delivered"
                    : "careplan sharing changes: not following; every read "
                      "asks the care plan service");
}

void SharingChangeFollower::Run() {
  absl::Duration backoff = options_.min_backoff;
  int64_t after = 0;
  std::string epoch;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    const bool anchoring = after == 0;
    const bool followed = FollowOnce(&after, &epoch);
    // Moving to the head it was told of: at once.
    if (anchoring && after > 0) continue;
    SetFollowing(false);
    after = 0;
    epoch.clear();
    if (followed) backoff = options_.min_backoff;
    if (!Pause(backoff)) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  SetFollowing(false);
}

bool SharingChangeFollower::FollowOnce(int64_t* after, std::string* epoch) {
  grpc::ClientContext context;
  credentials_->Apply(context);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return false;
    active_context_ = &context;
  }
  ++subscriptions_;
  SubscribeRequest request;
  request.set_after_sequence(*after);
  for (const char* prefix : kTypePrefixes) request.add_type_prefixes(prefix);
  std::unique_ptr<grpc::ClientReaderInterface<SubscribeResponse>> reader =
      open_(&context, request);
  const int64_t asked_after = *after;
  *after = 0;
  bool restart = false;
  bool followed = false;
  SubscribeResponse response;
  while (reader->Read(&response)) {
    // A first subscription learns where the feed's head is and starts
    // again there: what came before it changes nothing remembered.
    if (asked_after == 0 &&
        response.through_sequence() < response.head_sequence()) {
      // The next subscription must come from the same database.
      *epoch = response.epoch();
      *after = response.head_sequence();
      restart = true;
      break;
    }
    // A feed from another database, or one gone back below where this
    // one started: start again from its head.
    if ((!epoch->empty() && response.epoch() != *epoch) ||
        response.head_sequence() < asked_after) {
      LogLine(
          "careplan sharing changes: the feed comes from another database "
          "now; starting again at its head");
      restart = true;
      break;
    }
    *epoch = response.epoch();
    for (const events::v1::Event& event : response.events()) {
      cache_->Invalidate(event.person());
    }
    if (response.through_sequence() >= response.head_sequence()) {
      SetFollowing(true);
      followed = true;
    }
    if (following_) delivered_through_ = response.through_sequence();
  }
  if (restart) {
    context.TryCancel();
    while (reader->Read(&response)) {
    }
  }
  grpc::Status finished = reader->Finish();
  {
    absl::MutexLock lock(&mu_);
    active_context_ = nullptr;
    if (stopping_) return followed;
  }
  if (!restart) {
    LogLine(absl::StrCat("careplan sharing changes: the feed ended (",
                         finished.error_message(), "); subscribing again"));
  }
  return followed;
}

}  // namespace carebridge::careplan_client
