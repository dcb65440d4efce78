// EventConsumer among replicas of the consuming service: taking the
// consumer's lock, noticing it lost, and standing by (watching the feed
// without applying it, to tell how far behind the follower is).

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/event_consumer.h"
#include "services/common/status.h"
#include "services/common/time_util.h"

namespace carebridge {

using events::v1::Event;
using events::v1::SubscribeResponse;

void EventConsumer::WatchLock() {
  while (true) {
    bool watching = false;
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                               options_.standby_retry)) {
        return;
      }
      // Only a subscription or a watch needs ending; the lock is checked
      // outside mu_ (it may ask the database).
      watching = standby_context_ != nullptr;
      if (!watching && active_context_ == nullptr) continue;
    }
    if (watching) {
      // Standing by: once the follower lets the lock go, this replica takes
      // it and ends its watch, and Run follows from the shared cursor.
      absl::StatusOr<bool> claimed = role_.Claim();
      if (claimed.ok() && *claimed) {
        absl::MutexLock lock(&mu_);
        standby_ending_ = true;
        // The context is alive while it is published here.
        if (standby_context_ != nullptr) standby_context_->TryCancel();
        continue;
      }
      absl::StatusOr<ConsumerPosition> position =
          ledger_->Position(options_.feed);
      if (!position.ok()) continue;
      absl::MutexLock lock(&mu_);
      if (position->sequence >= standby_from_) continue;
      // A reset by the follower took the cursor back below what the watch
      // noted: the events between were never delivered to it, so it cannot
      // tell which the follower applies again. It ends, and Run watches
      // again from the cursor.
      standby_live_ = false;
      standby_ending_ = true;
      if (standby_context_ != nullptr) standby_context_->TryCancel();
      continue;
    }
    if (role_.Held()) continue;
    absl::MutexLock lock(&mu_);
    // The context is alive while it is published here.
    if (active_context_ != nullptr) active_context_->TryCancel();
  }
}

bool EventConsumer::ClaimFollowing(int64_t generation) {
  absl::StatusOr<bool> claimed = role_.Claim();
  if (claimed.ok() && *claimed) {
    bool was_standing_by = false;
    {
      absl::MutexLock lock(&mu_);
      was_standing_by = phase_ == ConsumerState::Phase::kStandingBy;
    }
    if (was_standing_by) {
      // Until its subscription answers, this replica's lag is what its
      // watch said of the follower's, from the shared cursor.
      absl::StatusOr<ConsumerPosition> position =
          ledger_->Position(options_.feed);
      absl::MutexLock lock(&mu_);
      if (phase_ == ConsumerState::Phase::kStandingBy) {
        oldest_pending_time_ = absl::InfinitePast();
        considered_through_ =
            position.ok()
                ? StandbyConsidered(position->sequence, &oldest_pending_time_)
                : 0;
        phase_ = ConsumerState::Phase::kConnecting;
      }
    }
    if (standing_by_logged_) {
      Log("took over following the feed (no other replica holds it now)");
      standing_by_logged_ = false;
    }
    return true;
  }
  if (!claimed.ok()) {
    NoteProblem(absl::Status(claimed.status().code(),
                             absl::StrCat("taking the consumer's lock: ",
                                          claimed.status().message())),
                ConsumerState::Phase::kRetrying);
    Pause(options_.standby_retry, generation);
    return false;
  }
  {
    absl::MutexLock lock(&mu_);
    if (phase_ != ConsumerState::Phase::kStopped) {
      // What this replica saw while it followed says nothing of the
      // follower (whose reset may have taken the cursor back below what
      // this one considered): nothing is live until the watch answers, and
      // an error from then is no problem of a standby's.
      if (phase_ != ConsumerState::Phase::kStandingBy) {
        standby_live_ = false;
        standby_pending_.clear();
        standby_from_ = 0;
        standby_through_ = 0;
        considered_through_ = 0;
        oldest_pending_time_ = absl::InfinitePast();
        last_error_.clear();
      }
      phase_ = ConsumerState::Phase::kStandingBy;
    }
  }
  if (!standing_by_logged_) {
    Log(
        absl::StrCat("standing by: another replica follows the feed (it "
                     "holds the lock ",
                     role_.name(), "); watching the feed to tell its lag"));
    standing_by_logged_ = true;
  }
  WatchWhileStandingBy(generation);
  return false;
}

void EventConsumer::NoteStandbyProblem(const absl::Status& status) {
  const std::string text = absl::StrCat(
      "standing by; cannot tell how far the replica that follows is: ",
      status.ToString());
  {
    absl::MutexLock lock(&mu_);
    standby_live_ = false;
    last_error_ = text;
    last_error_time_ = clock_->Now();
  }
  if (text == last_logged_) return;
  last_logged_ = text;
  Log(text);
}

bool EventConsumer::PauseWatching(int64_t generation) {
  struct Waiting {
    const EventConsumer* consumer;
    int64_t generation;
  };
  Waiting waiting{this, generation};
  bool (*ending)(Waiting*) = [](Waiting* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return w->consumer->stopping_ ||
           w->consumer->generation_ != w->generation ||
           w->consumer->standby_ending_;
  };
  absl::MutexLock lock(&mu_);
  return !mu_.AwaitWithTimeout(absl::Condition(ending, &waiting),
                               options_.standby_retry);
}

