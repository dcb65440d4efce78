#include "clients/carectl/feeds_format.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "clients/carectl/format.h"
#include "services/common/time_util.h"

namespace carebridge::carectl {
namespace {

using events::v1::Consumer;
using events::v1::ParkedEvent;

std::string Word(const std::string& enum_name) {
  return absl::AsciiStrToLower(enum_name);
}

// `careplan.referral` for `consumers/careplan.referral`, and
// `careplan.referral/42` for a parked event.
std::string Short(absl::string_view name) {
  absl::ConsumePrefix(&name, "consumers/");
  std::string result(name);
  const size_t parked = result.find("/parkedEvents/");
  if (parked != std::string::npos) {
    result.replace(parked, sizeof("/parkedEvents/") - 1, "/");
  }
  return result;
}

std::string Time(const google::protobuf::Timestamp& time) {
  return time.seconds() == 0 && time.nanos() == 0 ? "-" : FormatTimestamp(time);
}

}  // namespace

std::string FormatLag(const Consumer& consumer) {
  // The head is the new producer's, the cursor the old one's: no lag
  // between them means anything.
  if (consumer.state() == Consumer::PRODUCER_RESET) return "- (producer reset)";
  if (consumer.state() == Consumer::CONNECTING && !consumer.lag_current()) {
    return "not known yet";
  }
  // Connecting, retrying or stopped, the figures are the last seen.
  const absl::string_view when = consumer.lag_current() ? "" : ", as last seen";
  if (consumer.lag_events() == 0) return absl::StrCat("caught up", when);
  const absl::Duration lag =
      absl::Trunc(FromProtoDuration(consumer.lag()), absl::Seconds(1));
  return absl::StrCat(
      consumer.lag_events(), consumer.lag_events() == 1 ? " event" : " events",
      lag > absl::ZeroDuration()
          ? absl::StrCat(", ", absl::FormatDuration(lag), " behind")
          : "",
      when);
}

void PrintConsumer(std::ostream& out, const Consumer& consumer) {
  if (!consumer.last_error().empty()) {
    out << Short(consumer.name()) << ": last error at "
        << Time(consumer.last_error_time()) << ": " << consumer.last_error()
        << "\n";
  }
  if (consumer.state() == Consumer::PRODUCER_RESET) {
    out << Short(consumer.name()) << ": the producer's epoch is "
        << consumer.producer_epoch() << "; the cursor " << consumer.cursor()
        << " belongs to epoch " << consumer.epoch()
        << ". Compare the databases, then `carectl admin feeds reset "
        << Short(consumer.name())
        << " --after=N --epoch=" << consumer.producer_epoch()
        << "`; after a restore from a backup, N is the smaller of "
        << consumer.cursor()
        << " and the feed's head in the restore's report (docs/backup.md)\n";
  }
  if (consumer.parked_count() > 0) {
    out << Short(consumer.name()) << ": " << consumer.parked_count()
        << " parked; see `carectl admin feeds parked --consumer="
        << Short(consumer.name()) << "`\n";
  }
}

void PrintConsumers(std::ostream& out,
                    const events::v1::ListConsumersResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const Consumer& consumer : response.consumers()) {
    rows.push_back({Short(consumer.name()),
                    Word(Consumer::State_Name(consumer.state())),
                    absl::StrCat(consumer.cursor()),
                    absl::StrCat(consumer.head_sequence()), FormatLag(consumer),
                    absl::StrCat(consumer.parked_count()),
                    Time(consumer.last_applied_time())});
  }
  PrintTextTable(
      out,
      {"CONSUMER", "STATE", "CURSOR", "HEAD", "LAG", "PARKED", "LAST APPLIED"},
      rows);
  for (const Consumer& consumer : response.consumers()) {
    PrintConsumer(out, consumer);
  }
}

void PrintParkedEvents(std::ostream& out,
                       const events::v1::ListParkedEventsResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const ParkedEvent& parked : response.parked_events()) {
    rows.push_back({Short(parked.name()),
                    Word(ParkedEvent::State_Name(parked.state())),
                    absl::StrCat(parked.event().sequence()),
                    parked.event().type(), parked.event().subject(),
                    absl::StrCat(parked.attempts()), Time(parked.park_time())});
  }
  PrintTextTable(out,
                 {"PARKED EVENT", "STATE", "SEQUENCE", "TYPE", "SUBJECT",
                  "ATTEMPTS", "PARKED"},
                 rows);
  for (const ParkedEvent& parked : response.parked_events()) {
    out << Short(parked.name()) << ": " << parked.reason() << "\n";
    if (parked.state() != ParkedEvent::PARKED) {
      out << "  " << Word(ParkedEvent::State_Name(parked.state())) << " by "
          << parked.resolved_by() << " at " << Time(parked.resolve_time())
          << (parked.resolution().empty()
                  ? std::string()
                  : absl::StrCat(": ", parked.resolution()))
          << "\n";
    }
  }
  if (!response.next_page_token().empty()) {
    out << "next page: --page_token=" << response.next_page_token() << "\n";
  }
}

void PrintParkedEvent(std::ostream& out, const ParkedEvent& event) {
  events::v1::ListParkedEventsResponse one;
  *one.add_parked_events() = event;
  PrintParkedEvents(out, one);
}

}  // namespace carebridge::carectl
