#include "services/common/feed_admin.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/errors.h"
#include "services/common/macros.h"
#include "services/common/page_token.h"
#include "services/common/policy.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"

namespace carebridge {
namespace {

using events::v1::Consumer;
using events::v1::ListConsumersResponse;
using events::v1::ListParkedEventsRequest;
using events::v1::ListParkedEventsResponse;

constexpr char kConsumersPrefix[] = "consumers/";
constexpr char kParkedInfix[] = "/parkedEvents/";
constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr size_t kMaxDismissReasonChars = 500;

Consumer::State StateOf(ConsumerState::Phase phase) {
  switch (phase) {
    case ConsumerState::Phase::kConnecting:
      return Consumer::CONNECTING;
    case ConsumerState::Phase::kFollowing:
      return Consumer::FOLLOWING;
    case ConsumerState::Phase::kRetrying:
      return Consumer::RETRYING;
    case ConsumerState::Phase::kProducerReset:
      return Consumer::PRODUCER_RESET;
    case ConsumerState::Phase::kStopped:
      return Consumer::STOPPED;
    case ConsumerState::Phase::kStandingBy:
      return Consumer::STANDING_BY;
  }
  return Consumer::STATE_UNSPECIFIED;
}

events::v1::ParkedEvent::State StateOf(ParkedState state) {
  switch (state) {
    case ParkedState::kParked:
      return events::v1::ParkedEvent::PARKED;
    case ParkedState::kApplied:
      return events::v1::ParkedEvent::APPLIED;
    case ParkedState::kDismissed:
      return events::v1::ParkedEvent::DISMISSED;
  }
  return events::v1::ParkedEvent::STATE_UNSPECIFIED;
}

void SetTime(absl::Time time, google::protobuf::Timestamp* out) {
  if (time != absl::InfinitePast()) *out = ToProtoTimestamp(time);
}

events::v1::ParkedEvent ParkedProto(const std::string& consumer,
                                    const ParkedEvent& parked) {
  events::v1::ParkedEvent out;
  out.set_name(
      absl::StrCat(kConsumersPrefix, consumer, kParkedInfix, parked.id));
  out.set_epoch(parked.epoch);
  *out.mutable_event() = parked.event;
  // Admins see metadata, never clinical content.
  out.mutable_event()->clear_payload();
  out.set_reason(parked.reason);
  out.set_attempts(parked.attempts);
  SetTime(parked.park_time, out.mutable_park_time());
  out.set_state(StateOf(parked.state));
  out.set_resolved_by(parked.resolved_by);
  SetTime(parked.resolve_time, out.mutable_resolve_time());
  out.set_resolution(parked.resolution);
  return out;
}

}  // namespace

void FeedAdmin::Add(EventConsumer* consumer) {
  absl::MutexLock lock(&mu_);
  consumers_.push_back(consumer);
  std::sort(
      consumers_.begin(), consumers_.end(),
      [](EventConsumer* a, EventConsumer* b) { return a->name() < b->name(); });
}

void FeedAdmin::Remove(EventConsumer* consumer) {
  absl::MutexLock lock(&mu_);
  consumers_.erase(std::remove(consumers_.begin(), consumers_.end(), consumer),
                   consumers_.end());
}

absl::StatusOr<EventConsumer*> FeedAdmin::Find(absl::string_view field,
                                               absl::string_view name) {
  if (name.empty()) return errors::MustBeSet(field);
  absl::string_view id = name;
  if (!absl::ConsumePrefix(&id, kConsumersPrefix) || id.empty()) {
    return errors::BadResourceName(field, name, "consumers/{service}.{feed}");
  }
  for (EventConsumer* consumer : consumers_) {
    if (consumer->name() == id) return consumer;
  }
  return errors::NotFound(name);
}

absl::StatusOr<std::pair<EventConsumer*, int64_t>> FeedAdmin::FindParked(
    absl::string_view name) {
  constexpr char kPattern[] = "consumers/{service}.{feed}/parkedEvents/{id}";
  if (name.empty()) return errors::MustBeSet("name");
  std::vector<absl::string_view> parts =
      absl::StrSplit(name, absl::MaxSplits(kParkedInfix, 1));
  int64_t id = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &id) || id < 1) {
    return errors::BadResourceName("name", name, kPattern);
  }
  ASSIGN_OR_RETURN(EventConsumer * consumer, Find("name", parts[0]));
  return std::make_pair(consumer, id);
}

