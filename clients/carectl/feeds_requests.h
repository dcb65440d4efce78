#ifndef CAREBRIDGE_CLIENTS_CARECTL_FEEDS_REQUESTS_H_
#define CAREBRIDGE_CLIENTS_CARECTL_FEEDS_REQUESTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/events/v1/feed_admin.pb.h"
#include "clients/carectl/args.h"

namespace carebridge::carectl {

// `careplan.referral` or `consumers/careplan.referral`, as the API names it.
std::string ConsumerName(absl::string_view name);
// `careplan.referral/42` or the full
// `consumers/careplan.referral/parkedEvents/42`, as the API names it;
// INVALID_ARGUMENT for anything else.
absl::StatusOr<std::string> ParkedEventName(absl::string_view name);

// `admin feeds parked [--consumer=C] [--all] [--page_size=N]
// [--page_token=T]`: every consumer's when --consumer is not given; --all
// includes events already applied or dismissed.
absl::StatusOr<events::v1::ListParkedEventsRequest> BuildListParkedRequest(
    const Flags& flags);
// `admin feeds dismiss NAME --reason=TEXT`.
absl::StatusOr<events::v1::DismissParkedEventRequest> BuildDismissRequest(
    absl::string_view name, const Flags& flags);
// `admin feeds reset CONSUMER --after=N --epoch=E`.
absl::StatusOr<events::v1::ResetConsumerRequest> BuildResetRequest(
    absl::string_view consumer, const Flags& flags);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_FEEDS_REQUESTS_H_