bool EventConsumer::WaitForFollower(int64_t generation, size_t max_noted) {
  while (true) {
    absl::StatusOr<ConsumerPosition> position =
        ledger_->Position(options_.feed);
    if (position.ok()) {
      absl::MutexLock lock(&mu_);
      if (position->sequence >= standby_from_) {
        while (!standby_pending_.empty() &&
               standby_pending_.front().first <= position->sequence) {
          standby_pending_.pop_front();
        }
        standby_from_ = position->sequence;
      }
      if (standby_pending_.size() < max_noted) return true;
    }
    // The follower is far behind: the producer holds one response for this
    // watch meanwhile, and the view says the follower is behind.
    if (!PauseWatching(generation)) return false;
  }
}

int64_t EventConsumer::StandbyConsidered(int64_t cursor,
                                         absl::Time* oldest_pending) const {
  if (cursor < standby_from_) {
    // The events between the cursor and what was noted are not known: all
    // count as still to apply.
    *oldest_pending = standby_pending_.empty()
                          ? absl::InfinitePast()
                          : standby_pending_.front().second;
    return cursor;
  }
  // The oldest event noted above the cursor is the first the follower has
  // still to apply (those between are of types it does not follow:
  // considered); with none, it has applied all the watch delivered.
  auto pending = std::upper_bound(
      standby_pending_.begin(), standby_pending_.end(), cursor,
      [](int64_t sequence, const std::pair<int64_t, absl::Time>& event) {
        return sequence < event.first;
      });
  if (pending == standby_pending_.end()) {
    *oldest_pending = absl::InfinitePast();
    return std::max(cursor, standby_through_);
  }
  *oldest_pending = pending->second;
  return pending->first - 1;
}

void EventConsumer::WatchWhileStandingBy(int64_t generation) {
  absl::StatusOr<ConsumerPosition> position = ledger_->Position(options_.feed);
  if (!position.ok()) {
    NoteStandbyProblem(absl::Status(
        position.status().code(),
        absl::StrCat("loading the cursor: ", position.status().message())));
    Pause(options_.standby_retry, generation);
    return;
  }
  grpc::ClientContext context;
  if (credentials_ != nullptr) credentials_->Apply(context);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || generation_ != generation) return;
    // Stop and WatchLock cancel it from here on.
    standby_context_ = &context;
    standby_ending_ = false;
    // What was noted does not reach down to the cursor (a reset took it
    // back): it tells nothing now. Otherwise it stands until this watch
    // answers (a replica taking over meanwhile starts from it).
    if (position->sequence < standby_from_) {
      standby_live_ = false;
      standby_pending_.clear();
      standby_from_ = position->sequence;
      standby_through_ = position->sequence;
    }
  }
  std::unique_ptr<grpc::ClientReaderInterface<SubscribeResponse>> reader =
      open_(&context, SubscribeAfter(position->sequence));

  const size_t max_noted = std::max<size_t>(1, options_.standby_max_noted);
  absl::Status failed;
  // Left before the stream ended: stopped, failed, or ended by WatchLock.
  bool left = false;
  bool answered = false;
  SubscribeResponse response;
  while (reader->Read(&response)) {
    // The follower would stop at a producer that was reset (CheckProducer);
    // so does what this replica tells of it.
    if ((!position->epoch.empty() && !response.epoch().empty() &&
         response.epoch() != position->epoch) ||
        response.head_sequence() < position->sequence) {
      failed = absl::FailedPreconditionError(absl::StrCat(
          "the ", options_.feed, " feed (epoch ", response.epoch(), ", head ",
          response.head_sequence(), ") is not the one the cursor ",
          position->sequence, " of epoch ", position->epoch,
          " belongs to; see the replica that follows"));
      left = true;
      break;
    }
    size_t noted = 0;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || generation_ != generation || standby_ending_) {
        left = true;
        break;
      }
      // A new watch delivers again what is above the cursor now.
      if (!answered) {
        standby_pending_.clear();
        standby_from_ = position->sequence;
      }
      answered = true;
      head_sequence_ = response.head_sequence();
      producer_epoch_ = response.epoch();
      head_time_ = response.has_head_time()
                       ? FromProtoTimestamp(response.head_time())
                       : absl::InfinitePast();
      for (const Event& event : response.events()) {
        standby_pending_.emplace_back(event.sequence(),
                                      FromProtoTimestamp(event.time()));
      }
      standby_through_ = response.through_sequence();
      standby_live_ = true;
      last_error_.clear();
      noted = standby_pending_.size();
    }
    if (noted >= max_noted && !WaitForFollower(generation, max_noted)) {
      left = true;
      break;
    }
  }
  if (left) {
    context.TryCancel();
    while (reader->Read(&response)) {
    }
  }
  grpc::Status finished = reader->Finish();
  bool ended = false;
  {
    absl::MutexLock lock(&mu_);
    standby_context_ = nullptr;
    if (stopping_ || generation_ != generation) return;
    ended = standby_ending_;
  }
  // WatchLock took the lock (Run follows at once) or saw the cursor go back
  // (Run watches again from it).
  if (failed.ok() && (ended || role_.Held())) return;
  if (failed.ok()) {
    failed = finished.ok() ? absl::UnavailableError("the feed ended the stream")
                           : FromGrpcStatus(finished);
  }
  NoteStandbyProblem(failed);
  Pause(options_.standby_retry, generation);
}

}  // namespace carebridge