absl::StatusOr<Consumer> FeedAdmin::Describe(EventConsumer* consumer) {
  ASSIGN_OR_RETURN(ConsumerState state, consumer->State());
  Consumer out;
  out.set_name(absl::StrCat(kConsumersPrefix, consumer->name()));
  out.set_service(consumer->options().consumer);
  out.set_feed(consumer->options().feed);
  out.set_state(StateOf(state.phase));
  out.set_cursor(state.cursor);
  out.set_epoch(state.epoch);
  out.set_producer_epoch(state.producer_epoch);
  out.set_head_sequence(state.head_sequence);
  SetTime(state.head_time, out.mutable_head_time());
  out.set_lag_events(state.lag_events);
  *out.mutable_lag() = ToProtoDuration(state.lag);
  out.set_lag_current(state.live);
  out.set_last_error(state.last_error);
  SetTime(state.last_error_time, out.mutable_last_error_time());
  out.set_parked_count(state.parked_count);
  SetTime(state.connected_since, out.mutable_connected_since());
  SetTime(state.last_applied_time, out.mutable_last_applied_time());
  return out;
}

absl::StatusOr<events::v1::ParkedEvent> FeedAdmin::ReadParked(
    EventConsumer* consumer, int64_t id) {
  ASSIGN_OR_RETURN(ParkedEvent parked,
                   consumer->ledger()->GetParked(consumer->options().feed, id));
  return ParkedProto(consumer->name(), parked);
}

absl::StatusOr<ListConsumersResponse> FeedAdmin::ListConsumers(
    const Principal& caller) {
  RETURN_IF_ERROR(policy::RequireAdmin(caller, "ListConsumers"));
  absl::ReaderMutexLock lock(&mu_);
  ListConsumersResponse response;
  for (EventConsumer* consumer : consumers_) {
    ASSIGN_OR_RETURN(*response.add_consumers(), Describe(consumer));
  }
  return response;
}

void FeedAdmin::CollectMetrics(MetricSink& sink) {
  absl::ReaderMutexLock lock(&mu_);
  for (EventConsumer* consumer : consumers_) {
    absl::StatusOr<ConsumerState> state = consumer->State();
    if (!state.ok()) continue;
    const MetricLabels labels = {{"consumer", consumer->name()},
                                 {"feed", consumer->options().feed}};
    sink.Gauge("carebridge_consumer_cursor_sequence",
               "The last event of the feed the consumer applied (or parked).",
               labels, static_cast<double>(state->cursor));
    sink.Gauge("carebridge_consumer_head_sequence",
               "The feed's head as the consumer last saw it.", labels,
               static_cast<double>(state->head_sequence));
    sink.Gauge("carebridge_consumer_lag_events",
               "Events of the feed the consumer has not considered yet.",
               labels, static_cast<double>(state->lag_events));
    sink.Gauge("carebridge_consumer_lag_seconds",
               "Age of the oldest event the consumer has not applied yet (0 "
               "when caught up).",
               labels, absl::ToDoubleSeconds(state->lag));
    sink.Gauge("carebridge_consumer_parked_events",
               "Events the consumer parked (they wait for an administrator).",
               labels, static_cast<double>(state->parked_count));
    sink.Gauge("carebridge_consumer_following",
               "1 while the consumer follows its feed; 0 while it connects, "
               "retries, stands by for another replica, is stopped or waits "
               "for a reset after the producer was reset.",
               labels,
               state->phase == ConsumerState::Phase::kFollowing ? 1 : 0);
    sink.Gauge("carebridge_consumer_lag_current",
               "1 while the consumer's head and lag figures are current (it "
               "follows, or stands by with a watch of the feed that "
               "answers); 0 while they are as last seen.",
               labels, state->live ? 1 : 0);
    sink.Gauge("carebridge_consumer_standing_by",
               "1 while another replica of the consuming service follows "
               "the feed and this one stands by to take over.",
               labels,
               state->phase == ConsumerState::Phase::kStandingBy ? 1 : 0);
  }
}

