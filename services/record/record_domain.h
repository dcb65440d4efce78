#ifndef CAREBRIDGE_SERVICES_RECORD_RECORD_DOMAIN_H_
#define CAREBRIDGE_SERVICES_RECORD_RECORD_DOMAIN_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "carebridge/events/v1/events.pb.h"
#include "carebridge/record/v1/record.pb.h"
#include "services/careplan_client/careplan_lookup.h"
#include "services/careplan_client/exchange_sharing.h"
#include "services/common/clock.h"
#include "services/common/consumer_ledger.h"
#include "services/common/principal.h"
#include "services/common/remote_calls.h"
#include "services/record/record_store.h"
#include "services/record/record_visibility.h"

namespace carebridge::record {

// A timeline stream (WatchTimeline) as the domain follows it: whose
// timeline, which kinds, and how far it has read each source feed.
struct TimelineWatch {
  // `persons/{id}`, and the id.
  std::string person;
  std::string person_id;
  // Every kind when empty.
  std::vector<v1::EntryKind> kinds;
  // The last position (AppliedRow::position) read of each source feed, by
  // FeedRank.
  std::array<int64_t, kTimelineFeeds> after = {};
  // The record database the positions belong to (RecordStore::
  // TimelineEpoch).
  std::string epoch;
};

// The record service's rules: what each event changes (applied by the
// consumers of the four feeds) and what a caller may read (timeline, care
// summary), never more than the source service would show it. No gRPC
// here. This class is thread-safe.
class RecordDomain {
 public:
  // How far behind each feed the record is, now.
  using FreshnessSource = std::function<v1::Freshness()>;

  // The pointees outlive this.
  // `careplan` and `directory` say what the person's sharing choices show
  // each team of the care plan part of the views and of its gaps (as
  // their lookups answer: remembered while the care plan feed is followed);
  // without `careplan` (a record opened on its own: tests, the benchmark)
  // the views show what the record holds.
  RecordDomain(const Clock* clock, RecordStore* store,
               FreshnessSource freshness,
               careplan_client::CarePlanLookup* careplan = nullptr,
               directory_client::DirectoryLookup* directory = nullptr)
      : clock_(clock),
        store_(store),
        freshness_(std::move(freshness)),
        careplan_(careplan),
        sharing_(careplan, directory) {}

  // A consumer's apply (EventConsumer::Apply): the event's projection and
  // its position in one transaction; an event applied before changes
  // nothing. DATA_LOSS for an event whose payload is not its resource
  // (parked by the consumer).
  absl::Status ApplyEvent(const events::v1::Event& event,
                          const FeedPosition& position);
  // A consumer's batch (EventConsumer::ApplyBatch): the events of `feed`,
  // in order, in one transaction; any error applies none of them.
  absl::Status ApplyEvents(absl::Span<const events::v1::Event* const> events,
                           const std::string& feed);

  // Announces the gaps whose threshold passed by now (the clock) since the
  // person's last change; how many.
  absl::StatusOr<int> AnnounceDueGaps();

  // The views: with RemoteCalls::kDeferred, RemoteCallDeferred() when a
  // clinical caller on the care team needs the person's sharing choices.
  absl::StatusOr<v1::ListTimelineEntriesResponse> ListTimelineEntries(
      const Principal& caller, const v1::ListTimelineEntriesRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  absl::StatusOr<v1::CareSummary> GetCareSummary(
      const Principal& caller, const v1::GetCareSummaryRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  absl::StatusOr<v1::ListCareGapsResponse> ListCareGaps(
      const Principal& caller, const v1::ListCareGapsRequest& request,
      RemoteCalls remote = RemoteCalls::kAllowed);
  absl::StatusOr<v1::TeamReport> GetTeamReport(
      const Principal& caller, const v1::GetTeamReportRequest& request);

  // A timeline stream (record_timeline_watch.cc), read on the executor
  // (the person's sharing choices may be asked). OpenTimelineWatch makes
  // ListTimelineEntries' checks of the person and `kinds`, reads `cursor`,
  // and says where the stream starts.
  absl::StatusOr<TimelineWatch> OpenTimelineWatch(
      const Principal& caller, const v1::WatchTimelineRequest& request);
  // The stream's next response: the entries after `watch`'s position that
  // the caller may see now (oldest first, about 128 KB at most), with the
  // cursor after them; `watch` moves past every entry read, shown or not.
  // caught_up when it holds every entry the record has now. The person is
  // checked again (merged meanwhile: FAILED_PRECONDITION).
  absl::StatusOr<v1::WatchTimelineResponse> ReadTimelineWatch(
      const Principal& caller, TimelineWatch& watch);

  // Whether the caller is told of `person`'s gap `gap_name` (its inbox
  // items): GapShown under what the person's sharing choices show the
  // caller's team now (asked of the care plan service when not
  // remembered). Gaps, summaries and inbox items tell the same.
  absl::StatusOr<bool> TellsOfGap(const Principal& caller,
                                  absl::string_view gap_name,
                                  absl::string_view person);

 private:
  // The person's id from `persons/{id}` after the checks every read makes:
  // the caller may read persons (or is this person, when `person_may`), and
  // the record knows this one.
  absl::StatusOr<std::string> KnownPerson(const Principal& caller,
                                          absl::string_view field,
                                          absl::string_view person,
                                          absl::string_view action,
                                          bool person_may = false);
  // How `caller` sees `person`'s (`persons/{id}`, id `person_id`) timeline
  // entries now: its care relationship and the person's sharing choices.
  absl::StatusOr<TimelineView> ViewFor(const Principal& caller,
                                       absl::string_view person,
                                       absl::string_view person_id,
                                       RemoteCalls remote);
  // What the person's sharing choices show the caller's team of the care
  // plan (everything without a care plan service, for a caller not on the
  // care team, who sees no plan part anyway, and for services and the
  // person).
  absl::StatusOr<sharing::SharedParts> PartsShown(const Principal& caller,
                                                  absl::string_view person,
                                                  bool involved,
                                                  RemoteCalls remote);

  // TellsOfGap for a gap of `kind`, `reader` remembering each person's
  // choices for one read.
  absl::StatusOr<bool> TellsOfGap(
      const Principal& caller, v1::GapKind kind, absl::string_view person,
      careplan_client::ExchangeSharing::Reader& reader);

  const Clock* const clock_;
  RecordStore* const store_;
  const FreshnessSource freshness_;
  careplan_client::CarePlanLookup* const careplan_;
  const careplan_client::ExchangeSharing sharing_;
};

}  // namespace carebridge::record

#endif  // CAREBRIDGE_SERVICES_RECORD_RECORD_DOMAIN_H_
