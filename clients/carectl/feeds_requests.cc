#include "clients/carectl/feeds_requests.h"

#include <cstdint>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/macros.h"

namespace carebridge::carectl {
namespace {

constexpr char kConsumers[] = "consumers/";
constexpr char kParked[] = "/parkedEvents/";

}  // namespace

std::string ConsumerName(absl::string_view name) {
  if (name.empty() || absl::StartsWith(name, kConsumers)) {
    return std::string(name);
  }
  return absl::StrCat(kConsumers, name);
}

absl::StatusOr<std::string> ParkedEventName(absl::string_view name) {
  std::vector<absl::string_view> full =
      absl::StrSplit(name, absl::MaxSplits(kParked, 1));
  int64_t id = 0;
  if (full.size() == 2 && absl::SimpleAtoi(full[1], &id)) {
    return absl::StrCat(ConsumerName(full[0]), kParked, id);
  }
  std::vector<absl::string_view> short_form =
      absl::StrSplit(name, absl::MaxSplits('/', 1));
  if (short_form.size() == 2 && !short_form[0].empty() &&
      absl::SimpleAtoi(short_form[1], &id) && id > 0) {
    return absl::StrCat(kConsumers, short_form[0], kParked, id);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "NAME: '", name,
      "' is not a parked event (CONSUMER/ID, e.g. careplan.referral/42, "
      "as `carectl admin feeds parked` lists them)"));
}

absl::StatusOr<events::v1::ListParkedEventsRequest> BuildListParkedRequest(
    const Flags& flags) {
  events::v1::ListParkedEventsRequest request;
  request.set_parent(flags.Has("consumer") ? ConsumerName(flags.Get("consumer"))
                                           : "consumers/-");
  request.set_include_resolved(flags.GetBool("all"));
  ASSIGN_OR_RETURN(int page_size, flags.GetPositiveInt("page_size"));
  request.set_page_size(page_size);
  request.set_page_token(flags.Get("page_token"));
  return request;
}

absl::StatusOr<events::v1::DismissParkedEventRequest> BuildDismissRequest(
    absl::string_view name, const Flags& flags) {
  events::v1::DismissParkedEventRequest request;
  ASSIGN_OR_RETURN(*request.mutable_name(), ParkedEventName(name));
  if (flags.Get("reason").empty()) {
    return FlagError("reason",
                     "say why the event needs no effect (what was done "
                     "instead); it is kept with the event");
  }
  request.set_reason(flags.Get("reason"));
  return request;
}

absl::StatusOr<events::v1::ResetConsumerRequest> BuildResetRequest(
    absl::string_view consumer, const Flags& flags) {
  events::v1::ResetConsumerRequest request;
  request.set_name(ConsumerName(consumer));
  int64_t after = 0;
  if (!flags.Has("after") || !absl::SimpleAtoi(flags.Get("after"), &after) ||
      after < 0) {
    return FlagError("after",
                     "give the sequence of the producer's feed to resume "
                     "after (0 for its start)");
  }
  request.set_after_sequence(after);
  if (flags.Get("epoch").empty()) {
    return FlagError("epoch",
                     "give the producer's epoch, as `carectl admin feeds` "
                     "shows it (PRODUCER EPOCH)");
  }
  request.set_epoch(flags.Get("epoch"));
  return request;
}

}  // namespace carebridge::carectl