absl::StatusOr<ListParkedEventsResponse> FeedAdmin::ListParkedEvents(
    const Principal& caller, const ListParkedEventsRequest& request) {
  RETURN_IF_ERROR(policy::RequireAdmin(caller, "ListParkedEvents"));
  if (request.page_size() < 0 || request.page_size() > kMaxPageSize) {
    return errors::Invalid("page_size",
                           absl::StrCat("must be 0..", kMaxPageSize));
  }
  const int page_size =
      request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  absl::ReaderMutexLock lock(&mu_);
  std::vector<EventConsumer*> consumers;
  if (request.parent() == "consumers/-") {
    consumers = consumers_;
  } else {
    ASSIGN_OR_RETURN(EventConsumer * consumer,
                     Find("parent", request.parent()));
    consumers.push_back(consumer);
  }
  const std::string filters =
      absl::StrCat(request.parent(), "|", request.include_resolved());
  ASSIGN_OR_RETURN(std::vector<std::string> cursor,
                   DecodePageToken(request.page_token(), filters));
  std::string after_consumer;
  int64_t after_id = 0;
  if (!cursor.empty()) {
    if (cursor.size() != 2 || !absl::SimpleAtoi(cursor[1], &after_id)) {
      return errors::BadPageToken();
    }
    after_consumer = cursor[0];
  }
  ListParkedEventsResponse response;
  for (EventConsumer* consumer : consumers) {
    if (consumer->name() < after_consumer) continue;
    const int64_t after = consumer->name() == after_consumer ? after_id : 0;
    const int room = page_size + 1 - response.parked_events_size();
    ASSIGN_OR_RETURN(std::vector<ParkedEvent> parked,
                     consumer->ledger()->ListParked(
                         consumer->options().feed, request.include_resolved(),
                         consumer->options().feed, after, room));
    for (const ParkedEvent& event : parked) {
      *response.add_parked_events() = ParkedProto(consumer->name(), event);
    }
    if (response.parked_events_size() > page_size) break;
  }
  if (response.parked_events_size() > page_size) {
    response.mutable_parked_events()->RemoveLast();
    const events::v1::ParkedEvent& last =
        response.parked_events(response.parked_events_size() - 1);
    std::vector<std::string> parts =
        absl::StrSplit(last.name(), absl::MaxSplits(kParkedInfix, 1));
    absl::string_view consumer_name = parts[0];
    absl::ConsumePrefix(&consumer_name, kConsumersPrefix);
    response.set_next_page_token(
        EncodePageToken(filters, {std::string(consumer_name), parts[1]}));
  }
  return response;
}

absl::StatusOr<events::v1::ParkedEvent> FeedAdmin::RetryParkedEvent(
    const Principal& caller,
    const events::v1::RetryParkedEventRequest& request) {
  RETURN_IF_ERROR(policy::RequireAdmin(caller, "RetryParkedEvent"));
  absl::ReaderMutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto found, FindParked(request.name()));
  RETURN_IF_ERROR(found.first->RetryParked(found.second, caller.subject));
  return ReadParked(found.first, found.second);
}

absl::StatusOr<events::v1::ParkedEvent> FeedAdmin::DismissParkedEvent(
    const Principal& caller,
    const events::v1::DismissParkedEventRequest& request) {
  RETURN_IF_ERROR(policy::RequireAdmin(caller, "DismissParkedEvent"));
  absl::ReaderMutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto found, FindParked(request.name()));
  RETURN_IF_ERROR(
      CheckRequiredText("reason", request.reason(), kMaxDismissReasonChars));
  EventConsumer* consumer = found.first;
  RETURN_IF_ERROR(consumer->ledger()->Dismiss(consumer->options().feed,
                                              found.second, caller.subject,
                                              request.reason(), clock_->Now()));
  return ReadParked(consumer, found.second);
}

absl::StatusOr<Consumer> FeedAdmin::ResetConsumer(
    const Principal& caller, const events::v1::ResetConsumerRequest& request) {
  RETURN_IF_ERROR(policy::RequireAdmin(caller, "ResetConsumer"));
  absl::ReaderMutexLock lock(&mu_);
  ASSIGN_OR_RETURN(EventConsumer * consumer, Find("name", request.name()));
  if (request.after_sequence() < 0) {
    return errors::Invalid("after_sequence", "must not be negative");
  }
  if (request.epoch().empty()) return errors::MustBeSet("epoch");
  if (request.epoch().size() > 64) return errors::TooLong("epoch", 64);
  RETURN_IF_ERROR(consumer->Reset(request.after_sequence(), request.epoch()));
  return Describe(consumer);
}

}  // namespace carebridge
