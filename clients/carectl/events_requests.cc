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
                                  "handover"};

absl::Status FlagError(absl::string_view flag, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", problem));
}

}  // namespace

std::vector<FlagSpec> EventsFlags() {
  return {{"feed", FlagKind::kValue, true},
          {"after", FlagKind::kValue},
          {"type", FlagKind::kRepeated},
          {"follow", FlagKind::kBool}};
}

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
    std::string text = flags.Get("after");
    int64_t after = -1;
    bool digits = !text.empty();
    for (char c : text) digits = digits && absl::ascii_isdigit(c);
    if (!digits || !absl::SimpleAtoi(text, &after)) {
      return FlagError("after", absl::StrCat("must be a sequence number (0, "
                                             "1, 2, ...), not '",
                                             text, "'"));
    }
    call.request.set_after_sequence(after);
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
