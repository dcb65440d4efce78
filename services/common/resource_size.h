#ifndef CAREBRIDGE_SERVICES_COMMON_RESOURCE_SIZE_H_
#define CAREBRIDGE_SERVICES_COMMON_RESOURCE_SIZE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace carebridge {

// The most a resource a write stores may take serialized (a care plan
// version, a referral, a handover): its event, the resource with an
// envelope, then fits within kMaxEventBytes (event_log.h), so every feed
// can deliver it. Resources within their per-field limits in plain text
// stay well below it; text made of many multi-byte characters in every
// field can reach it.
inline constexpr size_t kMaxResourceBytes = 768 * 1024;

// The most a page of a list (a mailbox of referrals or handovers, the
// accesses to a person's record) holds of its items, serialized: the page
// ends before the one that would take it past this, with a
// next_page_token, though page_size asks for more (it holds at least one).
// So a page at the largest page_size of items with every text at its
// longest fits, with what the service adds to each, the 4 MB a default
// gRPC client accepts.
inline constexpr size_t kMaxListPageBytes = 2 * 1024 * 1024;

// What one list page has taken of kMaxListPageBytes: every list ends its
// page by this one rule.
class ListPageBudget {
 public:
  // Whether an item of `size` bytes (serialized) goes on the page, counting
  // it when it does: the first always does, any other while the page stays
  // within kMaxListPageBytes.
  bool Takes(size_t size) {
    if (taken_ > 0 && bytes_ + size > kMaxListPageBytes) return false;
    bytes_ += size;
    ++taken_;
    return true;
  }

 private:
  size_t bytes_ = 0;
  size_t taken_ = 0;
};

// INVALID_ARGUMENT when `resource` serializes to more than `max_bytes`,
// naming its largest field as `{prefix}.{field}`: `care_plan.actions: the
// care_plan would be 800000 bytes, more than the 786432 one version may
// hold; this field is the largest (500000 bytes): shorten it`. OK otherwise.
absl::Status CheckSerializedSize(const google::protobuf::Message& resource,
                                 absl::string_view prefix,
                                 size_t max_bytes = kMaxResourceBytes);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_RESOURCE_SIZE_H_
