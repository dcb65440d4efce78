#include "clients/carectl/events_requests.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace carebridge::carectl {
namespace {

constexpr const char* kFeeds[] = {"directory", "referral", "careplan",
                                  "handover", "record"};

}  // namespace

std::vector<FlagSpec> EventsFlags() {
  return {{"feed", FlagKind::kValue, true},
          {"after", FlagKind::kValue},
          {"type", FlagKind::kRepeated},
          {"follow", FlagKind::kBool},
          {"limit", FlagKind::kValue}};
}

namespace {

// A whole number >= `min` in `flag`, or a usage error naming it.
absl::StatusOr<int64_t> NonNegative(const Flags& flags, absl::string_view flag,
                                    int64_t min, absl::string_view what) {
  std::string text = flags.Get(std::string(flag));
  int64_t value = -1;
  bool digits = !text.empty();
  for (char c : text) digits = digits && absl::ascii_isdigit(c);
  if (!digits || !absl::SimpleAtoi(text, &value) || value < min) {
    return FlagError(flag,
                     absl::StrCat("must be ", what, ", not '", text, "'"));
  }
  return value;
}

}  // namespace

absl::StatusOr<EventsCall> BuildEventsCall(const Flags& flags) {
  EventsCall call;
  std::string feed = absl::AsciiStrToLower(flags.Get("feed"));
  for (const char* known : kFeeds) {
    if (feed == known) call.feed = feed;
  }
  if (call.feed.empty()) {
    return FlagError("feed",
                     absl::StrCat("'", flags.Get("feed"), "' is not one of ",
                                  absl::StrJoin(kFeeds, ", ")));
  }
  if (flags.Has("after")) {
    absl::StatusOr<int64_t> after =
        NonNegative(flags, "after", 0, "a sequence number (0, 1, 2, ...)");
    if (!after.ok()) return after.status();
    call.request.set_after_sequence(*after);
  }
  if (flags.Has("limit")) {
    absl::StatusOr<int64_t> limit =
        NonNegative(flags, "limit", 1, "a number of events (1, 2, ...)");
    if (!limit.ok()) return limit.status();
    call.limit = *limit;
  }
  for (const std::string& value : flags.GetAll("type")) {
    std::vector<std::string> prefixes = SplitList(value);
    if (prefixes.empty()) {
      return FlagError("type",
                       "give a type or prefix (e.g. referral.accepted or "
                       "handover.)");
    }
    for (const std::string& prefix : prefixes) {
      call.request.add_type_prefixes(prefix);
    }
  }
  call.follow = flags.GetBool("follow");
  call.request.set_stop_when_caught_up(!call.follow);
  return call;
}

}  // namespace carebridge::carectl
