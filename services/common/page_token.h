#ifndef CAREBRIDGE_SERVICES_COMMON_PAGE_TOKEN_H_
#define CAREBRIDGE_SERVICES_COMMON_PAGE_TOKEN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace carebridge {

// Opaque, URL-safe page tokens (AIP-158). A token carries the keyset cursor
// (the sort key of the last item returned) and a fingerprint of the request's
// filters, so a token reused with other filters is rejected with
// INVALID_ARGUMENT rather than silently returning the wrong page.
std::string EncodePageToken(absl::string_view filter_fingerprint,
                            const std::vector<std::string>& cursor);

// Returns the cursor, or INVALID_ARGUMENT naming `page_token`. An empty
// token is the first page and yields an empty cursor.
absl::StatusOr<std::vector<std::string>> DecodePageToken(
    absl::string_view token, absl::string_view filter_fingerprint);

// The resume point of a listing ordered oldest first by (create time,
// insertion sequence): the referral and handover mailboxes.
struct CreateOrderCursor {
  int64_t create_time_us = 0;
  int64_t sequence = 0;
};

// A page token resuming after `cursor`.
std::string EncodeCreateOrderPageToken(absl::string_view filter_fingerprint,
                                       const CreateOrderCursor& cursor);

// The cursor a token carries; nullopt for an empty token (the first page).
// INVALID_ARGUMENT naming `page_token` when it is not one of ours or was
// issued for other filters.
absl::StatusOr<std::optional<CreateOrderCursor>> DecodeCreateOrderPageToken(
    absl::string_view token, absl::string_view filter_fingerprint);

// The resume point of a listing ordered newest first by a number that runs
// 1, 2, ... (versions, access numbers): the token carries the last number
// returned, and the next page starts below it. 0 for an empty token (the
// first page); INVALID_ARGUMENT naming `page_token` when the token is not
// one of ours, was issued for other filters, or names no number >= 2 (a
// page ending at 1 has nothing after it).
absl::StatusOr<int64_t> DecodeBelowNumberPageToken(
    absl::string_view token, absl::string_view filter_fingerprint);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_PAGE_TOKEN_H_
