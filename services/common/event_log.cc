#include "services/common/event_log.h"

#include <utility>

#include "services/common/time_util.h"

namespace carebridge {

events::v1::Event MakeEvent(absl::string_view type, absl::string_view subject,
                            absl::string_view person,
                            std::vector<std::string> teams,
                            absl::string_view actor, absl::Time time,
                            const google::protobuf::Message& payload) {
  events::v1::Event event;
  event.set_type(std::string(type));
  event.set_subject(std::string(subject));
  event.set_person(std::string(person));
  for (std::string& team : teams) event.add_teams(std::move(team));
  event.set_actor(std::string(actor));
  *event.mutable_time() = ToProtoTimestamp(time);
  event.mutable_payload()->PackFrom(payload);
  return event;
}

absl::StatusOr<int64_t> EventLog::Head() {
  absl::StatusOr<FeedHead> head = ReadHead();
  if (!head.ok()) return head.status();
  return head->sequence;
}

EventLog::ListenerId EventLog::AddListener(std::function<void()> on_commit) {
  absl::MutexLock lock(&mu_);
  ListenerId id = next_id_++;
  listeners_.emplace(id, std::move(on_commit));
  return id;
}

void EventLog::RemoveListener(ListenerId id) {
  // Listeners run with mu_ held, so once we hold it none is running.
  absl::MutexLock lock(&mu_);
  listeners_.erase(id);
}

void EventLog::NotifyCommitted() {
  absl::MutexLock lock(&mu_);
  for (auto& [id, listener] : listeners_) listener();
}

void EventLog::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  for (auto& [id, listener] : listeners_) listener();
}

bool EventLog::shutting_down() const {
  absl::MutexLock lock(&mu_);
  return shutting_down_;
}

}  // namespace carebridge
