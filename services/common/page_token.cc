#include "services/common/page_token.h"

#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"

namespace carebridge {
namespace {
constexpr char kSeparator = '\x1f';

std::string Fingerprint(absl::string_view filter) {
  // Stable across processes: FNV-1a, not absl::Hash (which is per-process
  // seeded).
  uint64_t h = 1469598103934665603ull;
  for (char c : filter) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return absl::StrCat(absl::Hex(h));
}
}  // namespace

std::string EncodePageToken(absl::string_view filter_fingerprint,
                            const std::vector<std::string>& cursor) {
  std::string raw = absl::StrCat("1", std::string(1, kSeparator),
                                 Fingerprint(filter_fingerprint));
  // Each part is escaped so that any byte, the separator included, survives.
  for (const std::string& part : cursor) {
    absl::StrAppend(&raw, std::string(1, kSeparator),
                    absl::WebSafeBase64Escape(part));
  }
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::vector<std::string>> DecodePageToken(
    absl::string_view token, absl::string_view filter_fingerprint) {
  if (token.empty()) return std::vector<std::string>{};
  std::string raw;
  if (token.size() > 2048 || !absl::WebSafeBase64Unescape(token, &raw)) {
    return errors::BadPageToken();
  }
  std::vector<std::string> parts = absl::StrSplit(raw, kSeparator);
  if (parts.size() < 2 || parts[0] != "1" ||
      parts[1] != Fingerprint(filter_fingerprint)) {
    return errors::BadPageToken();
  }
  std::vector<std::string> cursor(parts.size() - 2);
  for (size_t i = 2; i < parts.size(); ++i) {
    if (!absl::WebSafeBase64Unescape(parts[i], &cursor[i - 2])) {
      return errors::BadPageToken();
    }
  }
  return cursor;
}

std::string EncodeCreateOrderPageToken(absl::string_view filter_fingerprint,
                                       const CreateOrderCursor& cursor) {
  return EncodePageToken(
      filter_fingerprint,
      {absl::StrCat(cursor.create_time_us), absl::StrCat(cursor.sequence)});
}

absl::StatusOr<std::optional<CreateOrderCursor>> DecodeCreateOrderPageToken(
    absl::string_view token, absl::string_view filter_fingerprint) {
  absl::StatusOr<std::vector<std::string>> parts =
      DecodePageToken(token, filter_fingerprint);
  if (!parts.ok()) return parts.status();
  if (parts->empty()) return std::optional<CreateOrderCursor>();
  CreateOrderCursor cursor;
  if (parts->size() != 2 ||
      !absl::SimpleAtoi((*parts)[0], &cursor.create_time_us) ||
      !absl::SimpleAtoi((*parts)[1], &cursor.sequence)) {
    return errors::BadPageToken();
  }
  return std::optional<CreateOrderCursor>(cursor);
}

absl::StatusOr<int64_t> DecodeBelowNumberPageToken(
    absl::string_view token, absl::string_view filter_fingerprint) {
  absl::StatusOr<std::vector<std::string>> parts =
      DecodePageToken(token, filter_fingerprint);
  if (!parts.ok()) return parts.status();
  if (parts->empty()) return 0;
  int64_t below = 0;
  if (parts->size() != 1 || !absl::SimpleAtoi((*parts)[0], &below) ||
      below < 2) {
    return errors::BadPageToken();
  }
  return below;
}

}  // namespace carebridge
