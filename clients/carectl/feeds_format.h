#ifndef CAREBRIDGE_CLIENTS_CARECTL_FEEDS_FORMAT_H_
#define CAREBRIDGE_CLIENTS_CARECTL_FEEDS_FORMAT_H_

#include <ostream>
#include <string>

#include "carebridge/events/v1/feed_admin.pb.h"
#include "google/protobuf/duration.pb.h"

namespace carebridge::carectl {

// How far behind: `caught up`, or `3 events, 12s behind`.
std::string FormatLag(const events::v1::Consumer& consumer);

// `carectl admin feeds`: one row per consumer (state, cursor, head, lag,
// parked), then a line for each consumer's last error and, for a reset
// producer, the epochs to compare.
void PrintConsumers(std::ostream& out,
                    const events::v1::ListConsumersResponse& response);
void PrintConsumer(std::ostream& out, const events::v1::Consumer& consumer);

// `carectl admin feeds parked`: one row per parked event, then each one's
// reason (and who resolved it, and how).
void PrintParkedEvents(std::ostream& out,
                       const events::v1::ListParkedEventsResponse& response);
void PrintParkedEvent(std::ostream& out, const events::v1::ParkedEvent& event);

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_FEEDS_FORMAT_H_
