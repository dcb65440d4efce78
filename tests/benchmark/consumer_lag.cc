#include "tests/benchmark/consumer_lag.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/benchmark/fixture.h"

namespace carebridge::bench {

ConsumerLag::ConsumerLag(const std::shared_ptr<grpc::Channel>& channel,
                         std::string admin_token)
    : admin_(events::v1::FeedAdminService::NewStub(channel)),
      admin_token_(std::move(admin_token)) {}

std::string ConsumerLag::Describe() const {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  AddBearer(context, admin_token_);
  events::v1::ListConsumersResponse response;
  const grpc::Status status = admin_->ListConsumers(
      &context, events::v1::ListConsumersRequest(), &response);
  if (!status.ok()) {
    return absl::StrCat("its consumers could not be read: ",
                        status.error_message());
  }
  std::vector<std::string> parts;
  for (const events::v1::Consumer& consumer : response.consumers()) {
    const std::string name = consumer.name().substr(consumer.name().find('/') +
                                                    1);  // consumers/{name}
    const char* when = consumer.lag_current() ? "" : " (as last seen)";
    if (consumer.state() == events::v1::Consumer::PRODUCER_RESET) {
      parts.push_back(absl::StrCat(name, " stopped: its producer was reset"));
    } else if (consumer.state() == events::v1::Consumer::CONNECTING &&
               !consumer.lag_current()) {
      parts.push_back(absl::StrCat(name, " not connected yet"));
    } else if (consumer.lag_events() == 0) {
      parts.push_back(absl::StrCat(name, " caught up", when));
    } else {
      parts.push_back(absl::StrCat(
          name, " ", consumer.lag_events(),
          consumer.lag_events() == 1 ? " event" : " events", " behind", when));
    }
  }
  if (parts.empty()) return "this server runs no consumers";
  return absl::StrJoin(parts, "; ");
}

void ConsumerLag::Note(const std::string& rpc) {
  noted_.push_back(absl::StrCat(rpc, ": when it ended, ", Describe()));
}

void ConsumerLag::Print() const {
  for (const std::string& line : noted_) absl::PrintF("%s\n", line);
}

}  // namespace carebridge::bench
